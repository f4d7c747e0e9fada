// The one place secrets are taken out of text that is stored, logged or answered: URLs (userinfo,
// query strings, fragments, token-like path segments and webhook hosts' secret paths) and known
// secrets (tokens) given by the caller.

/** What a removed secret reads as. */
export const REDACTED = '[redacted]'

// Linear: one character class, no nesting. Stops at whitespace and the quotes/brackets around URLs.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>`]+/gi

// `?name=value` or `&name=value` anywhere; the value goes.
const QUERY_VALUE = /([?&][\w.-]{1,64}=)(?!\[redacted\])[^\s&#"'<>]+/g

/** Hosts whose webhook URLs are secret from a fixed path prefix on: everything after it goes. */
const WEBHOOK_PATHS: readonly { readonly host: RegExp; readonly keep: number }[] = [
  { host: /^hooks\.slack\.com$/, keep: 1 }, // /services/T…/B…/secret
  { host: /^(?:\w+\.)?discord(?:app)?\.com$/, keep: 2 }, // /api/webhooks/id/token
  { host: /(?:^|\.)webhook\.office\.com$|^outlook\.office\.com$/, keep: 1 },
  { host: /^hooks\.zapier\.com$/, keep: 2 },
  { host: /^api\.telegram\.org$/, keep: 0 }, // /bot<token>/…
  { host: /^events\.pagerduty\.com$/, keep: 2 },
]

/**
 * Returns `text` with every URL's secrets replaced by `[redacted]` and every string of `secrets`
 * removed. Safe on any text (error messages, log lines); leaves text without URLs unchanged.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
  // Whole secrets first (a sink's configured URL, even one without a scheme), then URLs by shape.
  for (const secret of secrets) if (secret) out = out.replaceAll(secret, REDACTED)
  out = out.replace(URL_IN_TEXT, redactUrl)
  // Query parameters left outside a recognisable URL (a malformed one, cut at a space).
  return out.replace(QUERY_VALUE, `$1${REDACTED}`)
}

/** One URL with its userinfo, query, fragment and secret-looking path segments replaced. */
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Unparseable (the malformed sink URL case): cut what could be secret by shape alone.
    return url.replace(/^([^:]+:\/\/)[^/?#]*@/, `$1${REDACTED}@`).replace(/[?#].*$/, `?${REDACTED}`)
  }
  const scheme = url.slice(0, url.indexOf(':') + 3)
  const userinfo = parsed.username || parsed.password ? `${REDACTED}@` : ''
  const segments = parsed.pathname.split('/')
  const webhook = WEBHOOK_PATHS.find((known) => known.host.test(parsed.hostname.toLowerCase()))
  const path = segments.map((segment, i) => {
    if (i === 0 || segment === '') return segment
    if (webhook && i > webhook.keep) return REDACTED
    return looksSecret(segment) ? REDACTED : segment
  }).join('/')
  const query = parsed.search ? `?${REDACTED}` : ''
  // The parser adds '/' to a bare host; the text had none.
  const written = /^[^:]+:\/\/[^/?#]*\//.test(url) ? path : path.replace(/^\/$/, '')
  return `${scheme}${userinfo}${parsed.host}${written}${query}`
}

// A long run of letters and digits mixing both, as tokens are; words and dates are not.
function looksSecret(segment: string): boolean {
  return segment.length >= 20 && /^[A-Za-z0-9_\-.~%]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment)
}
