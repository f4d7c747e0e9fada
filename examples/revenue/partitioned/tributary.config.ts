import { defineProject } from 'tributary-orchestrator'
import * as assets from './assets.js'

// The revenue example, daily-partitioned: `npm run demo:backfill` backfills 90 days and repairs one.
export default defineProject({
  name: 'revenue-daily',
  assets: [assets.paymentsExport, assets.payments, assets.dailyRevenue, assets.revenue7d, assets.monthlyRevenue, assets.revenueSeries],
  concurrency: 4,
  readinessTimeout: '3s',
  readinessPollInterval: '1s',
})
