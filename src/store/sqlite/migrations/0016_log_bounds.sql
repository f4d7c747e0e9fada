-- Step logs are bounded per step attempt and say where each line came from.
-- attempt 0: a line not tied to an attempt (written before this migration, or by the run itself).
ALTER TABLE logs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
-- 'log' (ctx.log), 'stdout' or 'stderr'.
ALTER TABLE logs ADD COLUMN stream TEXT NOT NULL DEFAULT 'log';
-- Set only on the marker line that stands for the lines dropped past the limit: how many.
ALTER TABLE logs ADD COLUMN truncated INTEGER;

-- How much each step attempt has stored, so the limit is checked without counting rows.
-- marker_id is the marker line, once the limit is reached.
CREATE TABLE log_budgets (
  run_id TEXT NOT NULL,
  asset_key TEXT NOT NULL,
  partition TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  marker_id INTEGER,
  PRIMARY KEY (run_id, asset_key, partition, attempt)
);
