import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  allPartitions, dailyPartitions, downstreamKeys, hourlyPartitions, identity, isPartitionKey, keyAt, keysBetween, monthlyPartitions,
  partitionKeys, previousKey, staticPartitions, upstreamKeys, weeklyPartitions, window, windowOf,
} from './partitions.js'

const iso = (key: string, def: Parameters<typeof windowOf>[0]) => {
  const w = windowOf(def, key)!
  return [w.start.toISOString(), w.end.toISOString()]
}

describe('time-window keys', () => {
  test('daily windows follow the zone, and DST days are 23 and 25 hours long', () => {
    const london = dailyPartitions({ start: '2026-01-01', timezone: 'Europe/London' })
    assert.deepEqual(iso('2026-01-15', london), ['2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z'])
    assert.deepEqual(iso('2026-07-15', london), ['2026-07-14T23:00:00.000Z', '2026-07-15T23:00:00.000Z'])
    assert.deepEqual(iso('2026-03-29', london), ['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z'], 'spring forward: 23 hours')
    assert.deepEqual(iso('2026-10-25', london), ['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z'], 'fall back: 25 hours')
    const ny = dailyPartitions({ start: '2026-01-01', timezone: 'America/New_York' })
    assert.deepEqual(iso('2026-03-08', ny), ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'])
    const kolkata = dailyPartitions({ start: '2026-01-01', timezone: 'Asia/Kolkata' })
    assert.deepEqual(iso('2026-03-01', kolkata), ['2026-02-28T18:30:00.000Z', '2026-03-01T18:30:00.000Z'])
  })

  test('hourly keys skip the hour DST removes and keep one partition for the hour it repeats', () => {
    const london = hourlyPartitions({ start: '2026-03-28', timezone: 'Europe/London' })
    const spring = keysBetween(london, '2026-03-29T00', '2026-03-29T03')!
    assert.deepEqual(spring, ['2026-03-29T00', '2026-03-29T02', '2026-03-29T03'])
    assert.equal(isPartitionKey(london, '2026-03-29T01'), false)
    assert.deepEqual(iso('2026-03-29T00', london), ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z'])
    assert.deepEqual(iso('2026-03-29T02', london), ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'])
    assert.deepEqual(iso('2026-10-25T01', london), ['2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z'], 'the repeated hour is one two-hour partition')
    assert.equal(keysBetween(london, '2026-10-25', '2026-10-25')!.length, 24, 'a 25-hour day has 24 local hours')
    assert.equal(keysBetween(london, '2026-03-29', '2026-03-29')!.length, 23)
    assert.equal(previousKey(london, '2026-03-29T02'), '2026-03-29T00')
    assert.equal(keyAt(london, new Date('2026-10-25T01:30:00Z')), '2026-10-25T01')
  })

  test('month ends, leap days and ISO weeks', () => {
    const daily = dailyPartitions({ start: '2024-01-01' })
    assert.deepEqual(keysBetween(daily, '2024-02-28', '2024-03-01'), ['2024-02-28', '2024-02-29', '2024-03-01'])
    assert.deepEqual(keysBetween(daily, '2026-02-28', '2026-03-01'), ['2026-02-28', '2026-03-01'])
    assert.equal(isPartitionKey(daily, '2026-02-29'), false)
    assert.equal(isPartitionKey(daily, '2026-02-30'), false)
    assert.equal(isPartitionKey(daily, '2023-12-31'), false, 'before start')
    assert.equal(previousKey(daily, '2024-03-01'), '2024-02-29')
    const monthly = monthlyPartitions({ start: '2024-01-01', timezone: 'Europe/Berlin' })
    assert.deepEqual(iso('2024-02', monthly), ['2024-01-31T23:00:00.000Z', '2024-02-29T23:00:00.000Z'])
    assert.deepEqual(keysBetween(monthly, '2024-11', '2025-02'), ['2024-11', '2024-12', '2025-01', '2025-02'])
    const weekly = weeklyPartitions({ start: '2026-01-01' })
    assert.equal(partitionKeys(weekly, new Date('2026-01-20T00:00:00Z'))[0], '2026-W02', 'the first whole week after start')
    assert.deepEqual(iso('2026-W09', weekly), ['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z'])
    assert.equal(isPartitionKey(weeklyPartitions({ start: '2020-01-01' }), '2020-W53'), true, '2020 has 53 ISO weeks')
    assert.equal(isPartitionKey(weeklyPartitions({ start: '2025-01-01' }), '2025-W53'), false, '2025 has 52')
    assert.equal(isPartitionKey(weekly, '2026-W53'), true, '2026 starts on a Thursday: 53')
    assert.deepEqual(keysBetween(weeklyPartitions({ start: '2020-01-01' }), '2020-W53', '2021-W01'), ['2020-W53', '2021-W01'])
  })

  test('partitions exist once their window has ended, up to end (exclusive)', () => {
    const daily = dailyPartitions({ start: '2026-03-01', end: '2026-03-05' })
    assert.deepEqual(partitionKeys(daily, new Date('2026-03-03T12:00:00Z')), ['2026-03-01', '2026-03-02'])
    assert.deepEqual(partitionKeys(daily, new Date('2027-01-01T00:00:00Z')), ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'])
    assert.equal(isPartitionKey(daily, '2026-03-05'), false)
    assert.deepEqual(keysBetween(daily, '2026-02-01', '2026-12-31'), ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'], 'clipped')
    assert.deepEqual(keysBetween(monthlyPartitions({ start: '2026-01-01' }), '2026-03-10', '2026-04-02'), ['2026-03', '2026-04'], 'dates select overlapping months')
    assert.equal(keysBetween(daily, 'yesterday', '2026-03-02'), undefined)
  })
})

describe('partition mappings', () => {
  const now = new Date('2026-04-01T00:00:00Z')
  const daily = dailyPartitions({ start: '2026-03-01' })
  const hourly = hourlyPartitions({ start: '2026-03-01' })
  const monthly = monthlyPartitions({ start: '2026-01-01' })
  const regions = staticPartitions(['eu', 'us'])

  test('identity, window with lookback and offset, and their inverses', () => {
    assert.deepEqual(upstreamKeys(identity(), daily, '2026-03-05', daily, now), ['2026-03-05'])
    assert.deepEqual(upstreamKeys(window({ lookback: 2 }), daily, '2026-03-05', daily, now), ['2026-03-03', '2026-03-04', '2026-03-05'])
    assert.deepEqual(upstreamKeys(window({ offset: -1 }), daily, '2026-03-05', daily, now), ['2026-03-04'])
    assert.deepEqual(upstreamKeys(window({ lookback: 6 }), daily, '2026-03-02', daily, now), ['2026-03-01', '2026-03-02'], 'clipped at the upstream start')
    assert.deepEqual(downstreamKeys(window({ lookback: 2 }), daily, '2026-03-05', daily, now), ['2026-03-05', '2026-03-06', '2026-03-07'])
    assert.deepEqual(downstreamKeys(window({ offset: -1 }), daily, '2026-03-05', daily, now), ['2026-03-06'])
    assert.deepEqual(downstreamKeys(window({ lookback: 2 }), daily, '2026-03-30', daily, now), ['2026-03-30', '2026-03-31'], 'only partitions that exist by now')
  })

  test('different cadences map by overlapping windows; static maps as all', () => {
    assert.equal(upstreamKeys(window(), daily, '2026-03-05', hourly, now).length, 24)
    assert.deepEqual(upstreamKeys(window(), monthly, '2026-03', daily, now).slice(0, 2), ['2026-03-01', '2026-03-02'])
    assert.equal(upstreamKeys(window(), monthly, '2026-03', daily, now).length, 31)
    assert.deepEqual(downstreamKeys(window(), daily, '2026-03-31', monthly, now), ['2026-03'])
    assert.deepEqual(downstreamKeys(window(), hourly, '2026-03-05T07', daily, now), ['2026-03-05'])
    assert.deepEqual(upstreamKeys(allPartitions(), daily, '2026-03-05', regions, now), ['eu', 'us'])
    assert.equal(downstreamKeys(allPartitions(), regions, 'eu', daily, now).length, 31)
  })

  test('windows across zones compare instants', () => {
    const tokyo = dailyPartitions({ start: '2026-03-01', timezone: 'Asia/Tokyo' })
    // Tokyo's 5 March is 4 March 15:00 UTC to 5 March 15:00 UTC: two UTC days overlap.
    assert.deepEqual(upstreamKeys(window(), tokyo, '2026-03-05', daily, now), ['2026-03-04', '2026-03-05'])
  })
})
