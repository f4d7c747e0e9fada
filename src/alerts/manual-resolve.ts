import type { Clock } from '../engine/clock.js'
import type { AlertsConfig } from '../model/alerts.js'
import type { AutomationStore, IncidentRecord } from '../store/automation-store.js'
import { createDeliverer, type DeliveryReport } from './deliverer.js'
import { deliveryPolicy } from './delivery-policy.js'
import { createSinks, type SinkOptions } from './sinks/index.js'

/** What resolving an incident by hand reads. */
export interface ManualResolveInput {
  readonly store: AutomationStore
  readonly id: number
  /** The resolution, in the operator's words. */
  readonly message: string
  /** The project's `alerts`: its sinks are told, with its delivery policy. */
  readonly config: AlertsConfig | undefined
  readonly clock: Clock
  /** How long the first delivery pass waits for quick retries. Default: 5000 ms; the daemon retries the rest. */
  readonly holdMs?: number
  readonly sinkOptions?: SinkOptions
}

/** What resolving by hand did: the incident, whether this call resolved it, and the first delivery pass. */
export interface ManualResolveResult {
  readonly incident: IncidentRecord
  /** False when it was already resolved: nothing new is announced. */
  readonly resolved: boolean
  readonly delivery: DeliveryReport
}

/**
 * Resolves an incident by hand (CLI, API) and announces it like a resolve the daemon makes:
 * the 'resolved' notification is queued in the outbox with the change, then one delivery pass
 * runs; what fails is retried by the next pass (the daemon's, or the next resolve's).
 * Undefined when there is no such incident.
 */
export async function resolveByHand(input: ManualResolveInput): Promise<ManualResolveResult | undefined> {
  const before = await input.store.getIncident(input.id)
  if (!before) return undefined
  const deliver = createDeliverer({
    store: input.store, sinks: createSinks(input.config?.sinks, input.sinkOptions), ...deliveryPolicy(input.config), clock: input.clock,
    ...(input.holdMs === undefined ? {} : { holdMs: input.holdMs }),
  })
  const incident = before.status === 'resolved' ? before : ((await input.store.resolveIncident(before.id, input.message, input.clock.now(), deliver.sinks)) ?? before)
  const resolved = before.status !== 'resolved' && incident.status === 'resolved' && incident.resolution === input.message
  return { incident, resolved, delivery: await deliver.drain() }
}
