// Child process for test/store-postgres.test.ts: opens the PostgreSQL store at argv[2] and
// migrates it, so two of these started together race on the same new database.
import { PostgresStore } from '../../src/store/postgres/postgres-store.js'
import { postgres } from '../../src/store/store-config.js'

const url = process.argv[2]
if (!url) throw new Error('usage: migrate-postgres-store.ts <database-url>')
const store = await PostgresStore.open(postgres({ url }))
await store.migrate()
await store.close()
