-- The attempts still running, indexed apart: recording a batch of ends (ATTEMPT_ENDS, a join on
-- an unnested array the planner guesses at 10 rows) finds them here, not by a scan of every claim
-- the table ever held. Without it, on generic plans and a table a few runs old, each batch read
-- the whole table (0.3–1 ms a call at 1,600 claims, growing with the history). An end already
-- changes an indexed column (ended_seq), so this costs no HOT update that was one.
CREATE INDEX step_claims_open ON step_claims (run_id, asset_key, partition) WHERE outcome IS NULL;
ANALYZE step_claims;
