-- A claimed tick records the run it started, so a claim whose daemon died before starting
-- anything can be taken over after a while instead of losing the tick.
ALTER TABLE daemon_ticks ADD COLUMN run_id TEXT;
ALTER TABLE daemon_ticks ADD COLUMN completed_at INTEGER;
