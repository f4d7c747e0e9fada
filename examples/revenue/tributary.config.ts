import { defineProject, duckdb } from 'tributary'
import * as dashboards from './assets/dashboards.js'
import * as models from './assets/models.js'
import * as raw from './assets/raw.js'
import * as sources from './assets/sources.js'

export default defineProject({
  name: 'revenue',
  assets: [...Object.values(sources), ...Object.values(raw), ...Object.values(models), ...Object.values(dashboards)],
  warehouse: duckdb(), // .tributary/warehouse.duckdb
  concurrency: 4,
  pools: { warehouse: 2 },
  // A late export should fail fast in the demo; production projects wait longer (default: 1m).
  readinessTimeout: '3s',
  readinessPollInterval: '1s',
})
