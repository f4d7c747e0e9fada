// A stand-in for the queue executor in engine tests: whole attempts go "to workers" through the
// given methods; step code itself never runs here (the user-code methods reject).
import type { Executor } from '../../src/execution/executor.js'
import type { EngineDeps } from '../../src/engine/engine-deps.js'
import type { Tributary } from '../../src/instance/tributary.js'

export function remoteExecutor(attempts: Pick<Executor, 'runAttempt' | 'startAttempt' | 'adoptAttempt'>): Executor {
  const notHere = () => Promise.reject(new Error('step code does not run on this executor'))
  return { kind: 'queue', materialize: notHere, check: notHere, sensor: notHere, close: async () => undefined, ...attempts }
}

/** The engine deps of `instance` with `executor` (and `store`, when given, instead of its own). */
export async function remoteDeps(instance: Tributary, projectDir: string, executor: Executor, store = instance.store): Promise<EngineDeps> {
  return { graph: instance.graph, store, warehouse: await instance.warehouse(), clock: instance.clock, projectDir, stateDir: instance.stateDir, settings: instance.settings, executor }
}
