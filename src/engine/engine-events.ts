// Moments inside a step attempt that no store record marks (staging written, checks done), and
// its publication, announced in the process that runs the attempt, so a test or a tool waits on
// the moment itself instead of a log line, a poll or a sleep.

/** Which attempt of which step an event is about. */
interface AttemptRef {
  readonly runId: string
  readonly key: string
  readonly partition: string | null
  readonly attempt: number
}

/**
 * The attempt's output is in staging, not yet checked nor published. `relation` is the quoted
 * staging relation of a table or SQL asset, `dir` the staging directory of an `io: 'files'` asset;
 * both null for `io: 'none'`.
 */
export interface StagingWrittenEvent extends AttemptRef {
  readonly type: 'staging_written'
  readonly relation: string | null
  readonly dir: string | null
}

/** How one check judged the staged output. */
export interface CheckOutcomeEvent {
  readonly name: string
  readonly passed: boolean
  readonly blocking: boolean
  readonly message: string | null
}

/** Every check of the attempt has run on staging; `blocked` when a blocking one failed (nothing is published then). */
export interface ChecksDoneEvent extends AttemptRef {
  readonly type: 'checks_done'
  readonly checks: readonly CheckOutcomeEvent[]
  readonly blocked: boolean
}

/** The attempt's output is published and its materialization recorded in the store. */
export interface PublishedEvent extends AttemptRef {
  readonly type: 'published'
  readonly dataVersion: string
  readonly rowCount: number | null
}

/**
 * A run's slot is free again: `key`'s code ended (its end is still being recorded) or, when it ran
 * elsewhere or ended otherwise, the step ended. The run's next ready step may start in it.
 */
export interface SlotFreedEvent {
  readonly type: 'slot_freed'
  readonly runId: string
  readonly key: string
  readonly partition: string | null
}

/** What the engine announces as a step attempt goes (staging written, then checks done, then, unless blocked, published) and as a run's slots free. */
export type EngineEvent = StagingWrittenEvent | ChecksDoneEvent | PublishedEvent | SlotFreedEvent

/** Receives engine events; must not throw (a throw is ignored). */
export type EngineEventListener = (event: EngineEvent) => void

/**
 * Listeners by event type, typed by it: `events.on('published', (e) => e.dataVersion)`. A throwing
 * listener never breaks the work that emitted the event.
 */
export class EventListeners<E extends { readonly type: string }> {
  private readonly byType = new Map<E['type'], Set<(event: E) => void>>()

  /** Calls `listener` with every event of `type` from now on; returns the function that stops it. */
  on<T extends E['type']>(type: T, listener: (event: Extract<E, { readonly type: T }>) => void): () => void {
    const listeners = this.byType.get(type) ?? new Set()
    this.byType.set(type, listeners)
    const wrapped = listener as (event: E) => void
    listeners.add(wrapped)
    return () => listeners.delete(wrapped)
  }

  /** Hands `event` to the listeners of its type, in the order they were added. */
  emit(event: E): void {
    for (const listener of [...(this.byType.get(event.type) ?? [])]) {
      try {
        listener(event)
      } catch {
        // A broken listener must never break a run or a tick.
      }
    }
  }
}
