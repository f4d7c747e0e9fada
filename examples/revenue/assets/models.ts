import { eager, notNull, rowCount, sqlAsset, unique } from 'tributary-orchestrator'

/** Paid revenue per month. Reads only payments, so a late CRM export never holds it back. */
export const revenue = sqlAsset({
  key: 'marts/revenue',
  description: 'Paid revenue per month, net of refunds.',
  owner: 'team:finance-analytics',
  group: 'marts',
  kind: 'model',
  tags: ['finance'],
  freshness: { deadline: '07:00', timezone: 'Europe/London' },
  sql: `
    select date_trunc('month', paid_at) as month,
           sum(case when status = 'paid' then amount else -amount end) as revenue,
           count(distinct account_id) as paying_accounts
    from raw.payments
    group by 1
    order by 1`,
  checks: [rowCount({ min: 1 }), unique('month')],
})

/** Open pipeline per segment. */
export const pipeline = sqlAsset({
  key: 'marts/pipeline',
  description: 'Open pipeline value per customer segment.',
  owner: 'team:sales-analytics',
  freshness: { deadline: '07:00', timezone: 'Europe/London' },
  automation: eager(),
  group: 'marts',
  kind: 'model',
  sql: `
    select a.segment, sum(o.amount) as open_pipeline, count(*) as open_opportunities
    from raw.opportunities o join raw.accounts a using (account_id)
    where o.stage = 'open'
    group by 1`,
  checks: [rowCount({ min: 1 }), notNull('segment')],
})

/** Accounts that paid before but not in the last 45 days. */
export const churn = sqlAsset({
  key: 'marts/churn',
  description: 'Accounts whose last payment is more than 45 days before the latest payment date.',
  owner: 'team:finance-analytics',
  group: 'marts',
  kind: 'model',
  sql: `
    with last_paid as (
      select account_id, max(paid_at) as last_paid_at from raw.payments where status = 'paid' group by 1
    ), latest as (select max(paid_at) as day from raw.payments)
    select l.account_id, l.last_paid_at
    from last_paid l, latest
    where l.last_paid_at < latest.day - interval 45 day`,
})

/** Revenue growth per segment: this month against last month. */
export const expansion = sqlAsset({
  key: 'marts/expansion',
  description: 'Month-over-month revenue change per customer segment.',
  owner: 'team:sales-analytics',
  freshness: { deadline: '07:00', timezone: 'Europe/London' },
  automation: eager(),
  group: 'marts',
  kind: 'model',
  sql: `
    with monthly as (
      select a.segment, date_trunc('month', p.paid_at) as month, sum(p.amount) as revenue
      from raw.payments p join raw.accounts a using (account_id)
      where p.status = 'paid'
      group by 1, 2
    )
    select segment, month, revenue,
           revenue - lag(revenue) over (partition by segment order by month) as change
    from monthly`,
})
