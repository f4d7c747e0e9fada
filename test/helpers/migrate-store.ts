// Child process for test/store-sqlite.test.ts: opens the SQLite store at argv[2] and migrates it,
// so two of these started together race on the same new file.
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js'

const path = process.argv[2]
if (!path) throw new Error('usage: migrate-store.ts <store-file>')
const store = await SqliteStore.open(path)
await store.migrate()
await store.close()
