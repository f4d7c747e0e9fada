import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'

/** Commits before the thread starts: a short command (whose WAL stays under SQLite's 1,000-page checkpoint) never starts it. */
export const COMMITS_BEFORE_THREAD = 256
/** Commits between two background checkpoints. */
export const COMMITS_PER_CHECKPOINT = 32
/**
 * The writer's own automatic checkpoint once the thread runs. A writer that never pauses never
 * lets the WAL restart (it restarts only when every frame is in the database file), so this one
 * still comes, but finds nearly every frame copied already (SQLite's default is 1,000 pages).
 */
export const BACKSTOP_PAGES = 4_000

// CommonJS, evaluated in the thread: its own connection to the same file, checkpointing on request.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 5000')
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    let result = null
    try { result = db.pragma('wal_checkpoint(PASSIVE)')[0] } catch {}
    parentPort.postMessage(result)
  } else {
    db.close()
    parentPort.close()
  }
})
`

/**
 * Keeps the WAL short without stalling the writer. SQLite checkpoints on the committing thread
 * once the WAL passes 1,000 pages (copying them into the database file and syncing both), and
 * every step waiting on that commit waits for it too. After {@link COMMITS_BEFORE_THREAD}
 * commits, a store hands checkpoints to a worker thread with its own connection (PASSIVE:
 * readers and the writer carry on meanwhile) and keeps its own automatic checkpoint only as a
 * backstop. A checkpoint cut short by a crash is safe: SQLite redoes it from the WAL.
 */
export class Checkpointer {
  private commits = 0
  private thread: Worker | undefined
  private pending = false
  private closed = false

  /** `onCheckpoint` hears each background checkpoint's frames in the WAL and copied (null when it failed). */
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly onCheckpoint: (frames: { log: number; checkpointed: number } | null) => void = () => undefined,
  ) {}

  /** Called after each commit; past {@link COMMITS_BEFORE_THREAD}, asks the thread for a checkpoint every {@link COMMITS_PER_CHECKPOINT} commits. */
  committed(): void {
    if (this.closed || this.path === ':memory:' || ++this.commits < COMMITS_BEFORE_THREAD || this.commits % COMMITS_PER_CHECKPOINT !== 0 || this.pending) return
    const thread = this.start()
    if (!thread) return
    this.pending = true
    thread.postMessage('checkpoint')
  }

  /** Stops the thread, after the checkpoint it may be running. */
  async close(): Promise<void> {
    this.closed = true
    const thread = this.thread
    if (!thread) return
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()))
    // Referenced again while it closes: an unreferenced thread's exit would not keep this await alive.
    thread.ref()
    thread.postMessage('close')
    await exited
  }

  private start(): Worker | undefined {
    if (this.thread) return this.thread
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3')
      const thread = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, path: this.path } })
      // Never what keeps a process alive; a thread that fails leaves SQLite's own checkpoints in charge.
      thread.unref()
      thread.on('message', (frames: { log: number; checkpointed: number } | null) => {
        this.pending = false
        this.onCheckpoint(frames)
      })
      thread.on('error', () => this.stopDelegating())
      thread.on('exit', () => this.stopDelegating())
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
      this.thread = thread
      return thread
    } catch {
      this.closed = true
      return undefined
    }
  }

  private stopDelegating(): void {
    this.closed = true
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000')
  }
}
