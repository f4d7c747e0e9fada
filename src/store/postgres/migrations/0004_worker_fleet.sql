-- The worker fleet (`executor: queue()`): who works, and which attempt of a step may publish.
-- The job queue itself is graphile-worker's own schema (graphile_worker), migrated by it.

-- One row per `tributary worker` process, kept while it heartbeats; rows of stopped or dead
-- workers stay (with stopped_at) so the UI can say when a worker was last seen.
CREATE TABLE workers (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  version text NOT NULL,
  concurrency integer NOT NULL,
  pools text NOT NULL,
  started_at bigint NOT NULL,
  -- Database time (ms), so liveness never depends on the clocks of the workers' machines.
  heartbeat_at bigint NOT NULL,
  stopped_at bigint,
  -- 'running', 'stopped' (it said goodbye) or 'lost' (its lease expired; another worker took its steps).
  state text NOT NULL DEFAULT 'running',
  -- graphile-worker's ids of this process's slots, so a lost worker's jobs can be unlocked.
  queue_slots text NOT NULL DEFAULT '[]',
  -- The steps it runs now: [{ runId, assetKey, partition, attempt, since }].
  current_steps text NOT NULL DEFAULT '[]'
);

-- Fencing: each time a worker takes an attempt of a step it gets a new fence, a number that only
-- grows (across all steps, so the warehouse can compare fences of different runs). The store
-- records an attempt's end only when its fence is still the step's latest, so a worker whose
-- lease expired (a zombie) cannot record over the worker that took its step. `ended_seq`
-- numbers the ends as they commit, for the control plane waiting on them.
CREATE SEQUENCE step_fences;
CREATE SEQUENCE step_claim_ends;
CREATE TABLE step_claims (
  run_id text NOT NULL,
  asset_key text NOT NULL,
  partition text NOT NULL,
  attempt integer NOT NULL,
  fence bigint NOT NULL,
  worker_id text,
  job_id bigint,
  claimed_at bigint,
  -- How the attempt ended: { status, error?, durationMs? } as JSON; null while it runs.
  outcome text,
  ended_seq bigint,
  PRIMARY KEY (run_id, asset_key, partition)
);
CREATE INDEX step_claims_ended ON step_claims (run_id, ended_seq) WHERE ended_seq IS NOT NULL;
