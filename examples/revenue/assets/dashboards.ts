import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defineAsset, eager } from 'tributary-orchestrator'
import { churn, expansion, pipeline, revenue } from './models.js'

/** The nightly revenue dashboard: an HTML page and a JSON extract, published together. */
export const revenueDashboard = defineAsset({
  key: 'dashboards/revenue',
  description: 'The revenue dashboard the leadership team reads every morning at 08:00.',
  ins: { revenue, pipeline, churn, expansion },
  io: 'files',
  kind: 'dashboard',
  owner: 'team:finance-analytics',
  group: 'dashboards',
  tags: ['business'],
  freshness: { deadline: '07:00', timezone: 'Europe/London' },
  // Rebuilt by itself once every input is ready again (a late CRM export landed and was loaded).
  automation: eager(),
  async materialize(inputs, ctx) {
    const read = (table: string) => ctx.warehouse.query(`select * from ${table}`)
    const extract = {
      generatedAt: new Date().toISOString(),
      revenue: await read(inputs.revenue.table),
      pipeline: await read(inputs.pipeline.table),
      churnedAccounts: (await read(inputs.churn.table)).length,
      expansion: await read(inputs.expansion.table),
    }
    await writeFile(join(ctx.outputDir, 'revenue.json'), JSON.stringify(extract, null, 2))
    await writeFile(join(ctx.outputDir, 'index.html'), page(extract))
    ctx.log.info(`dashboard written with ${extract.revenue.length} months of revenue`)
  },
})

function page(extract: { generatedAt: string; revenue: Record<string, unknown>[]; pipeline: Record<string, unknown>[]; churnedAccounts: number }): string {
  const rows = (items: Record<string, unknown>[]) => items.map((item) => `<tr>${Object.values(item).map((v) => `<td>${escape(String(v))}</td>`).join('')}</tr>`).join('')
  return `<!doctype html><meta charset="utf-8"><title>Revenue</title>
<style>body{font:15px system-ui;margin:2rem;color:#1f2933}table{border-collapse:collapse}td{padding:.25rem .75rem;border-bottom:1px solid #e4e7eb}</style>
<h1>Revenue</h1><p>Generated ${escape(extract.generatedAt)} · churned accounts: ${extract.churnedAccounts}</p>
<h2>Monthly revenue</h2><table>${rows(extract.revenue)}</table>
<h2>Open pipeline</h2><table>${rows(extract.pipeline)}</table>`
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}
