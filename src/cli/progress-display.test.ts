import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProgressDisplay } from './progress-display.js'

// eslint-disable-next-line no-control-regex -- stripping ANSI colours is the point
const ANSI = /\x1b\[[0-9;]*m/g

const step = (key: string, partition: string | null, status: 'running' | 'succeeded' | 'failed') =>
  ({ type: 'step' as const, runId: 'r', key, partition, status, attempt: 1, durationMs: 5, error: status === 'failed' ? { code: 'TRB3001', message: 'boom' } : null })

test('plain output: one line per step change, partitions in brackets', () => {
  let text = ''
  const display = new ProgressDisplay((t) => (text += t), false)
  display.onEvent({ type: 'run_started', runId: 'r', total: 2 })
  display.onEvent(step('raw/p', '2026-03-01', 'running'))
  display.onEvent(step('raw/p', '2026-03-01', 'succeeded'))
  display.onEvent(step('raw/p', '2026-03-02', 'failed'))
  display.onEvent({ type: 'run_finished', runId: 'r', status: 'failed', counts: { queued: 0, waiting: 0, running: 0, succeeded: 1, failed: 1, blocked: 0, skipped: 0, canceled: 0 } })
  const lines = text.replace(ANSI, '').trim().split('\n')
  assert.equal(lines.length, 4)
  assert.match(lines[1]!, /running raw\/p \[2026-03-01\]/)
  assert.match(lines[3]!, /failed raw\/p \[2026-03-02\]\s+boom/)
  assert.doesNotMatch(text, /ETA/, 'no bar off a terminal')
})

test('on a terminal: a bar with done/total and an ETA once a step is done', () => {
  let text = ''
  const display = new ProgressDisplay((t) => (text += t), true)
  display.onEvent({ type: 'run_started', runId: 'r', total: 4 })
  display.onEvent(step('raw/p', '2026-03-01', 'running'))
  display.onEvent(step('raw/p', '2026-03-01', 'succeeded'))
  display.onEvent(step('raw/p', '2026-03-02', 'running'))
  assert.match(text.replace(ANSI, ''), /1\/4 done · ETA \S+/)
  display.onEvent({ type: 'run_finished', runId: 'r', status: 'canceled', counts: { queued: 0, waiting: 0, running: 0, succeeded: 1, failed: 0, blocked: 0, skipped: 0, canceled: 3 } })
})

test('a pause: one line says so; the steps it left unstarted are not listed one by one', () => {
  let text = ''
  const display = new ProgressDisplay((t) => (text += t), false)
  display.onEvent({ type: 'run_started', runId: 'r', total: 3 })
  display.onEvent(step('raw/p', '2026-03-01', 'running'))
  display.onEvent({ type: 'run_pausing', runId: 'r' })
  display.onEvent(step('raw/p', '2026-03-01', 'succeeded'))
  for (const day of ['02', '03']) {
    display.onEvent({ type: 'step', runId: 'r', key: 'raw/p', partition: `2026-03-${day}`, status: 'canceled', attempt: 0, reason: 'the run was paused before this step started' })
  }
  const lines = text.replace(ANSI, '').trim().split('\n')
  assert.equal(lines.length, 4, text)
  assert.match(lines[2]!, /pausing run r: the 1 running step\(s\) finish, no more start/)
  assert.doesNotMatch(text, /2026-03-02/)
})

test('a skipped step says "skipped" once, then why', () => {
  let text = ''
  const display = new ProgressDisplay((t) => (text += t), false)
  display.onEvent({ type: 'run_started', runId: 'r', total: 2 })
  display.onEvent({ type: 'step', runId: 'r', key: 'marts/m', partition: null, status: 'skipped', attempt: 0, reason: 'upstream raw/orders failed', error: { code: 'TRB3005', message: 'skipped: upstream raw/orders failed' } })
  const line = text.replace(ANSI, '').trim().split('\n').at(-1)!
  assert.match(line, /skipped marts\/m\s+upstream raw\/orders failed$/)
  assert.equal(line.match(/skipped/g)?.length, 1, line)
})
