import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isValidTimezone, lastDeadlineBefore, parseDeadline } from './freshness.js'

const at = (iso: string) => new Date(iso)
const iso = (date: Date) => date.toISOString()

test('parseDeadline reads HH:MM as minutes after midnight', () => {
  assert.equal(parseDeadline('00:00'), 0)
  assert.equal(parseDeadline('07:00'), 420)
  assert.equal(parseDeadline('09:45'), 585)
  assert.equal(parseDeadline('23:59'), 1439)
})

test('parseDeadline rejects anything but a 24-hour HH:MM', () => {
  for (const bad of ['', '7:00', '07:0', '24:00', '25:00', '07:60', '7am', '07:00:00', ' 07:00', '07.00', 'noon']) {
    assert.equal(parseDeadline(bad), undefined, `expected ${JSON.stringify(bad)} to be rejected`)
  }
})

test('isValidTimezone knows IANA zones and rejects others', () => {
  assert.equal(isValidTimezone('UTC'), true)
  assert.equal(isValidTimezone('Europe/London'), true)
  assert.equal(isValidTimezone('America/New_York'), true)
  assert.equal(isValidTimezone('Mars/Olympus_Mons'), false)
  assert.equal(isValidTimezone('Europe/Londn'), false)
  assert.equal(isValidTimezone(''), false)
})

test('lastDeadlineBefore in UTC: today once passed, else yesterday', () => {
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T08:00:00Z'), 420, 'UTC')), '2026-07-15T07:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T06:59:59Z'), 420, 'UTC')), '2026-07-14T07:00:00.000Z')
  // "at or before now": exactly at the deadline counts as today.
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T07:00:00Z'), 420, 'UTC')), '2026-07-15T07:00:00.000Z')
  // Across a month and a year boundary.
  assert.equal(iso(lastDeadlineBefore(at('2026-03-01T01:00:00Z'), 420, 'UTC')), '2026-02-28T07:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-01-01T00:00:00Z'), 0, 'UTC')), '2026-01-01T00:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-01-01T00:00:00Z'), 1, 'UTC')), '2025-12-31T00:01:00.000Z')
})

test('lastDeadlineBefore uses the local clock of the time zone', () => {
  // Summer: London is UTC+1, so 07:00 local is 06:00Z.
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T06:30:00Z'), 420, 'Europe/London')), '2026-07-15T06:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T05:59:00Z'), 420, 'Europe/London')), '2026-07-14T06:00:00.000Z')
  // Winter: London is UTC+0.
  assert.equal(iso(lastDeadlineBefore(at('2026-01-15T07:30:00Z'), 420, 'Europe/London')), '2026-01-15T07:00:00.000Z')
  // Tokyo (UTC+9): the local date is already tomorrow.
  assert.equal(iso(lastDeadlineBefore(at('2026-06-01T10:00:00Z'), 1439, 'Asia/Tokyo')), '2026-05-31T14:59:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-06-01T23:30:00Z'), 420, 'Asia/Tokyo')), '2026-06-01T22:00:00.000Z')
  // New York (UTC-4 in summer): 02:00Z is 22:00 the day before, so 23:00 local has not come yet.
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T02:00:00Z'), 1380, 'America/New_York')), '2026-07-14T03:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-07-15T03:30:00Z'), 1380, 'America/New_York')), '2026-07-15T03:00:00.000Z')
})

test('lastDeadlineBefore across the spring DST change in London (2026-03-29)', () => {
  // The day before: GMT.
  assert.equal(iso(lastDeadlineBefore(at('2026-03-28T08:00:00Z'), 420, 'Europe/London')), '2026-03-28T07:00:00.000Z')
  // On the change day, 07:00 BST is 06:00Z.
  assert.equal(iso(lastDeadlineBefore(at('2026-03-29T08:00:00Z'), 420, 'Europe/London')), '2026-03-29T06:00:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-03-29T06:00:00Z'), 420, 'Europe/London')), '2026-03-29T06:00:00.000Z')
  // Before the deadline on the change day: yesterday's deadline, still in GMT.
  assert.equal(iso(lastDeadlineBefore(at('2026-03-29T05:30:00Z'), 420, 'Europe/London')), '2026-03-28T07:00:00.000Z')
  // The day after: BST.
  assert.equal(iso(lastDeadlineBefore(at('2026-03-30T08:00:00Z'), 420, 'Europe/London')), '2026-03-30T06:00:00.000Z')
})

test('lastDeadlineBefore across the autumn DST change in London (2026-10-25)', () => {
  // The day before: BST.
  assert.equal(iso(lastDeadlineBefore(at('2026-10-24T08:00:00Z'), 420, 'Europe/London')), '2026-10-24T06:00:00.000Z')
  // On the change day, 07:00 GMT is 07:00Z.
  assert.equal(iso(lastDeadlineBefore(at('2026-10-25T08:00:00Z'), 420, 'Europe/London')), '2026-10-25T07:00:00.000Z')
  // 06:30Z is 06:30 GMT: today's deadline has not passed yet, yesterday's was 07:00 BST.
  assert.equal(iso(lastDeadlineBefore(at('2026-10-25T06:30:00Z'), 420, 'Europe/London')), '2026-10-24T06:00:00.000Z')
  // A deadline before the change (00:30 BST = 23:30Z the evening before).
  assert.equal(iso(lastDeadlineBefore(at('2026-10-25T03:00:00Z'), 30, 'Europe/London')), '2026-10-24T23:30:00.000Z')
})

test('lastDeadlineBefore finds the first occurrence of a repeated local time', () => {
  assert.equal(iso(lastDeadlineBefore(at('2026-10-25T00:45:00Z'), 90, 'Europe/London')), '2026-10-25T00:30:00.000Z')
  assert.equal(iso(lastDeadlineBefore(at('2026-10-25T01:45:00Z'), 90, 'Europe/London')), '2026-10-25T01:30:00.000Z')
})

test('cron deadlines: the window is the last two ticks; the next is the following tick', async () => {
  const { deadlineProblem, deadlineWindow, nextDeadline } = await import('./freshness.js')
  // Weekdays at 07:00 London. Monday 2026-03-30 08:00 BST (07:00Z): the deadline is that Monday, the one before is Friday.
  const window = deadlineWindow('0 7 * * 1-5', 'Europe/London', new Date('2026-03-30T07:00:00Z'))!
  assert.equal(window.deadline.toISOString(), '2026-03-30T06:00:00.000Z')
  assert.equal(window.previous.toISOString(), '2026-03-27T07:00:00.000Z')
  assert.equal(nextDeadline('0 7 * * 1-5', 'Europe/London', new Date('2026-03-27T08:00:00Z'))!.toISOString(), '2026-03-30T06:00:00.000Z')
  assert.equal(nextDeadline('07:00', 'UTC', new Date('2026-03-02T06:00:00Z'))!.toISOString(), '2026-03-02T07:00:00.000Z')
  assert.equal(nextDeadline('07:00', 'UTC', new Date('2026-03-02T07:00:00Z'))!.toISOString(), '2026-03-03T07:00:00.000Z')
  assert.equal(deadlineProblem('0 7 * * 1-5'), undefined)
  assert.match(deadlineProblem('0 61 * * *')!, /hour|minute|Invalid/i)
  assert.match(deadlineProblem('7am')!, /HH:MM/)
})
