// Incoming webhooks: HMAC-SHA256 over the timestamp and the raw body, a tolerance window on the
// timestamp, and delivery ids remembered within the window so a replay is recognised.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { ErrorCode } from '../model/errors.js'
import { HttpError } from './errors.js'

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` made with the sensor's secret. */
export const SIGNATURE_HEADER = 'X-Tributary-Signature'
/** When the sender signed, in whole seconds since 1970 (Unix time). */
export const TIMESTAMP_HEADER = 'X-Tributary-Timestamp'
/** Optional: the sender's id of the event; a second delivery with the same id is a replay, even re-signed. */
export const DELIVERY_ID_HEADER = 'X-Tributary-Delivery'
/** How far a signed timestamp may be from the server's clock, either way. Default of the server: 5 minutes. */
export const DEFAULT_WEBHOOK_TOLERANCE_MS = 5 * 60_000

const HINT = `Sign "<timestamp>.<raw body>": ${TIMESTAMP_HEADER}: <Unix seconds>, ${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 with the sensor's secret>; see docs/automation.md#signing-webhooks.`

/** The headers a sender adds to a body: what `curl` or a test sends. `at` defaults to now. */
export function signWebhook(body: string | Buffer, secret: string, at: Date = new Date(), deliveryId?: string): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000))
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `sha256=${mac(secret, timestamp, body).toString('hex')}`,
    ...(deliveryId !== undefined ? { [DELIVERY_ID_HEADER]: deliveryId } : {}),
  }
}

/** A verified delivery: the keys under which it is remembered (its signature, and its id when sent). */
export interface VerifiedDelivery {
  readonly keys: readonly string[]
}

/**
 * Verifies a delivery: 401 TRB6022 for a missing, malformed or wrong signature or timestamp
 * (checked first, in constant time), 401 TRB6023 for a timestamp outside `toleranceMs` of `now`.
 */
export function verifyWebhook(body: Buffer, header: (name: string) => string | undefined, secret: string, now: Date, toleranceMs: number): VerifiedDelivery {
  const timestamp = header(TIMESTAMP_HEADER)?.trim()
  const signature = header(SIGNATURE_HEADER)?.trim().match(/^sha256=([0-9a-f]{64})$/i)?.[1]?.toLowerCase()
  const expected = mac(secret, timestamp ?? '', body)
  const matches = signature !== undefined && timingSafeEqual(Buffer.from(signature, 'hex'), expected)
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw new HttpError(401, ErrorCode.WebhookSignature, `the ${TIMESTAMP_HEADER} header is ${timestamp ? 'not Unix seconds' : 'missing'}`, HINT)
  }
  if (!matches) {
    throw new HttpError(401, ErrorCode.WebhookSignature, header(SIGNATURE_HEADER) ? 'the signature does not match the timestamp and body' : `the ${SIGNATURE_HEADER} header is missing`, HINT)
  }
  const skewMs = now.getTime() - Number(timestamp) * 1000
  if (Math.abs(skewMs) > toleranceMs) {
    throw new HttpError(401, ErrorCode.WebhookExpired, `the delivery was signed ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? 'ago' : 'ahead of this server\'s clock'}; at most ${toleranceMs / 1000} s are accepted`,
      'Sign each delivery when sending it, with the current time; check both clocks (NTP).')
  }
  const id = header(DELIVERY_ID_HEADER)?.trim()
  if (id !== undefined && !/^[\w.:@-]{1,200}$/.test(id)) {
    throw new HttpError(400, ErrorCode.Usage, `the ${DELIVERY_ID_HEADER} header must be 1-200 letters, digits or . : @ _ -`, 'Send a UUID or the event id of the sending system.')
  }
  // The signature identifies this exact delivery; the id also catches a re-signed copy of it.
  return { keys: [`sig:${signature}`, ...(id ? [`id:${id}`] : [])] }
}

/** The answer to a replay: 409 TRB6024. */
export function replayed(sensor: string): HttpError {
  return new HttpError(409, ErrorCode.WebhookReplayed, `this delivery to sensor ${sensor} was already received; it starts nothing again`,
    `Send each event once, with a new ${TIMESTAMP_HEADER} and signature (and a new ${DELIVERY_ID_HEADER}, if you send one).`)
}

function mac(secret: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
}
