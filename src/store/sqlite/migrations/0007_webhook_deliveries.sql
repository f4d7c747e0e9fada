-- Webhook deliveries received within the signature's tolerance window, so a replayed (or
-- re-sent) delivery is recognised, across restarts. Rows older than the window are pruned.
CREATE TABLE webhook_deliveries (
  sensor TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (sensor, delivery_id)
);
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);
