import { acceptedValues, dailyPartitions, defineAsset, defineSource, files, monthlyPartitions, notNull, rowCount, sqlAsset, unique, volumeChange, window } from 'tributary-orchestrator'

/** One partition per London day of the first quarter. */
export const days = dailyPartitions({ start: '2026-01-01', end: '2026-04-01', timezone: 'Europe/London' })

/** Daily payments exports from the billing system: one CSV per day, named by the day. */
export const paymentsExport = defineSource({
  key: 'landing/payments',
  owner: 'team:payments',
  observe: files('landing/payments/payments_*.csv'),
})

/** One day of payments: that day's file only. */
export const payments = defineAsset({
  key: 'raw/payments',
  ins: { paymentsExport },
  partitions: days,
  owner: 'team:data-platform',
  checks: [
    unique('payment_id'),
    notNull(['payment_id', 'account_id', 'amount', 'paid_at']),
    acceptedValues('status', ['paid', 'refunded']),
    volumeChange({ maxDecrease: 0.5 }),
  ],
  async materialize({ paymentsExport }, ctx) {
    const file = paymentsExport.files.find((path) => path.endsWith(`payments_${ctx.partition}.csv`))
    if (!file) throw new Error(`no payments export for ${ctx.partition}`)
    await ctx.loadCsv([file])
  },
})

/** Net revenue of one day. */
export const dailyRevenue = sqlAsset({
  key: 'marts/daily_revenue',
  partitions: days,
  owner: 'team:finance-analytics',
  sql: `
    select {{ partition_key }} as day,
           sum(case when status = 'paid' then amount else -amount end) as revenue,
           count(*) as payments
    from raw.payments
    where partition_key = {{ partition_key }}`,
  checks: [rowCount({ min: 1 })],
})

/** Revenue of the seven days ending on each day. */
export const revenue7d = defineAsset({
  key: 'marts/revenue_7d',
  ins: { dailyRevenue },
  partitions: days,
  partitionMappings: { dailyRevenue: window({ lookback: 6 }) },
  owner: 'team:finance-analytics',
  async materialize({ dailyRevenue }, ctx) {
    return ctx.warehouse.query(`select sum(revenue)::double as revenue_7d, count(*)::int as days from ${dailyRevenue.table}`)
  },
})

/** Net revenue of each month, from its days. */
export const monthlyRevenue = sqlAsset({
  key: 'marts/monthly_revenue',
  partitions: monthlyPartitions({ start: '2026-01-01', end: '2026-04-01', timezone: 'Europe/London' }),
  owner: 'team:finance-analytics',
  sql: `
    select sum(revenue)::double as revenue, count(*)::int as days
    from marts.daily_revenue
    -- Days are London dates and month keys read 'YYYY-MM': compare keys, not UTC instants.
    where left(day, 7) = {{ partition_key }}`,
})

/** The whole daily series for the dashboard (unpartitioned: reads every day). */
export const revenueSeries = sqlAsset({
  key: 'dashboards/revenue_series',
  owner: 'team:finance-analytics',
  sql: 'select day, revenue from marts.daily_revenue order by day',
})
