// The files `tributary init` writes: a small project that runs as it is, outside any checkout.
import { PACKAGE_NAME } from '../instance/config-bundle.js'
import { VERSION } from '../version.js'

/** The config: two assets and a source, a DuckDB warehouse, and a daily schedule. */
export function configFile(name: string): string {
  return `import { defineProject, defineSchedule, duckdb } from '${PACKAGE_NAME}'
import * as assets from './assets.js'

export default defineProject({
  name: ${JSON.stringify(name)},
  assets: Object.values(assets),
  warehouse: duckdb(), // .tributary/warehouse.duckdb
  // Every asset at 06:00 UTC, fired by \`tributary daemon\`; nothing runs on inputs that are not ready.
  schedules: [defineSchedule({ name: 'daily', cron: '0 6 * * *' })],
})
`
}

/** The assets: a CSV source, the orders loaded from it (checked), and a SQL mart over them. */
export const ASSETS_FILE = `import { defineAsset, defineSource, files, notNull, rowCount, sqlAsset, unique } from '${PACKAGE_NAME}'

/** Order exports dropped into landing/ by another system. */
export const orderExport = defineSource({
  key: 'landing/orders',
  owner: 'team:sales',
  observe: files('landing/orders*.csv'),
  freshness: { maxAge: '26h' },
})

/** Orders loaded as they arrived; published only when every order_id is unique and every amount set. */
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

/** Sample data for the source. */
export const ORDERS_CSV = 'order_id,ordered_on,amount\n1,2026-01-01,120.50\n2,2026-01-01,80.00\n3,2026-01-02,42.10\n'

/** Type-checks the config and assets (`npx tsc`); Tributary itself runs them without a build step. */
export const TSCONFIG_FILE = `${JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true },
  include: ['*.ts', '**/*.ts'],
  exclude: ['node_modules', '.tributary'],
}, null, 2)}\n`

/** Lines `.gitignore` needs: the state directory and installed packages. */
export const GITIGNORE_LINES = ['.tributary/', 'node_modules/'] as const

/** The scripts a new package.json gets (existing ones are kept). */
export const SCRIPTS: Readonly<Record<string, string>> = {
  validate: 'tributary validate',
  materialize: 'tributary materialize',
  status: 'tributary status',
  daemon: 'tributary daemon',
  dev: 'tributary dev',
}

/**
 * The project's package.json: ESM ("type": "module", which the config's imports need), the package
 * as a dependency and the scripts. Fields an existing package.json already has are kept.
 */
export function packageJson(name: string, existing: Record<string, unknown> | undefined): Record<string, unknown> {
  const base = existing ?? { name, version: '0.0.0', private: true }
  const dependencies = (base.dependencies ?? {}) as Record<string, string>
  const devDependencies = (base.devDependencies ?? {}) as Record<string, string>
  const installed = PACKAGE_NAME in dependencies || PACKAGE_NAME in devDependencies
  return {
    ...base,
    type: 'module',
    scripts: { ...SCRIPTS, ...((base.scripts ?? {}) as Record<string, string>) },
    dependencies: installed ? dependencies : { ...dependencies, [PACKAGE_NAME]: `^${VERSION}` },
  }
}

/** A package name made from a directory name: lower case, npm's allowed characters. Default: my-project. */
export function projectName(dirName: string): string {
  const name = dirName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '')
  return name || 'my-project'
}
