import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import Database from 'better-sqlite3'
import { BACKSTOP_PAGES, Checkpointer, COMMITS_BEFORE_THREAD, COMMITS_PER_CHECKPOINT } from './checkpointer.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-checkpointer-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('a short stretch of commits starts no thread; past it, a thread copies the WAL into the database and the writer keeps only a backstop checkpoint', async () => {
  const path = join(dir, 'store.sqlite')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (v TEXT)')
  const heard: ({ log: number; checkpointed: number } | null)[] = []
  let hear: () => void = () => undefined
  const checkpointer = new Checkpointer(db, path, (frames) => {
    heard.push(frames)
    hear()
  })
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
  const commit = (i: number) => {
    insert.run(`row ${i}`)
    checkpointer.committed()
  }
  for (let i = 1; i < COMMITS_BEFORE_THREAD; i++) commit(i)
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'no thread yet: the writer\'s setting is untouched')
  // The commit that starts the thread asks for the first checkpoint; the thread answers when it is done.
  const answered = new Promise<void>((resolve) => (hear = resolve))
  commit(COMMITS_BEFORE_THREAD)
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_PAGES)
  await answered
  const [first] = heard
  assert.ok(first && first.log >= COMMITS_BEFORE_THREAD, `the WAL held every commit: ${JSON.stringify(first)}`)
  assert.equal(first.checkpointed, first.log, 'every frame was copied into the database file')
  // A fresh connection reading the database sees every row.
  const reader = new Database(path, { readonly: true })
  assert.deepEqual(reader.prepare('SELECT count(*) AS n FROM t').get(), { n: COMMITS_BEFORE_THREAD })
  reader.close()
  // close() ends the thread and leaves the process nothing to wait for.
  await checkpointer.close()
  // After close, commits ask nothing of the (ended) thread.
  for (let i = 0; i < COMMITS_PER_CHECKPOINT; i++) commit(i)
  assert.equal(heard.length, 1)
  db.close()
})
