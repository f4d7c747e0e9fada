import type { AssetDefinition, SqlAssetDefinition } from '../model/asset.js'
import type { ScheduleDefinition, SensorDefinition } from '../model/automation.js'
import type { NodeMetadata, ProducedMetadata } from '../model/common.js'
import type { FreshnessPolicy } from '../model/freshness.js'
import type { OpenLineageConfig } from '../lineage/openlineage.js'
import type { ProjectDefinition } from '../model/project.js'
import type { RetryPolicy } from '../model/retry.js'
import type { SourceDefinition } from '../model/source.js'
import { unknownOf, type UnknownField } from '../model/unknown-fields.js'

// The fields each definition takes. A config is loaded without a type check, so a misspelt or
// foreign field (`deps`, as Dagster spells inputs) would otherwise be dropped without a word and
// change what runs. `satisfies` keeps each list equal to its type: a field added to a type and not
// here, or here and not in the type, fails the typecheck.
const NODE = {
  key: true, owner: true, description: true, group: true, tags: true, kind: true, freshness: true, checks: true, contract: true,
} as const satisfies Record<keyof NodeMetadata, true>
const PRODUCED = {
  ...NODE, retry: true, timeout: true, pool: true, version: true, readinessTimeout: true, automation: true, partitions: true, partitionColumn: true,
} as const satisfies Record<keyof ProducedMetadata, true>

const ASSET = { ...PRODUCED, type: true, ins: true, io: true, partitionMappings: true, materialize: true } as const satisfies Record<keyof AssetDefinition, true>
const SQL_ASSET = { ...PRODUCED, type: true, io: true, sql: true, partitionMappings: true } as const satisfies Record<keyof SqlAssetDefinition, true>
const SOURCE = { ...NODE, type: true, observe: true } as const satisfies Record<keyof SourceDefinition, true>
const PROJECT = {
  type: true, name: true, assets: true, warehouse: true, store: true, executor: true, concurrency: true, pools: true, readinessTimeout: true,
  readinessPollInterval: true, stepTimeout: true, stateDir: true, schedules: true, sensors: true, alerts: true, remediation: true, workers: true, openLineage: true,
} as const satisfies Record<keyof ProjectDefinition, true>
const SCHEDULE = {
  type: true, name: true, cron: true, timezone: true, selection: true, catchUp: true, maxCatchUp: true, partition: true,
} as const satisfies Record<keyof ScheduleDefinition, true>
type Sensor<K extends SensorDefinition['kind']> = Extract<SensorDefinition, { kind: K }>
const SENSOR = {
  files: { type: true, kind: true, name: true, selection: true, pattern: true } satisfies Record<keyof Sensor<'files'>, true>,
  poll: { type: true, kind: true, name: true, selection: true, poll: true } satisfies Record<keyof Sensor<'poll'>, true>,
  webhook: { type: true, kind: true, name: true, selection: true, secretEnv: true } satisfies Record<keyof Sensor<'webhook'>, true>,
}
const OPEN_LINEAGE = { url: true, endpoint: true, namespace: true, apiKey: true } as const satisfies Record<keyof OpenLineageConfig, true>
const FRESHNESS = { maxAge: true, deadline: true, timezone: true } as const satisfies Record<keyof FreshnessPolicy, true>
const RETRY = { attempts: true, initialDelay: true, factor: true, maxDelay: true, jitter: true, retryOn: true } as const satisfies Record<keyof RetryPolicy, true>

/** The fields an asset, SQL asset or source (and its freshness and retry) does not take. */
export function unknownNodeFields(def: { readonly type: string; readonly key: string }): UnknownField[] {
  const node = def as unknown as Record<string, unknown>
  const [known, what] = def.type === 'asset' ? [ASSET, 'asset'] : def.type === 'sql' ? [SQL_ASSET, 'SQL asset'] : [SOURCE, 'source']
  // `type` and `io` are set by the define function: a user never writes `type`, so it is not offered.
  return [
    ...unknownOf(def, known, `${what} ${def.key}`, ['type']),
    ...unknownOf(node.freshness, FRESHNESS, `freshness of ${def.key}`),
    ...(def.type === 'source' ? [] : unknownOf(node.retry, RETRY, `retry of ${def.key}`)),
  ]
}

/** The fields the project, its schedules and its sensors do not take. */
export function unknownProjectFields(project: ProjectDefinition): UnknownField[] {
  return [
    ...unknownOf(project, PROJECT, 'defineProject', ['type']),
    ...unknownOf(project.openLineage, OPEN_LINEAGE, 'openLineage'),
    ...(Array.isArray(project.schedules) ? project.schedules : []).flatMap((schedule: ScheduleDefinition) => unknownOf(schedule, SCHEDULE, `schedule ${String(schedule?.name)}`, ['type'])),
    ...(Array.isArray(project.sensors) ? project.sensors : []).flatMap((sensor: SensorDefinition) =>
      Object.hasOwn(SENSOR, sensor?.kind ?? '') ? unknownOf(sensor, SENSOR[sensor.kind], `sensor ${String(sensor.name)}`, ['type', 'kind']) : []),
  ]
}
