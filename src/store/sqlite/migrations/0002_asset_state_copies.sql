-- asset_state keeps copies of its last materialization and its last step, so reading the
-- state of every asset reads one table: joining materializations and steps for each of
-- 10,000 assets cost more than status() may take in all (DESIGN.md, performance budget).
-- Every write that changes a materialization or step copies it here in the same
-- transaction, so the copies never go stale. The column list of a materialization is not
-- copied: it grows with the table's width, status never reads it, and every step update
-- rewrites this row. Full asset states read it from materializations by id.
-- The table is rebuilt so its columns keep an order readers can follow; the old rows are
-- carried over with the rows they pointed to.
CREATE TABLE asset_state_new (
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  -- The last materialization but its columns; all NULL when there is none.
  materialization_id INTEGER REFERENCES materializations (id),
  materialization_run_id TEXT,
  code_version TEXT,
  data_version TEXT,
  input_versions TEXT,
  row_count INTEGER,
  materialization_duration_ms INTEGER,
  materialized_at INTEGER,
  -- The last step: the steps row (step_run_id, asset_key, partition) as of its latest update.
  step_run_id TEXT,
  step_status TEXT,
  step_attempt INTEGER,
  step_started_at INTEGER,
  step_finished_at INTEGER,
  step_duration_ms INTEGER,
  step_error TEXT,
  step_reason TEXT,
  -- The results of the last checks, as JSON, so reading all states needs no scan of check_results.
  checks TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (asset_key, partition)
);

INSERT INTO asset_state_new
SELECT a.asset_key, a.partition,
  m.id, m.run_id, m.code_version, m.data_version, m.input_versions, m.row_count, m.duration_ms, m.created_at,
  s.run_id, s.status, s.attempt, s.started_at, s.finished_at, s.duration_ms, s.error, s.reason,
  a.checks
FROM asset_state a
LEFT JOIN materializations m ON m.id = a.materialization_id
LEFT JOIN steps s ON s.run_id = a.step_run_id AND s.asset_key = a.asset_key AND s.partition = a.partition;

DROP TABLE asset_state;
ALTER TABLE asset_state_new RENAME TO asset_state;
