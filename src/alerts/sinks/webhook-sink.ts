import { redact } from '../../model/redact.js'
import { slackPayload } from './slack-payload.js'
import type { Sink } from './sink.js'

/** How much of a failing receiver's answer a delivery error keeps. */
const ERROR_BODY_CHARS = 200

/** The header naming the delivery (the same on every retry of one notification to one sink). */
export const DELIVERY_HEADER = 'X-Tributary-Delivery'

/**
 * POSTs a Slack-compatible JSON body to `url`, with the delivery id in {@link DELIVERY_HEADER}.
 * Any answer but 2xx is a failure. The URL is never put in an error: webhook URLs carry their
 * secret in the path.
 */
export function webhookSink(name: string, url: string): Sink {
  return {
    name,
    async send(notification, signal) {
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(notification.deliveryId === undefined ? {} : { [DELIVERY_HEADER]: String(notification.deliveryId) }) },
          body: JSON.stringify(slackPayload(notification)),
          signal,
        })
      } catch (error) {
        // fetch quotes a malformed URL whole ("Failed to parse URL from …"), secret and all.
        const cause = (error as Error).cause instanceof Error ? `: ${((error as Error).cause as Error).message}` : ''
        throw new Error(redact(`${(error as Error).message}${cause}`, [url]))
      }
      const body = await response.text()
      if (!response.ok) {
        const detail = redact(body.trim().slice(0, ERROR_BODY_CHARS), [url])
        throw new Error(`webhook answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`)
      }
    },
  }
}
