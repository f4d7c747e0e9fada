import { createHash } from 'node:crypto'
import type { AnyNode } from '../model/asset.js'
import { tryParseDuration } from '../model/duration.js'
import { DefinitionError, ErrorCode, TributaryError, type ErrorCodeValue } from '../model/errors.js'
import { deadlineProblem, isValidTimezone } from '../model/freshness.js'
import type { ProjectDefinition } from '../model/project.js'
import { contractProblems } from '../model/contract.js'
import { validateDeployment } from '../model/deployment.js'
import { describeUnknownField } from '../model/unknown-fields.js'
import { redactUrl } from '../model/redact.js'
import { unknownNodeFields, unknownProjectFields } from './known-fields.js'
import { analyzerFor, type AnalyzeOptions } from '../sql/referenced-tables.js'
import { AssetGraph, relationOfKey, type GraphNode, type Relation } from './asset-graph.js'
import { findCycle } from './cycle.js'
import { compileGlob } from './file-glob.js'
import { partitionsOf, resolveMappings, validatePartitions } from './partition-rules.js'
import { validateSchedulePartitions, validateSchedules } from './schedule-rules.js'
import { sqlDependencies } from './sql-dependencies.js'

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\/[A-Za-z_][A-Za-z0-9_-]*)*$/
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The outcome of validating a project: the graph when it is sound, and every problem found. */
export interface GraphBuild {
  readonly graph: AssetGraph | undefined
  readonly problems: readonly DefinitionError[]
}

/**
 * Validates every definition of the project and builds its graph; never throws for bad definitions.
 * SQL is analysed by the warehouse's parser in one batch (`options.cacheFile` keeps it warm across processes).
 */
export function buildGraph(project: ProjectDefinition, options: AnalyzeOptions = {}): GraphBuild {
  const problems: DefinitionError[] = []
  const problem = (code: ErrorCodeValue, assetKey: string | undefined, message: string, hint: string) =>
    problems.push(new DefinitionError(code, message, { hint, context: assetKey ? { assetKey } : {} }))

  if (!project || (project as { type?: string }).type !== 'project') {
    problem(ErrorCode.InvalidDefinition, undefined, 'the config does not export a project', "Make tributary.config.ts `export default defineProject({ name, assets })`.")
    return { graph: undefined, problems }
  }
  for (const unknown of unknownProjectFields(project)) {
    const { message, hint } = describeUnknownField(unknown)
    problem(ErrorCode.UnknownDefinitionField, undefined, message, hint)
  }
  validateSettings(project, problem)
  validateSchedules(project, problem)
  validateDeployment(project, problem)
  const byKey = new Map<string, AnyNode>()
  for (const [index, def] of (project.assets ?? []).entries()) {
    if (!def || typeof def !== 'object' || !['asset', 'sql', 'source'].includes((def as { type?: string }).type ?? '')) {
      problem(ErrorCode.InvalidDefinition, undefined, `assets[${index}] is not an asset or source definition`, 'Build each entry with defineAsset, sqlAsset or defineSource.')
      continue
    }
    if (typeof def.key !== 'string' || !KEY.test(def.key)) {
      problem(ErrorCode.InvalidKey, String(def.key), `asset key ${JSON.stringify(def.key)} is not valid`, "Use '/'-separated segments of letters, digits, '_' and '-', e.g. 'raw/payments'.")
      continue
    }
    if (byKey.has(def.key)) {
      problem(ErrorCode.DuplicateKey, def.key, `asset key ${def.key} is declared twice`, 'Give each asset and source its own key, or remove the duplicate from the project.')
      continue
    }
    byKey.set(def.key, def)
    for (const unknown of unknownNodeFields(def)) {
      const { message, hint } = describeUnknownField(unknown)
      problem(ErrorCode.UnknownDefinitionField, def.key, message, hint)
    }
  }

  const relationIndex = new Map<string, string>()
  const relations = new Map<string, Relation | undefined>()
  for (const [key, def] of byKey) {
    const relation = nodeRelation(def)
    relations.set(key, relation)
    if (def.type !== 'source' && def.io === 'table') {
      if (!relation || !IDENTIFIER.test(relation.schema) || !IDENTIFIER.test(relation.name)) {
        problem(ErrorCode.InvalidKey, key, `table asset key ${key} does not map to a warehouse table`, "A table asset's key is 'schema/table' or 'table', each part letters, digits and '_'.")
        continue
      }
    }
    if (relation) {
      // DuckDB folds identifier case, so raw/Payments and raw/payments would be the same table.
      const id = `${relation.schema}.${relation.name}`.toLowerCase()
      const other = relationIndex.get(id)
      if (other !== undefined) {
        problem(ErrorCode.DuplicateKey, key, `${key} maps to the same warehouse table ${id} as ${other}`, 'Give each asset and table source its own table (keys are compared without case).')
        continue
      }
      relationIndex.set(id, key)
    }
  }

  const upstream = new Map<string, string[]>()
  // The warehouse's own parser: PostgreSQL's when the project's warehouse is PostgreSQL and its parser is loaded.
  const analysis = options.analyzer ? options : { ...options, analyzer: analyzerFor(project.warehouse?.type ?? 'duckdb') }
  const sqlDeps = sqlDependencies(byKey, relationIndex, analysis, problems, problem)
  // [checked asset, asset its check reads]: ordering hints, not lineage (see orderCheckReferences).
  const checkRefs: [string, string][] = []
  for (const [key, def] of byKey) {
    const deps = new Set<string>()
    validateMetadata(def, project, problem)
    validatePartitions(def, problem)
    if (def.type === 'asset') {
      if (typeof def.materialize !== 'function') problem(ErrorCode.InvalidDefinition, key, `asset ${key} has no materialize function`, 'Give defineAsset a `materialize(inputs, ctx)` function.')
      for (const [name, input] of Object.entries(def.ins ?? {})) {
        const inputKey = (input as AnyNode | undefined)?.key
        if (typeof inputKey !== 'string' || byKey.get(inputKey) === undefined) {
          problem(ErrorCode.UnknownDependency, key, `asset ${key} reads ins.${name} (${inputKey ?? 'undefined'}), which is not in the project`, 'Add that asset or source to defineProject({ assets }), or fix the import.')
        } else deps.add(inputKey)
      }
    } else if (def.type === 'sql') {
      if (typeof def.sql !== 'string' || def.sql.trim() === '') {
        problem(ErrorCode.InvalidDefinition, key, `SQL asset ${key} has no SQL`, 'Give sqlAsset a `sql` SELECT statement.')
      }
      for (const dep of sqlDeps.get(key) ?? []) deps.add(dep)
    }
    for (const check of checksOf(def)) {
      if (!check || !Array.isArray(check.references)) continue
      for (const ref of check.references) {
        if (!byKey.has(ref)) problem(ErrorCode.InvalidCheck, key, `check ${check.name} on ${key} refers to ${ref}, which is not in the project`, 'Point the check at an asset of this project.')
        else if (ref !== key && !deps.has(ref)) checkRefs.push([key, ref])
      }
    }
    upstream.set(key, [...deps].sort())
  }
  orderCheckReferences(upstream, checkRefs)

  const cycle = findCycle([...byKey.keys()].sort(), (key) => upstream.get(key) ?? [])
  if (cycle) {
    problem(ErrorCode.Cycle, cycle[0], `dependency cycle: ${cycle.join(' → ')}`, 'Break the cycle: an asset cannot read, directly or indirectly, its own output.')
  }
  const mappings = new Map([...byKey].map(([key, def]) => [key, resolveMappings(def, upstream.get(key)!, byKey, problem)]))
  if (problems.length > 0) return { graph: undefined, problems }

  const downstream = new Map<string, string[]>([...byKey.keys()].map((key) => [key, []]))
  for (const [key, deps] of upstream) for (const dep of deps) downstream.get(dep)!.push(key)
  const nodes = new Map<string, GraphNode>()
  for (const [key, def] of byKey) {
    nodes.set(key, Object.freeze({
      key,
      def,
      upstream: upstream.get(key)!,
      downstream: downstream.get(key)!.sort(),
      relation: relations.get(key),
      codeVersion: codeVersion(def),
      partitions: partitionsOf(def),
      partitionMappings: mappings.get(key)!,
    }))
  }
  const graph = new AssetGraph(nodes, topologicalOrder(nodes))
  validateSchedulePartitions(graph, project, problem)
  return problems.length > 0 ? { graph: undefined, problems } : { graph, problems }
}

/** Builds the graph or throws the first problem (callers that want all problems use buildGraph). */
export function buildGraphOrThrow(project: ProjectDefinition, options: AnalyzeOptions = {}): AssetGraph {
  const { graph, problems } = buildGraph(project, options)
  if (!graph) throw problems[0] ?? new TributaryError(ErrorCode.InvalidDefinition, 'the project is invalid')
  return graph
}

/**
 * A check that reads another asset (relationships) is no build dependency: the asset is built
 * from its inputs, not from what its check compares against. The referenced asset is still
 * ordered first when it can be, so the check sees its newest version; when it reads the checked
 * asset itself (directly or not), ordering it first would be a cycle, so the check reads its
 * last published version instead.
 */
function orderCheckReferences(upstream: Map<string, string[]>, checkRefs: readonly [string, string][]): void {
  const reaches = (from: string, target: string): boolean => {
    const seen = new Set([from])
    const pending = [from]
    while (pending.length > 0) {
      for (const next of upstream.get(pending.pop()!) ?? []) {
        if (next === target) return true
        if (!seen.has(next)) {
          seen.add(next)
          pending.push(next)
        }
      }
    }
    return false
  }
  for (const [key, ref] of checkRefs) {
    const deps = upstream.get(key) ?? []
    if (deps.includes(ref) || reaches(ref, key)) continue
    upstream.set(key, [...deps, ref].sort())
  }
}

function nodeRelation(def: AnyNode): Relation | undefined {
  if (def.type === 'source') {
    if (def.observe?.type !== 'table') return undefined
    const [schema, name, extra] = def.observe.relation.split('.')
    return name && !extra ? { schema: schema!, name } : schema && !name ? { schema: 'main', name: schema } : undefined
  }
  return def.io === 'table' ? relationOfKey(def.key) : undefined
}

function validateMetadata(def: AnyNode, project: ProjectDefinition, problem: (code: ErrorCodeValue, key: string, message: string, hint: string) => void): void {
  const key = def.key
  const duration = (value: unknown, field: string) => {
    if (value !== undefined && tryParseDuration(value as string) === undefined) {
      problem(ErrorCode.InvalidDuration, key, `${field} of ${key} is ${JSON.stringify(value)}, which is not a duration`, "Write a number and a unit (ms, s, m, h, d, w), e.g. '26h' or '1h30m'.")
    }
  }
  const freshness = def.freshness
  if (freshness) {
    duration(freshness.maxAge, 'freshness.maxAge')
    const deadlineIssue = freshness.deadline === undefined ? undefined : typeof freshness.deadline === 'string' ? deadlineProblem(freshness.deadline, freshness.timezone) : 'not a string'
    if (deadlineIssue) {
      problem(ErrorCode.InvalidDeadline, key, `freshness.deadline of ${key} is ${JSON.stringify(freshness.deadline)}: ${deadlineIssue}`, "Write a 24-hour local time 'HH:MM' (every day), e.g. '07:00', or a cron expression such as '0 7 * * 1-5' (weekdays at 07:00).")
    }
    if (freshness.timezone !== undefined && !isValidTimezone(freshness.timezone)) {
      problem(ErrorCode.InvalidTimezone, key, `freshness.timezone of ${key} is ${JSON.stringify(freshness.timezone)}, which is not a known time zone`, "Use an IANA name such as 'Europe/London' or 'UTC'.")
    }
    if (freshness.maxAge === undefined && freshness.deadline === undefined) {
      problem(ErrorCode.InvalidDefinition, key, `freshness of ${key} sets neither maxAge nor deadline`, "Give it maxAge: '26h', or deadline: '07:00' with a timezone.")
    }
  }
  if (def.type === 'source') {
    const observe = def.observe as { type?: string; pattern?: unknown; relation?: unknown } | undefined
    if (!observe || (observe.type === 'files' ? typeof observe.pattern !== 'string' || observe.pattern === '' : observe.type !== 'table' || typeof observe.relation !== 'string')) {
      problem(ErrorCode.InvalidDefinition, key, `source ${key} has no valid observe`, "Use observe: files('landing/crm/*.csv') or observe: table('replica.accounts').")
    } else if (observe.type === 'files') {
      // Checked here so a glob that is too long or expands too far fails validation, not every observation.
      try {
        compileGlob(observe.pattern as string)
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error
        problem(error.code, key, `files pattern of ${key}: ${error.detail}`, error.hint ?? '')
      }
    }
  } else {
    duration(def.timeout, 'timeout')
    duration(def.readinessTimeout, 'readinessTimeout')
    if (def.pool !== undefined && !Object.hasOwn(project.pools ?? {}, def.pool)) {
      problem(ErrorCode.UnknownPool, key, `${key} uses pool ${JSON.stringify(def.pool)}, which the project does not define`, `Add it to defineProject({ pools: { ${def.pool}: 4 } }) or remove pool.`)
    }
    const retry = def.retry
    if (retry) {
      if (retry.attempts !== undefined && (!Number.isInteger(retry.attempts) || retry.attempts < 1)) problem(ErrorCode.InvalidRetry, key, `retry.attempts of ${key} must be a whole number ≥ 1, got ${retry.attempts}`, 'attempts counts the first try: 3 means up to two retries.')
      if (retry.factor !== undefined && !(retry.factor >= 1)) problem(ErrorCode.InvalidRetry, key, `retry.factor of ${key} must be ≥ 1, got ${retry.factor}`, 'Use 2 to double the delay each time.')
      if (retry.jitter !== undefined && !(retry.jitter >= 0 && retry.jitter <= 1)) problem(ErrorCode.InvalidRetry, key, `retry.jitter of ${key} must be between 0 and 1, got ${retry.jitter}`, '0.2 spreads each delay by ±20%.')
      duration(retry.initialDelay, 'retry.initialDelay')
      duration(retry.maxDelay, 'retry.maxDelay')
    }
  }
  for (const message of contractProblems(def.contract)) {
    problem(ErrorCode.InvalidContract, key, `contract of ${key}: ${message}`, "Write contract: { columns: { id: { type: 'integer', nullable: false }, name: 'varchar' } } (see docs/change-safety.md#contracts).")
  }
  const names = new Set<string>()
  if (def.checks !== undefined && !Array.isArray(def.checks)) {
    problem(ErrorCode.InvalidCheck, key, `checks of ${key} must be an array`, 'Write checks: [unique(\'id\')], even for one check.')
  }
  for (const check of checksOf(def)) {
    if (!check || typeof check.name !== 'string') {
      problem(ErrorCode.InvalidCheck, key, `a check on ${key} is not a check definition`, 'Build checks with the check functions: unique(), notNull(), check(), …')
      continue
    }
    for (const message of check.problems) problem(ErrorCode.InvalidCheck, key, `check ${check.name} on ${key}: ${message}`, 'Fix the check arguments; see docs/checks.md.')
    if (names.has(check.name)) problem(ErrorCode.InvalidCheck, key, `two checks on ${key} are both named ${check.name}`, 'Give one of them a distinct `name` option.')
    names.add(check.name)
  }
}

function validateSettings(project: ProjectDefinition, problem: (code: ErrorCodeValue, key: string | undefined, message: string, hint: string) => void): void {
  if (project.concurrency !== undefined && !(Number.isInteger(project.concurrency) && project.concurrency >= 1)) {
    problem(ErrorCode.InvalidSettings, undefined, `concurrency must be a whole number ≥ 1, got ${project.concurrency}`, 'Set concurrency: 4 (the default) or another positive whole number.')
  }
  for (const [name, limit] of Object.entries(project.pools ?? {})) {
    if (!(Number.isInteger(limit) && limit >= 1)) problem(ErrorCode.InvalidSettings, undefined, `pool ${name} has limit ${limit}; it must be a whole number ≥ 1`, `Set pools: { ${name}: 2 }.`)
  }
  for (const field of ['readinessTimeout', 'readinessPollInterval', 'stepTimeout'] as const) {
    const value = project[field]
    if (value !== undefined && tryParseDuration(value) === undefined) problem(ErrorCode.InvalidDuration, undefined, `${field} is ${JSON.stringify(value)}, which is not a duration`, "Write a number and a unit, e.g. '1m' or '2s'.")
  }
  validateOpenLineage(project, problem)
  const workers = project.workers ?? {}
  if (workers.maxHeapMb !== undefined && !(Number.isInteger(workers.maxHeapMb) && workers.maxHeapMb >= 16)) {
    problem(ErrorCode.InvalidSettings, undefined, `workers.maxHeapMb must be a whole number of MB ≥ 16, got ${workers.maxHeapMb}`, 'Set workers: { maxHeapMb: 2048 }, or leave it out for Node\'s own limit.')
  }
  if (workers.killGrace !== undefined && tryParseDuration(workers.killGrace) === undefined) {
    problem(ErrorCode.InvalidDuration, undefined, `workers.killGrace is ${JSON.stringify(workers.killGrace)}, which is not a duration`, "Write a number and a unit, e.g. '2s'.")
  }
}

function validateOpenLineage(project: ProjectDefinition, problem: (code: ErrorCodeValue, key: string | undefined, message: string, hint: string) => void): void {
  const lineage = project.openLineage
  if (lineage === undefined) return
  const url = typeof lineage?.url === 'string' ? lineage.url : undefined
  if (url === undefined || !/^https?:\/\/[^/]/.test(url)) {
    problem(ErrorCode.InvalidSettings, undefined, `openLineage.url must be an http:// or https:// URL, got ${JSON.stringify(url === undefined ? lineage?.url : redactUrl(url))}`, "Set openLineage: { url: process.env.OPENLINEAGE_URL } (Marquez: 'http://marquez:5000').")
  } else if (/^https?:\/\/[^/]*@/.test(url)) {
    problem(ErrorCode.InvalidSettings, undefined, `openLineage.url ${redactUrl(url)} carries credentials, which HTTP clients refuse to send in a URL`, 'Pass the token as openLineage: { apiKey: process.env.OPENLINEAGE_API_KEY } (sent as a bearer token), and the URL without it.')
  }
  for (const field of ['endpoint', 'namespace', 'apiKey'] as const) {
    const value = (lineage as unknown as Record<string, unknown>)?.[field]
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      problem(ErrorCode.InvalidSettings, undefined, `openLineage.${field} must be a non-empty string, got ${field === 'apiKey' ? typeof value : JSON.stringify(value)}`, `Leave ${field} out for its default, or give it a string (see docs/openlineage.md).`)
    }
  }
}

function checksOf(def: AnyNode): readonly (AnyNode['checks'] & object)[number][] {
  return Array.isArray(def.checks) ? def.checks : []
}

function codeVersion(def: AnyNode): string {
  const hash = createHash('sha256')
  if (def.type === 'sql') hash.update(def.sql.replace(/\s+/g, ' ').trim())
  else if (def.type === 'asset') hash.update(def.materialize.toString())
  else hash.update(JSON.stringify(def.observe))
  if (def.type !== 'source' && def.version !== undefined) hash.update(`\0${def.version}`)
  return hash.digest('hex').slice(0, 16)
}

// Kahn's algorithm, always taking the smallest ready key so the order is stable across runs.
function topologicalOrder(nodes: ReadonlyMap<string, GraphNode>): string[] {
  const remaining = new Map<string, number>()
  for (const [key, node] of nodes) remaining.set(key, node.upstream.length)
  const ready = [...nodes.keys()].filter((key) => remaining.get(key) === 0).sort()
  const order: string[] = []
  while (ready.length > 0) {
    const key = ready.shift()!
    order.push(key)
    const released: string[] = []
    for (const child of nodes.get(key)!.downstream) {
      const left = remaining.get(child)! - 1
      remaining.set(child, left)
      if (left === 0) released.push(child)
    }
    if (released.length > 0) {
      ready.push(...released)
      ready.sort()
    }
  }
  return order
}
