-- The run a run continues (a resumed backfill): at most one run continues any run, so two
-- resumes of the same paused backfill cannot both go ahead.
ALTER TABLE runs ADD COLUMN continues TEXT;
CREATE UNIQUE INDEX runs_by_continues ON runs (continues) WHERE continues IS NOT NULL;
