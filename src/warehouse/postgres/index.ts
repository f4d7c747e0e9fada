export { PostgresWarehouse } from './postgres-warehouse.js'
