import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redact, redactUrl } from './redact.js'

test('redactUrl: userinfo, query, fragment and token-like path segments go; host and plain path stay', () => {
  assert.equal(redactUrl('https://alice:s3cret@example.com/hook?token=abc#x'), 'https://[redacted]@example.com/hook?[redacted]')
  assert.equal(redactUrl('https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX'), 'https://hooks.slack.com/services/[redacted]/[redacted]/[redacted]')
  assert.equal(redactUrl('https://discord.com/api/webhooks/123456/abcDEF-token'), 'https://discord.com/api/webhooks/[redacted]/[redacted]')
  assert.equal(redactUrl('https://example.com/hooks/4f9c2a7b1e0d4c3b9a8f7e6d5c4b3a21/send'), 'https://example.com/hooks/[redacted]/send')
  assert.equal(redactUrl('http://127.0.0.1:3000/api/runs/2026-03-01'), 'http://127.0.0.1:3000/api/runs/2026-03-01')
})

test('redact: URLs inside messages, malformed ones, query values outside URLs, and given secrets', () => {
  assert.equal(redact('Failed to parse URL from https://user:pw@bad host/x?token=1'), 'Failed to parse URL from https://[redacted]@bad host/x?token=[redacted]')
  assert.equal(redact('Request cannot be constructed from a URL that includes credentials: http://user:pw@example.com/x'),
    'Request cannot be constructed from a URL that includes credentials: http://[redacted]@example.com/x')
  assert.equal(redact('Failed to parse URL from hooks.slack.com/services/T0/B0/SECRET', ['hooks.slack.com/services/T0/B0/SECRET']), 'Failed to parse URL from [redacted]')
  assert.equal(redact('postgres://app:hunter2@db:5432/prod refused'), 'postgres://[redacted]@db:5432/prod refused')
  assert.equal(redact('token tok-123 in a path', ['tok-123']), 'token [redacted] in a path')
  assert.equal(redact('nothing secret here: raw/orders failed'), 'nothing secret here: raw/orders failed')
})
