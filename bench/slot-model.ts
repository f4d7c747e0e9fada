// The control plane's slots, modelled from a run's progress and its engine's `slot_freed` events,
// for the latency "when a slot is free": from whichever came later, a step's last upstream published
// or a slot freeing for it.
import type { ProgressEvent, Tributary } from '../src/index.js'

/**
 * The engine hands slots out in order, so the k-th step to start takes the k-th slot freed (the
 * first `concurrency` starts find theirs free). Slots free when the engine says so (`slot_freed`:
 * a local step's code ended, or a step ended); starts are the steps' `running` progress events.
 * `now` gives the times (ms). Listens to `instance` until the returned `stop` is called.
 */
export function slotModel(instance: Tributary, concurrency: number, now: () => number) {
  const slotFreeAt = new Map<string, number>()
  const startedAt = new Map<string, number>()
  const succeededAt = new Map<string, number>()
  const freeSlots: number[] = Array.from({ length: concurrency }, () => Number.NEGATIVE_INFINITY)
  let taken = 0
  const stop = instance.events.on('slot_freed', () => freeSlots.push(now()))
  const onProgress = (event: ProgressEvent) => {
    if (event.type !== 'step') return
    if (event.status === 'running') {
      if (startedAt.has(event.key)) return // a retry keeps its slot
      startedAt.set(event.key, now())
      // A start the model has no freed slot for (none in this engine) counts from its upstream alone.
      slotFreeAt.set(event.key, freeSlots[taken++] ?? Number.NEGATIVE_INFINITY)
    } else if (event.status === 'succeeded') {
      succeededAt.set(event.key, now())
    }
  }
  return { onProgress, stop, slotFreeAt, startedAt, succeededAt }
}
