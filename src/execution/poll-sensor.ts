import { startTimer, type Clock } from '../engine/clock.js'
import type { SensorResult } from '../model/automation.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import type { Executor, PollSensor, StepHost } from './executor.js'
import { InProcessExecutor } from './in-process-executor.js'

/** How long a sensor's poll may take on an executor that can stop it. */
export class SensorTimeoutError extends TributaryError {
  override readonly name = 'SensorTimeoutError'
  constructor(sensor: string, timeoutMs: number) {
    super(ErrorCode.StepTimeout, `sensor ${sensor} polled longer than ${timeoutMs}ms`, {
      retryable: true, hint: 'Make the poll faster (it runs every tick), or raise the project\'s stepTimeout.',
    })
  }
}

// A poll has no warehouse and no step log: what it prints stays in its worker.
const SENSOR_HOST: StepHost = {
  warehouse: () => Promise.reject(new Error('sensors have no warehouse session')),
  log: () => undefined,
}

/**
 * Calls a polling sensor's function on `executor` (in a worker with the pool), stopped after
 * `timeoutMs` on `clock` (its worker killed when it does not stop). In-process, the poll runs as
 * before: directly, without a limit, since nothing could stop it anyway.
 */
export async function pollSensor(executor: Executor, sensor: PollSensor, cursor: string | null, clock: Clock, timeoutMs: number): Promise<SensorResult> {
  if (executor instanceof InProcessExecutor) return sensor.poll(cursor)
  const controller = new AbortController()
  const cancel = startTimer(clock, timeoutMs, () => controller.abort(new SensorTimeoutError(sensor.name, timeoutMs)))
  try {
    return await executor.sensor({ kind: 'sensor', sensorName: sensor.name, cursor }, sensor, SENSOR_HOST, controller.signal)
  } finally {
    cancel()
  }
}
