import { acceptedValues, defineAsset, eager, notNull, relationships, schema, unique, volumeChange } from 'tributary-orchestrator'
import { crmAccounts, crmOpportunities, paymentsExport } from './sources.js'

/** Every payment ever exported: the daily files together. */
export const payments = defineAsset({
  key: 'raw/payments',
  description: 'All payments, one row per payment, loaded from the daily exports.',
  ins: { paymentsExport },
  owner: 'team:data-platform',
  group: 'raw',
  tags: ['finance'],
  pool: 'warehouse',
  retry: { attempts: 3, initialDelay: '200ms' },
  checks: [
    unique('payment_id'),
    notNull(['payment_id', 'account_id', 'amount', 'paid_at']),
    acceptedValues('status', ['paid', 'refunded']),
    schema({ payment_id: 'BIGINT', account_id: 'BIGINT', amount: 'DOUBLE', status: 'VARCHAR', paid_at: 'DATE' }),
    volumeChange({ maxDecrease: 0.2 }),
  ],
  async materialize({ paymentsExport }, ctx) {
    ctx.log.info(`loading ${paymentsExport.files.length} payment file(s)`)
    await ctx.loadCsv(paymentsExport.files)
  },
})

/** CRM accounts as of the latest snapshot. */
export const accounts = defineAsset({
  key: 'raw/accounts',
  // Rebuilt by itself as soon as a new CRM snapshot lands.
  automation: eager(),
  description: 'CRM accounts with their segment, from the latest snapshot.',
  ins: { crmAccounts },
  owner: 'team:data-platform',
  group: 'raw',
  pool: 'warehouse',
  checks: [unique('account_id'), notNull(['account_id', 'segment']), acceptedValues('segment', ['smb', 'mid_market', 'enterprise'])],
  async materialize({ crmAccounts }, ctx) {
    await ctx.loadCsv(crmAccounts.files.slice(-1))
  },
})

/** CRM opportunities as of the latest snapshot. */
export const opportunities = defineAsset({
  key: 'raw/opportunities',
  // Rebuilt by itself as soon as a new CRM snapshot lands.
  automation: eager(),
  description: 'CRM opportunities from the latest snapshot.',
  ins: { crmOpportunities },
  owner: 'team:data-platform',
  group: 'raw',
  pool: 'warehouse',
  checks: [
    unique('opportunity_id'),
    notNull('account_id'),
    acceptedValues('stage', ['open', 'won', 'lost']),
    relationships('account_id', { to: 'raw/accounts', field: 'account_id' }),
  ],
  async materialize({ crmOpportunities }, ctx) {
    await ctx.loadCsv(crmOpportunities.files.slice(-1))
  },
})
