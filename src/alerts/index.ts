// Alerting: what the daemon calls once per tick, and the parts it can swap (deliverer, sinks).
export { evaluateAlerts, type AlertInput, type AlertReport } from './alert-engine.js'
export { alertSeverities, defaultSeverity, escalateAfterMs } from './alert-rules.js'
export { createDeliverer, type Deliverer, type DelivererOptions, type DeliveryReport } from './deliverer.js'
export { DELIVERY_DEFAULTS, deliveryPolicy, type DeliveryPolicy } from './delivery-policy.js'
export { resolveByHand, type ManualResolveInput, type ManualResolveResult } from './manual-resolve.js'
export { commandSink, createSinks, logSink, slackPayload, webhookSink, type IncidentEvent, type Notification, type Sink, type SinkOptions, type SlackPayload } from './sinks/index.js'
