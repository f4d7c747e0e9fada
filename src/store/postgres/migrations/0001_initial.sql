-- Tributary metadata store, PostgreSQL dialect: the schema the SQLite store reached by its
-- migration 0016, in one step. Same tables, same columns, same conventions, so the two
-- dialects read rows the same way:
-- times are epoch milliseconds (bigint); in key columns a missing partition is stored as ''
-- (NULL never equals NULL in keys); booleans are 0/1 integers; JSON is kept as text.

-- The append-only record of truth. Identity ids are never reused after pruning: readers
-- page with "id > afterId" and must not see an old id come back.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type text NOT NULL,
  at bigint NOT NULL,
  run_id text,
  asset_key text,
  partition text,
  payload text NOT NULL
);
CREATE INDEX events_by_run ON events (run_id, id);
CREATE INDEX events_by_at ON events (at);

-- A live tail LISTENs on tributary_events: one notification per writing statement, whose
-- payload is empty (readers fetch "id > lastSeen", so nothing is lost if notifications merge).
CREATE FUNCTION tributary_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_events', '');
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION tributary_notify_events();

-- seq stands in for SQLite's rowid: it orders runs started in the same millisecond.
CREATE TABLE runs (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  status text NOT NULL,
  selection text NOT NULL,
  trigger text NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint,
  heartbeat_at bigint NOT NULL,
  error text,
  step_count integer NOT NULL,
  -- A pause or cancel asked of the run by another process; its own process reads it with its heartbeat.
  requested text,
  -- The run it continues (a resumed backfill): at most one run continues any run.
  continues text
);
CREATE INDEX runs_by_started ON runs (started_at DESC, seq DESC);
CREATE INDEX runs_by_status ON runs (status, started_at DESC);
CREATE UNIQUE INDEX runs_by_continues ON runs (continues) WHERE continues IS NOT NULL;

-- seq keeps the planned order of a run's steps.
CREATE TABLE steps (
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  asset_key text NOT NULL,
  partition text NOT NULL,
  seq integer NOT NULL,
  status text NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  started_at bigint,
  finished_at bigint,
  duration_ms bigint,
  error text,
  reason text,
  PRIMARY KEY (run_id, asset_key, partition)
);
CREATE INDEX steps_by_run ON steps (run_id, seq);

CREATE TABLE materializations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_key text NOT NULL,
  partition text NOT NULL,
  run_id text NOT NULL,
  code_version text NOT NULL,
  data_version text NOT NULL,
  input_versions text NOT NULL,
  row_count bigint,
  columns text,
  duration_ms bigint NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX materializations_by_asset ON materializations (asset_key, partition, id DESC);

CREATE TABLE check_results (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  asset_key text NOT NULL,
  partition text NOT NULL,
  run_id text NOT NULL,
  check_name text NOT NULL,
  check_type text NOT NULL,
  severity text NOT NULL,
  blocking integer NOT NULL,
  passed integer NOT NULL,
  failing_rows bigint,
  sample text NOT NULL,
  message text,
  created_at bigint NOT NULL
);
CREATE INDEX check_results_by_asset ON check_results (asset_key, id DESC);

-- Latest state per asset (partition), with copies of its last materialization (but its
-- columns) and last step, so reading every state reads one table (see the SQLite store's
-- migration 0002). Every write that changes either copies it here in the same transaction.
CREATE TABLE asset_state (
  asset_key text NOT NULL,
  partition text NOT NULL,
  materialization_id bigint REFERENCES materializations (id),
  materialization_run_id text,
  code_version text,
  data_version text,
  input_versions text,
  row_count bigint,
  materialization_duration_ms bigint,
  materialized_at bigint,
  step_run_id text,
  step_status text,
  step_attempt integer,
  step_started_at bigint,
  step_finished_at bigint,
  step_duration_ms bigint,
  step_error text,
  step_reason text,
  checks text NOT NULL DEFAULT '[]',
  PRIMARY KEY (asset_key, partition)
);

CREATE TABLE observations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_key text NOT NULL,
  observed_at bigint NOT NULL,
  source_exists integer NOT NULL,
  last_updated bigint,
  data_version text,
  row_count bigint,
  schema_fingerprint text,
  columns text
);
CREATE INDEX observations_by_source ON observations (source_key, observed_at DESC, id DESC);

-- The latest observation of each source, by observed_at.
CREATE TABLE source_state (
  source_key text PRIMARY KEY,
  observed_at bigint NOT NULL,
  source_exists integer NOT NULL,
  last_updated bigint,
  data_version text,
  row_count bigint,
  schema_fingerprint text,
  columns text
);

CREATE TABLE logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  asset_key text NOT NULL,
  partition text NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  at bigint NOT NULL,
  -- 0: a line not tied to a step attempt.
  attempt integer NOT NULL DEFAULT 0,
  -- 'log' (ctx.log), 'stdout' or 'stderr'.
  stream text NOT NULL DEFAULT 'log',
  -- Set only on the marker line that stands for the lines dropped past the limit: how many.
  truncated integer
);
CREATE INDEX logs_by_run ON logs (run_id, at, id);

-- How much each step attempt has stored, so the limit is checked without counting rows.
CREATE TABLE log_budgets (
  run_id text NOT NULL,
  asset_key text NOT NULL,
  partition text NOT NULL,
  attempt integer NOT NULL,
  lines integer NOT NULL,
  bytes bigint NOT NULL,
  marker_id bigint,
  PRIMARY KEY (run_id, asset_key, partition, attempt)
);

CREATE TABLE leases (
  asset_key text NOT NULL,
  partition text NOT NULL,
  holder text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (asset_key, partition)
);
CREATE INDEX leases_by_holder ON leases (holder);
