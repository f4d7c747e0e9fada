-- The alert outbox: one row per notification and sink, written in the transaction that changes
-- the incident, so a notification outlives a failed sink, a restart and kill -9 (src/alerts/deliverer.ts).

CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  event TEXT NOT NULL,
  sink TEXT NOT NULL,
  -- The incident as it was when the change was made: what the notification announces.
  incident TEXT NOT NULL,
  -- pending → delivered | exhausted
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  -- When a pending row may next be attempted; while an attempt is in flight, when its lease ends.
  next_attempt_at INTEGER NOT NULL,
  -- Who holds the attempt in flight; null between attempts.
  leased_by TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
-- Pending entries in id order: a claim reads the oldest few and stops.
CREATE INDEX alert_outbox_pending ON alert_outbox (status, id);
CREATE INDEX alert_outbox_by_incident ON alert_outbox (incident_id, sink, id);
