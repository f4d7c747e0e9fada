-- Automation and alerting state (see src/store/automation-store.ts): the tables the SQLite
-- store reached by its migrations 0003, 0004, 0007 and 0012.

CREATE TABLE daemon_ticks (
  tick_id text PRIMARY KEY,
  holder text NOT NULL,
  claimed_at bigint NOT NULL,
  -- The run it started, so a claim whose daemon died before starting anything can be taken over.
  run_id text,
  completed_at bigint
);

CREATE TABLE daemon_cursors (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE automation_decisions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tick_id text NOT NULL,
  asset_key text NOT NULL,
  requested integer NOT NULL,
  reason text NOT NULL,
  run_id text,
  at bigint NOT NULL
);
CREATE INDEX automation_decisions_by_asset ON automation_decisions (asset_key, id DESC);

CREATE TABLE incidents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_key text NOT NULL,
  condition text NOT NULL,
  severity text NOT NULL,
  status text NOT NULL,
  owner text,
  message text NOT NULL,
  affected text NOT NULL DEFAULT '[]',
  occurrences integer NOT NULL DEFAULT 1,
  opened_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  escalated_at bigint,
  acknowledged_at bigint,
  acknowledged_by text,
  resolved_at bigint,
  resolution text
);
-- At most one unresolved incident per asset and condition: deduplication is a constraint, not a hope.
CREATE UNIQUE INDEX incidents_one_open ON incidents (asset_key, condition) WHERE status <> 'resolved';
CREATE INDEX incidents_by_status ON incidents (status, id DESC);

CREATE TABLE deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  sink text NOT NULL,
  event text NOT NULL,
  attempt integer NOT NULL,
  ok integer NOT NULL,
  error text,
  at bigint NOT NULL
);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id, id);

-- Webhook deliveries received within the signature's tolerance window, so a replay is recognised.
CREATE TABLE webhook_deliveries (
  sensor text NOT NULL,
  delivery_id text NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY (sensor, delivery_id)
);
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);

-- The alert outbox: one row per notification and sink, written in the transaction that changes the incident.
CREATE TABLE alert_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  event text NOT NULL,
  sink text NOT NULL,
  incident text NOT NULL,
  -- pending → delivered | exhausted
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  leased_by text,
  last_error text,
  created_at bigint NOT NULL,
  settled_at bigint
);
CREATE INDEX alert_outbox_pending ON alert_outbox (status, id);
CREATE INDEX alert_outbox_by_incident ON alert_outbox (incident_id, sink, id);
