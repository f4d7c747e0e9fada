import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { AlertReport } from '../alerts/index.js'
import type { AutomationDaemon, TickReport } from '../automation/daemon.js'
import { ManualClock } from '../engine/clock.js'
import type { AssetStatusRecord } from '../engine/status.js'
import { createDaemon } from '../instance/daemon.js'
import { Tributary } from '../instance/tributary.js'
import { parseDuration, type Duration } from '../model/duration.js'
import type { ProjectDefinition } from '../model/project.js'
import type { IncidentRecord } from '../store/automation-store.js'

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Where simulated time starts. Default: 2026-01-01T00:00:00Z. */
  readonly start?: Date | string
  /** The project directory (its files are read and written there). Default: a new temporary directory, removed by close(). */
  readonly dir?: string
}

/** A project running on a ManualClock: land files, move time, tick the daemon, read statuses and incidents. */
export interface Simulation {
  readonly clock: ManualClock
  readonly instance: Tributary
  readonly dir: string
  /** Alerts raised, updated and resolved so far, tick by tick. */
  readonly alerts: readonly AlertReport[]
  /** Writes a file in the project (a source landing), stamped with the simulated time. */
  land(path: string, content: string): Promise<void>
  /** Moves simulated time forward (`'30m'`, `'2h'`, or milliseconds). */
  advance(by: Duration): void
  /** Moves simulated time to an instant. */
  set(to: Date | string): void
  /** One daemon tick at the simulated time; waits for the runs it starts. */
  tick(): Promise<TickReport>
  /** Ticks every `every` until `until` (inclusive), returning each report. */
  runUntil(until: Date | string, every: Duration): Promise<TickReport[]>
  status(selection?: string): Promise<AssetStatusRecord[]>
  incidents(): Promise<IncidentRecord[]>
  /** Closes the instance; removes the directory when simulate() made it. */
  close(): Promise<void>
}

const ms = (by: Duration) => parseDuration(by)

/**
 * Runs `project` against a ManualClock, with the daemon (schedules, sensors, conditions, SLAs,
 * alerts) driven one tick at a time: simulate a night — a source landing late, a deadline
 * passing — in a test, in milliseconds.
 */
export async function simulate(project: ProjectDefinition, options: SimulationOptions = {}): Promise<Simulation> {
  const owned = options.dir === undefined
  const dir = options.dir ? resolve(options.dir) : await mkdtemp(join(tmpdir(), 'tributary-sim-'))
  const clock = new ManualClock(options.start ?? '2026-01-01T00:00:00Z')
  const instance = await Tributary.open({ projectDir: dir, project, clock })
  const alerts: AlertReport[] = []
  let daemon: AutomationDaemon
  try {
    daemon = await createDaemon(() => instance, { clock, waitForRuns: true, holder: 'simulation', onTick: (_report, alert) => void alerts.push(alert) })
  } catch (error) {
    await instance.close()
    throw error
  }
  const tick = () => daemon.runOnce()
  return {
    clock, instance, dir, alerts, tick,
    async land(path, content) {
      const file = resolve(dir, path)
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, content)
      await utimes(file, clock.now(), clock.now())
    },
    advance: (by) => clock.advance(ms(by)),
    set: (to) => clock.set(to),
    async runUntil(until, every) {
      const reports: TickReport[] = []
      const end = new Date(until).getTime()
      for (; clock.now().getTime() <= end; clock.advance(ms(every))) reports.push(await tick())
      return reports
    },
    status: (selection) => instance.status(selection),
    incidents: async () => (await instance.automation()).listIncidents(),
    async close() {
      await instance.close()
      if (owned) await rm(dir, { recursive: true, force: true })
    },
  }
}
