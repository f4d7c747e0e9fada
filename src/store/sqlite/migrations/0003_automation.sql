-- Automation and alerting state (see src/store/automation-store.ts).

CREATE TABLE daemon_ticks (
  tick_id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  claimed_at INTEGER NOT NULL
);

CREATE TABLE daemon_cursors (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE automation_decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tick_id TEXT NOT NULL,
  asset_key TEXT NOT NULL,
  requested INTEGER NOT NULL,
  reason TEXT NOT NULL,
  run_id TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX automation_decisions_by_asset ON automation_decisions (asset_key, id DESC);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_key TEXT NOT NULL,
  condition TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  owner TEXT,
  message TEXT NOT NULL,
  affected TEXT NOT NULL DEFAULT '[]',
  occurrences INTEGER NOT NULL DEFAULT 1,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  escalated_at INTEGER,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  resolved_at INTEGER,
  resolution TEXT
);
-- At most one unresolved incident per asset and condition: deduplication is a constraint, not a hope.
CREATE UNIQUE INDEX incidents_one_open ON incidents (asset_key, condition) WHERE status <> 'resolved';
CREATE INDEX incidents_by_status ON incidents (status, id DESC);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  sink TEXT NOT NULL,
  event TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id, id);
