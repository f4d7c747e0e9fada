import { defineSource, files } from 'tributary-orchestrator'

/** Nightly payments export from the billing system. */
export const paymentsExport = defineSource({
  key: 'landing/payments',
  description: 'Nightly payments export (one CSV per day) dropped by the billing system.',
  owner: 'team:payments',
  group: 'landing',
  observe: files('landing/payments/payments_*.csv'),
  freshness: { maxAge: '20h' },
})

/** Nightly snapshot of CRM opportunities. */
export const crmOpportunities = defineSource({
  key: 'landing/crm_opportunities',
  description: 'Nightly snapshot of every CRM opportunity.',
  owner: 'team:crm',
  group: 'landing',
  observe: files('landing/crm/opportunities_*.csv'),
  // Due every night by 05:00 London; a snapshot older than 26 h is late at any hour.
  freshness: { deadline: '05:00', timezone: 'Europe/London', maxAge: '26h' },
})

/** Nightly snapshot of CRM accounts. */
export const crmAccounts = defineSource({
  key: 'landing/crm_accounts',
  description: 'Nightly snapshot of every CRM account with its segment.',
  owner: 'team:crm',
  group: 'landing',
  observe: files('landing/crm/accounts_*.csv'),
  freshness: { deadline: '05:00', timezone: 'Europe/London', maxAge: '26h' },
})
