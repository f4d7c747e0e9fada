import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

const CONFIG = `import { defineProject, duckdb } from 'tributary-orchestrator'
import * as assets from './assets.js'

export default defineProject({
  name: 'my-project',
  assets: Object.values(assets),
  warehouse: duckdb(), // .tributary/warehouse.duckdb
})
`

const ASSETS = `import { defineAsset, defineSource, files, notNull, rowCount, sqlAsset, unique } from 'tributary-orchestrator'

/** Order exports dropped into landing/ by another system. */
export const orderExport = defineSource({
  key: 'landing/orders',
  owner: 'team:sales',
  observe: files('landing/orders*.csv'),
  freshness: { maxAge: '26h' },
})

/** Orders loaded as they arrived. */
export const orders = defineAsset({
  key: 'raw/orders',
  ins: { orderExport },
  owner: 'team:data',
  checks: [unique('order_id'), notNull('amount')],
  async materialize({ orderExport }, ctx) {
    await ctx.loadCsv(orderExport.files)
  },
})

/** Revenue per day. Its upstream (raw.orders) is read from the SQL. */
export const dailyRevenue = sqlAsset({
  key: 'marts/daily_revenue',
  owner: 'team:data',
  sql: 'select ordered_on, sum(amount) as revenue from raw.orders group by 1',
  checks: [rowCount({ min: 1 })],
})
`

const ORDERS = 'order_id,ordered_on,amount\n1,2026-01-01,120.50\n2,2026-01-01,80.00\n3,2026-01-02,42.10\n'

/** `tributary init [dir]`: scaffolds a small working project. */
export default defineCommand({
  name: 'init',
  summary: 'create a small working project (config, assets, sample data)',
  usage: 'tributary init [dir] [--force]',
  help: '  --force   overwrite existing files\n\nThen: cd dir && tributary materialize && tributary status',
  options: { force: { type: 'boolean' } },
  async run(ctx) {
    const dir = ctx.positionals[0] ? join(ctx.projectDir, ctx.positionals[0]) : ctx.projectDir
    const targets = [['tributary.config.ts', CONFIG], ['assets.ts', ASSETS], ['landing/orders.csv', ORDERS], ['.gitignore', '.tributary/\n']] as const
    const existing = targets.filter(([name]) => existsSync(join(dir, name))).map(([name]) => name)
    if (existing.length > 0 && !ctx.values.force) {
      ctx.err(`${style.red('TRB6001')} ${dir} already has ${existing.join(', ')}\n        ${style.dim('hint: choose an empty directory, or pass --force to overwrite')}`)
      return Exit.Usage
    }
    for (const [name, content] of targets) {
      await mkdir(join(dir, name, '..'), { recursive: true })
      await writeFile(join(dir, name), content)
    }
    ctx.out(`${style.green('✓')} created a Tributary project in ${dir}\n\n  cd ${dir}\n  tributary validate\n  tributary materialize\n  tributary status`)
    return Exit.Ok
  },
})
