-- Observation history keeps changes, not looks (see insertObservation): drop the rows that
-- repeat the look before them, so a store polled for months gets its arrival history back.
DELETE FROM observations WHERE id IN (
  SELECT id FROM (
    SELECT id, source_exists, last_updated, data_version, schema_fingerprint,
      lag(id) OVER w AS previous_id, lag(source_exists) OVER w AS previous_exists, lag(last_updated) OVER w AS previous_updated,
      lag(data_version) OVER w AS previous_version, lag(schema_fingerprint) OVER w AS previous_fingerprint
    FROM observations
    WINDOW w AS (PARTITION BY source_key ORDER BY observed_at, id)
  )
  WHERE previous_id IS NOT NULL AND source_exists = previous_exists AND last_updated IS previous_updated
    AND data_version IS previous_version AND schema_fingerprint IS previous_fingerprint
);
