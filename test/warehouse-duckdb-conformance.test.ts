import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDbWarehouse } from '../src/warehouse/duckdb/index.js'
import { warehouseConformance } from './warehouse-conformance.js'

warehouseConformance('duckdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-wh-duckdb-'))
  const path = join(dir, 'warehouse.duckdb')
  return {
    open: () => DuckDbWarehouse.open(path),
    child: { module: new URL('../src/warehouse/duckdb/index.ts', import.meta.url).href, expression: `m.DuckDbWarehouse.open(${JSON.stringify(path)})` },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
})
