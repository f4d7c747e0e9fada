-- A step a worker kept (claimed with its upstream's completion, to run next in the same slot; see
-- KeepHandOff) has no job in the queue while that worker heartbeats: its job's spec waits here
-- ({ payload, key, flags } as JSON), and the workers enqueue it once the keeping worker has been
-- silent for longer than its lease (or no longer runs it). Cleared when the attempt ends, is
-- enqueued, or another attempt takes its place, so the index holds only the kept steps running now.
-- Keyed on a column no update changes: claims stay HOT updates.
ALTER TABLE step_claims ADD COLUMN kept_job text;
CREATE INDEX step_claims_kept ON step_claims (run_id) WHERE kept_job IS NOT NULL;
-- Statistics for the new column, so the workers' look for kept steps uses the index from the start
-- (a column never analyzed looks as if nearly every row were kept).
ANALYZE step_claims;
