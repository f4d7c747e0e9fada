export { DuckDbWarehouse } from './duckdb-warehouse.js'
