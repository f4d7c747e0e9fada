import type { Client, Pool } from './open-pool.js'

/** One row of the event log, as a write transaction queues it. */
export interface EventParams {
  readonly type: string
  readonly at: number
  readonly runId: string | null
  readonly assetKey: string | null
  readonly partition: string | null
  readonly payload: string
}

interface Pending {
  // A promise where the payload waits on a statement of the transaction (a materialization's id);
  // one that resolves to null appends nothing (the statement changed nothing).
  readonly events: (EventParams | Promise<EventParams | null>)[]
  // Writes sharing the transaction (a batch): more than one, and a write that must be alone asks to run again alone.
  readonly shared: boolean
  // The COMMIT went out (a write in one round trip): nothing more may be queued.
  closed: boolean
  // The COMMIT was handed to the connection: a connection lost after it leaves the outcome unknown.
  commitSent?: boolean
  // Settings the transaction's writes set for it (SET LOCAL), once each.
  settings?: Set<string>
  // Items of statements sent at the end, one statement per key (see gatherAtEnd).
  gathered?: Map<string, Gathered>
}

interface Gathered {
  readonly items: unknown[]
  readonly build: (items: unknown[]) => Gather
  readonly underLock: boolean
}

const pending = new WeakMap<Client, Pending>()

// Ids follow the order of the queued events (ORDER BY ord): identity values are drawn above the sort.
const INSERT_EVENTS = `INSERT INTO events (type, at, run_id, asset_key, partition, payload)
  SELECT type, at, run_id, asset_key, partition, payload
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e (type, at, run_id, asset_key, partition, payload, ord)
  ORDER BY ord`

// A deadlock between two writers (PostgreSQL aborts one after deadlock_timeout): the loser runs again.
const DEADLOCK = '40P01'
const RETRIES = 3

/**
 * Queues an event of `db`'s write transaction; it is appended, in queue order, when the transaction
 * commits. A promise may resolve to null: no event (what it would record did not happen).
 */
export function queueEvent(db: Client, event: EventParams | Promise<EventParams | null>): void {
  const queue = pending.get(db)
  if (!queue || queue.closed) throw new Error('queueEvent outside a write transaction')
  if (event instanceof Promise) event.catch(() => undefined)
  queue.events.push(event)
}

/**
 * Whether `db`'s write transaction is shared by several writes (a batch): a write that takes the
 * write lock itself then takes it before the later writes' row locks, against the lock order.
 */
/**
 * Sets `name` to `value` for the rest of the write transaction on `db` (SET LOCAL), once: writes
 * sharing the transaction that ask again send nothing. Outside a write transaction, as asked.
 */
export function setLocalOnce(db: Client, name: string, value: string): Promise<unknown> | undefined {
  const queue = pending.get(db)
  const setting = `${name}=${value}`
  if (queue?.settings?.has(setting)) return undefined
  if (queue) (queue.settings ??= new Set()).add(setting)
  return db.query(`SET LOCAL ${name} = ${value}`)
}

export function sharesTransaction(db: Client): boolean {
  return pending.get(db)?.shared === true
}

/** Throws, in a transaction shared by several writes, so that the caller's write runs again in one of its own (a read-modify-write of a shared row). */
export function requireAlone(db: Client): void {
  const queue = pending.get(db)
  // A write in one round trip committed already: it cannot take a turn it did not plan.
  if (queue?.closed) throw new Error('a write sent in one round trip needed a statement it had not sent (a step the plan did not list)')
  if (queue?.shared) throw new RunAlone()
}

/** A statement gatherAtEnd builds; `name` prepares it once per connection. */
export interface Gather {
  readonly name?: string
  readonly text: string
  readonly values?: unknown[]
}

/**
 * Queues `item` for one statement sent at the write transaction's end (with the events and the
 * COMMIT), made by `build` from every item queued under the same `key`, in queue order; a promise
 * resolving to null adds none, and no item, no statement. For writes of a batch that each write
 * the same way (a job added to the queue, an attempt's end): one statement for them all. Sent
 * before the write lock, its row locks coming before it as every writer's. `underLock`: after the
 * events, under the lock, for what must be numbered in commit order (attempt ends) and touches
 * only rows the transaction holds already.
 */
export function gatherAtEnd<T>(db: Client, key: string, item: T | Promise<T | null>, build: (items: T[]) => Gather, options: { underLock?: boolean } = {}): void {
  const queue = pending.get(db)
  if (!queue || queue.closed) throw new Error('gatherAtEnd outside a write transaction')
  if (item instanceof Promise) item.catch(() => undefined)
  const gathered = (queue.gathered ??= new Map())
  const entry = gathered.get(key) ?? { items: [], build: build as (items: unknown[]) => Gather, underLock: options.underLock === true }
  entry.items.push(item)
  gathered.set(key, entry)
}

/**
 * Runs `fn` as one write transaction. Its statements run as they come, under no lock but the row
 * locks they take; the events it queued are appended at the end, after `lockKey` (an advisory lock
 * every writer of the event log takes), in one round trip with the COMMIT. So event ids become
 * visible in id order — a tail reading "id > lastSeen" never skips an event that commits after a
 * higher one — while the lock is held only for the server's own work: the append and the commit,
 * never a client's round trips. A transaction that queued nothing never takes the lock.
 * Lock order, so writers cannot deadlock on it: row locks (and per-key advisory locks) first, the
 * write lock last; statements queued under the lock touch only rows the transaction already holds.
 */
export async function inWriteTransaction<T>(pool: Pool, lockKey: number, fn: (client: Client) => Promise<T>, options: { oneRoundTrip?: boolean } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { committed, outcomes: [outcome] } = await inOneTransaction(pool, lockKey, [fn], options.oneRoundTrip === true)
    if (outcome!.ok) return outcome!.value as T
    if (!committed && (outcome!.error as { code?: unknown } | null)?.code === DEADLOCK && attempt < RETRIES) continue
    throw outcome!.error
  }
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

// Runs every fn in one transaction, their statements pipelined on one connection, then appends their
// events under the lock with the commit. Any failure rolls back all of them (committed: false): a
// single fn gets its error, a batch is marked failed (each fn of it then runs alone). `oneRoundTrip`:
// the events and the COMMIT go out right behind the statements the fns issued before their first
// await; a fn failing after its statements all succeeded has committed nonetheless (committed:
// true, its own outcome an error). `unknown`: the connection was lost after the COMMIT went out, so
// the transaction may have committed: its writes must not run again.
async function inOneTransaction(pool: Pool, lockKey: number, fns: readonly ((client: Client) => Promise<unknown>)[], oneRoundTrip = false): Promise<{ committed: boolean; unknown?: boolean; outcomes: Outcome[] }> {
  const client = await pool.connect()
  const queue: Pending = { events: [], shared: fns.length > 1, closed: false }
  pending.set(client, queue)
  try {
    // BEGIN goes out with the first statements of the fns (a pipelined pool), not a round trip of its
    // own, and in the same write to the socket: one system call, one wake-up of the server.
    const [begun, running, ending] = corked(client, () => {
      const begun = client.query('BEGIN')
      begun.catch(() => undefined)
      return [begun, Promise.allSettled(fns.map((fn) => fn(client))), oneRoundTrip ? end(client, queue, lockKey) : undefined] as const
    })
    // Heard below, once the fns settled; it may fail first (an event waiting on a failed statement).
    ending?.catch(() => undefined)
    const settled = await running
    await begun
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed && !ending) throw failed.reason
    // In one round trip the COMMIT went out already: a statement's failure rolled it back (and
    // rejects `ending`; the fn's own error says more than "transaction aborted"); a fn failing
    // otherwise, after its statements, did not.
    const committed = await (ending?.catch((error: unknown) => {
      throw failed ? failed.reason : error
    }) ?? end(client, queue, lockKey))
    // A fn's failed statement (a deadlock's victim, say) rolled it all back: the COMMIT said so, not an error.
    if (failed && !committed) throw failed.reason
    return { committed: true, outcomes: settled.map((r): Outcome => (r.status === 'fulfilled' ? { ok: true, value: r.value } : { ok: false, error: r.reason })) }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    return { committed: false, unknown: queue.commitSent === true && connectionLost(error), outcomes: fns.map(() => ({ ok: false, error })) }
  } finally {
    pending.delete(client)
    client.release()
  }
}

/**
 * Runs `fn`, which sends exactly one statement and queues nothing, as that statement alone: its own
 * transaction, with no BEGIN or COMMIT around it (PostgreSQL commits it as it ends). A statement
 * that appends events takes the write lock itself, last, as a write alone in its transaction does
 * (see step-queue-statements.ts). A deadlock runs it again, as inWriteTransaction does.
 */
export async function inOneStatement<T>(pool: Pool, fn: (client: Client) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    // Closed from the start: a queued event or statement (which needs a transaction's end) is refused.
    pending.set(client, { events: [], shared: false, closed: true })
    try {
      return await fn(client)
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === DEADLOCK && attempt < RETRIES) continue
      throw error
    } finally {
      pending.delete(client)
      client.release()
    }
  }
}

/** A write transaction left open between calls (see beginWriteTransaction). */
export interface OpenWriteTransaction {
  /**
   * Runs `fn` in the transaction, then appends the events it queued under the write lock (with the
   * statements queued under it) and commits, as inWriteTransaction does; rolls back when anything
   * fails. Once: a second call, or one after rollback, is refused. `oneRoundTrip`: as inWriteTransaction's.
   */
  commit<T>(fn: (client: Client) => Promise<T>, options?: { oneRoundTrip?: boolean }): Promise<T>
  /** Rolls the transaction back and returns its connection; nothing when it already ended. */
  rollback(): Promise<void>
}

/**
 * Opens a write transaction on a connection of its own and runs `first` in it (its statements go
 * out with the BEGIN), leaving it open: the row locks `first` took are held until commit or
 * rollback, so no other writer of those rows can come in between. The write lock is taken only at
 * the commit, after every row lock, as in any write transaction. When `first` fails, the
 * transaction is rolled back and its error thrown.
 */
export async function beginWriteTransaction(pool: Pool, lockKey: number, first: (client: Client) => Promise<void>): Promise<OpenWriteTransaction> {
  const client = await pool.connect()
  const queue: Pending = { events: [], shared: false, closed: false }
  pending.set(client, queue)
  let ended = false
  // Between calls the connection is checked out with no query running: an error of its own (the
  // server ending the session) must not go unheard (an 'error' event without a listener throws).
  let broken: Error | undefined
  const onError = (error: Error) => {
    broken = error
  }
  client.on('error', onError)
  const finish = async (rollback: boolean) => {
    ended = true
    if (rollback && !broken) await client.query('ROLLBACK').catch(() => {})
    pending.delete(client)
    client.removeListener('error', onError)
    // A broken connection is closed, not handed to the next caller.
    client.release(broken)
  }
  try {
    const [begun, firstDone] = corked(client, () => {
      const begun = client.query('BEGIN')
      begun.catch(() => undefined)
      return [begun, first(client)] as const
    })
    await begun
    await firstDone
  } catch (error) {
    await finish(true)
    throw error
  }
  return {
    async commit<T>(fn: (client: Client) => Promise<T>, options: { oneRoundTrip?: boolean } = {}): Promise<T> {
      if (ended) throw new Error('the write transaction already ended')
      ended = true
      try {
        // `oneRoundTrip`: the events and the COMMIT go out right behind the statements `fn` issues
        // before its first await (see inWriteTransaction); a failed statement rolls it all back.
        const [running, ending] = corked(client, () => [fn(client), options.oneRoundTrip ? end(client, queue, lockKey) : undefined] as const)
        ending?.catch(() => undefined)
        const value = await running.catch(async (error: unknown) => {
          await ending?.catch(() => undefined)
          throw error
        })
        await (ending ?? end(client, queue, lockKey))
        await finish(false)
        return value
      } catch (error) {
        await finish(true)
        throw error
      }
    },
    async rollback(): Promise<void> {
      if (!ended) await finish(true)
    },
  }
}

// The end of a write transaction: the gathered statements, then its events appended (and the
// statements queued under the lock run) after the write lock, then the COMMIT, all in one round
// trip. Rejects with the first failure; false when the COMMIT rolled back (a statement before the
// tail failed, with nothing in the tail to say so).
async function end(client: Client, queue: Pending, lockKey: number): Promise<boolean> {
  queue.closed = true
  const events = queue.events.some((e) => e instanceof Promise)
    ? (await Promise.all(queue.events)).filter((e): e is EventParams => e !== null)
    : queue.events as EventParams[]
  // Awaited only when an item waits on a statement: otherwise the tail goes out in the caller's corked write.
  const entries = [...queue.gathered?.values() ?? []]
  const settled = entries.some((g) => g.items.some((item) => item instanceof Promise))
    ? await Promise.all(entries.map(async (g) => ({ ...g, items: await Promise.all(g.items) })))
    : entries
  const gathered = settled.map(({ items, build, underLock }) => {
    const present = items.filter((item) => item !== null)
    return present.length > 0 ? { statement: build(present), underLock } : undefined
  })
  const beforeLock = gathered.flatMap((g) => (g && !g.underLock ? [g.statement] : []))
  const underLock = gathered.flatMap((g) => (g?.underLock ? [g.statement] : []))
  const tail = corked(client, () => {
    const tail: Promise<unknown>[] = []
    for (const statement of beforeLock) tail.push(client.query({ ...statement }))
    if (events.length > 0 || underLock.length > 0) {
      tail.push(client.query(`SELECT pg_advisory_xact_lock(${Math.trunc(lockKey)})`))
      if (events.length > 0) {
        tail.push(client.query({
          name: 'trb_insert_events', text: INSERT_EVENTS,
          values: [events.map((e) => e.type), events.map((e) => e.at), events.map((e) => e.runId), events.map((e) => e.assetKey), events.map((e) => e.partition), events.map((e) => e.payload)],
        }))
      }
      for (const statement of underLock) tail.push(client.query({ ...statement }))
    }
    // After a failed statement PostgreSQL answers COMMIT with a rollback: every result is checked.
    tail.push(client.query('COMMIT'))
    queue.commitSent = true
    return tail
  })
  const ended = await Promise.allSettled(tail)
  const refused = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (refused) throw refused.reason
  return (ended.at(-1) as PromiseFulfilledResult<{ command?: string }>).value.command === 'COMMIT'
}

// Statements `send` issues at once leave in one write to the connection's socket (pg writes each
// statement's messages as one write of its own): the socket is corked meanwhile, when pg has one.
function corked<T>(client: Client, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream
  stream?.cork?.()
  try {
    return send()
  } finally {
    stream?.uncork?.()
  }
}

interface Queued {
  readonly fn: (client: Client) => Promise<unknown>
  readonly single: boolean
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * Group commit for one process's writes: those asked for while a batch is on its way share the
 * next transaction, so the process takes the write lock (and pays a commit) once per batch rather
 * than once per write. A batch with a failure is rolled back whole and each of its writes runs
 * again alone, so every write sees its own outcome. At most `maxBatch` writes a batch. Default: 32.
 */
export class WriteBatcher {
  private readonly queue: Queued[] = []
  private flushing = false

  /** `oneRoundTrip`: its writes issue every statement before their first await (see inWriteTransaction). Default: false. */
  constructor(private readonly pool: Pool, private readonly lockKey: number, private readonly options: { maxBatch?: number; oneRoundTrip?: boolean } = {}) {}

  /**
   * Runs `fn` in the next batch; settles once that batch committed (or the write, run alone, did).
   * `single`: when it has the batch to itself, `fn` runs as its one statement alone (see inOneStatement).
   */
  write<T>(fn: (client: Client) => Promise<T>, options: { single?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, single: options.single === true, resolve: resolve as (value: unknown) => void, reject })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush(): Promise<void> {
    this.flushing = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch ?? 32)
        const oneRoundTrip = this.options.oneRoundTrip === true
        if (batch.length === 1 && batch[0]!.single) {
          await inOneStatement(this.pool, batch[0]!.fn).then(batch[0]!.resolve, batch[0]!.reject)
          continue
        }
        if (batch.length === 1) {
          await inWriteTransaction(this.pool, this.lockKey, batch[0]!.fn, { oneRoundTrip }).then(batch[0]!.resolve, batch[0]!.reject)
          continue
        }
        let result: Awaited<ReturnType<typeof inOneTransaction>>
        try {
          result = await inOneTransaction(this.pool, this.lockKey, batch.map((b) => b.fn), oneRoundTrip)
        } catch (error) {
          // No connection (the store out of reach): nothing was sent; each write hears why.
          for (const b of batch) b.reject(error)
          continue
        }
        const { committed, unknown, outcomes } = result
        if (committed) {
          outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)))
          continue
        }
        // The connection was lost after the COMMIT went out: the batch may have committed, so none
        // of its writes runs again; each hears the loss (a store riding out an outage does not send
        // them again either, see RideOut).
        if (unknown) {
          outcomes.forEach((o, i) => batch[i]!.reject((o as { error: unknown }).error))
          continue
        }
        // One failed: each runs again alone, at once (they touch different rows), for its own outcome.
        await Promise.all(batch.map((b) => inWriteTransaction(this.pool, this.lockKey, b.fn).then(b.resolve, b.reject)))
      }
    } finally {
      this.flushing = false
    }
  }
}

// The connection ended under a statement (a restart, a killed session, a cut network), as pg and
// PostgreSQL say it, rather than the server answering with an error.
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return true
  return code.startsWith('08') || code.startsWith('57P') || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)
}

// Asked by a write that must not share its transaction (see requireAlone).
class RunAlone extends Error {}
