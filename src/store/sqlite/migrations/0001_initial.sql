-- Tributary metadata store, SQLite dialect.
-- Times are epoch milliseconds. In key columns a missing partition is stored as '' so that
-- primary keys and unique lookups work (NULL never equals NULL); readers map '' back to null.

-- The append-only record of truth. AUTOINCREMENT so ids are never reused after pruning:
-- readers page with "id > afterId" and must not see an old id come back.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  run_id TEXT,
  asset_key TEXT,
  partition TEXT,
  payload TEXT NOT NULL
);
CREATE INDEX events_by_run ON events (run_id, id);
CREATE INDEX events_by_at ON events (at);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  selection TEXT NOT NULL,
  trigger TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  heartbeat_at INTEGER NOT NULL,
  error TEXT,
  step_count INTEGER NOT NULL
);
CREATE INDEX runs_by_started ON runs (started_at DESC);
CREATE INDEX runs_by_status ON runs (status, started_at DESC);

-- seq keeps the planned order of a run's steps.
CREATE TABLE steps (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  finished_at INTEGER,
  duration_ms INTEGER,
  error TEXT,
  reason TEXT,
  PRIMARY KEY (run_id, asset_key, partition)
);
CREATE INDEX steps_by_run ON steps (run_id, seq);

CREATE TABLE materializations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  run_id TEXT NOT NULL,
  code_version TEXT NOT NULL,
  data_version TEXT NOT NULL,
  input_versions TEXT NOT NULL,
  row_count INTEGER,
  columns TEXT,
  duration_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX materializations_by_asset ON materializations (asset_key, partition, id DESC);

CREATE TABLE check_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  run_id TEXT NOT NULL,
  check_name TEXT NOT NULL,
  check_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  blocking INTEGER NOT NULL,
  passed INTEGER NOT NULL,
  failing_rows INTEGER,
  sample TEXT NOT NULL,
  message TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX check_results_by_asset ON check_results (asset_key, id DESC);

-- Latest state per asset (partition). The last step is the steps row of step_run_id, so it
-- never goes stale; the last checks are copied as JSON so reading all states needs no scan
-- of check_results.
CREATE TABLE asset_state (
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  materialization_id INTEGER REFERENCES materializations (id),
  step_run_id TEXT,
  checks TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (asset_key, partition)
);

CREATE TABLE observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_key TEXT NOT NULL,
  observed_at INTEGER NOT NULL,
  source_exists INTEGER NOT NULL,
  last_updated INTEGER,
  data_version TEXT,
  row_count INTEGER,
  schema_fingerprint TEXT,
  columns TEXT
);
CREATE INDEX observations_by_source ON observations (source_key, observed_at DESC, id DESC);

-- The latest observation of each source, by observed_at.
CREATE TABLE source_state (
  source_key TEXT PRIMARY KEY,
  observed_at INTEGER NOT NULL,
  source_exists INTEGER NOT NULL,
  last_updated INTEGER,
  data_version TEXT,
  row_count INTEGER,
  schema_fingerprint TEXT,
  columns TEXT
);

CREATE TABLE logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX logs_by_run ON logs (run_id, at, id);

CREATE TABLE leases (
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (asset_key, partition)
);
CREATE INDEX leases_by_holder ON leases (holder);
