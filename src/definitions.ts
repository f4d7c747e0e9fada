// `tributary-orchestrator/definitions`: what a project's config and asset files use to define
// things (assets, sources, partitions, automation, checks, store and warehouse settings, errors,
// clocks), without the engine, the stores or the server behind the package root. The same
// functions and classes as the root exports (the same modules), so either import works; this one
// loads in a fraction of the time. A compiled config whose imports from the package are all
// among these names imports this entry instead of the root (see config-bundle.ts), which is what
// makes a worker process start fast.
export { defineAsset, sqlAsset } from './model/asset.js'
export { defineSource, files, table } from './model/source.js'
export { defineProject, duckdb } from './model/project.js'
export {
  allPartitions, dailyPartitions, hourlyPartitions, identity, monthlyPartitions, partitionKeys, staticPartitions, weeklyPartitions, window, windowOf,
} from './model/partitions.js'
export { and, defineSchedule, eager, fileSensor, not, onCron, onMissing, or, pollSensor, webhookSensor } from './model/automation.js'
export { postgres, sqlite } from './store/store-config.js'
export { postgresWarehouse } from './warehouse/warehouse-config.js'
export { pool, queue } from './execution/executor-config.js'
export { AssetExecutionError, DefinitionError, ErrorCode, SelectionError, TributaryError } from './model/errors.js'
export { acceptedValues, check, customSql, metricChange, metricRange, notNull, recency, reconcile, relationships, rowCount, schema, unique, volumeChange } from './checks/builtins.js'
export { ManualClock, systemClock } from './engine/clock.js'
export { ConfigError, ProjectInvalidError } from './instance/config-error.js'
// Every type of the package root, so code written against either entry type-checks the same.
export type * from './index.js'
