import type { AlertsConfig } from '../model/alerts.js'
import { parseDuration } from '../model/duration.js'
import { DefinitionError, ErrorCode } from '../model/errors.js'

/** Delivery defaults: 10 attempts, 1 s doubling to at most 5 min (about 8.5 min of retries), 5 s per attempt, a pass waits 5 s for retries. */
export const DELIVERY_DEFAULTS = { attempts: 10, backoffMs: 1000, maxBackoffMs: 300_000, timeoutMs: 5000, holdMs: 5000 } as const

/** The delivery options of a project's alerts config, in milliseconds. */
export interface DeliveryPolicy {
  readonly attempts: number
  readonly backoffMs: number
  readonly maxBackoffMs: number
  readonly timeoutMs: number
}

/** Reads `alerts.delivery`, defaults filled in; TRB1013 when attempts is not a whole number ≥ 1, TRB1007 for a bad duration. */
export function deliveryPolicy(config: AlertsConfig | undefined): DeliveryPolicy {
  const delivery = config?.delivery ?? {}
  const attempts = delivery.attempts ?? DELIVERY_DEFAULTS.attempts
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new DefinitionError(ErrorCode.InvalidDefinition, `alerts.delivery.attempts must be a whole number of at least 1, not ${JSON.stringify(attempts)}`, {
      hint: 'Set alerts.delivery.attempts to how many times to try each sink (the first attempt included), e.g. 10.',
    })
  }
  const timeoutMs = delivery.timeout === undefined ? DELIVERY_DEFAULTS.timeoutMs : parseDuration(delivery.timeout, 'alerts.delivery.timeout')
  if (timeoutMs <= 0) {
    throw new DefinitionError(ErrorCode.InvalidDefinition, 'alerts.delivery.timeout must be longer than 0', { hint: "Give each attempt time to finish, e.g. timeout: '5s'." })
  }
  return {
    attempts,
    backoffMs: delivery.backoff === undefined ? DELIVERY_DEFAULTS.backoffMs : parseDuration(delivery.backoff, 'alerts.delivery.backoff'),
    maxBackoffMs: delivery.maxBackoff === undefined ? DELIVERY_DEFAULTS.maxBackoffMs : parseDuration(delivery.maxBackoff, 'alerts.delivery.maxBackoff'),
    timeoutMs,
  }
}
