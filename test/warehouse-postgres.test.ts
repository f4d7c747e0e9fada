import { PostgresWarehouse } from '../src/warehouse/postgres/index.js'
import { postgresWarehouse } from '../src/warehouse/warehouse-config.js'
import { createDatabase } from './helpers/postgres-database.js'
import { warehouseConformance } from './warehouse-conformance.js'

warehouseConformance('postgres', async () => {
  const database = await createDatabase()
  const config = postgresWarehouse({ url: database.url })
  return {
    open: () => PostgresWarehouse.open(config),
    child: {
      module: new URL('../src/warehouse/postgres/index.ts', import.meta.url).href,
      expression: `m.PostgresWarehouse.open(${JSON.stringify(config)})`,
    },
    cleanup: () => database.drop(),
  }
})
