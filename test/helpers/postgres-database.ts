// A throwaway PostgreSQL database per test, on the local server (127.0.0.1:5432, user postgres,
// trust auth; `.ci/run` starts it when it is down).
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server's URL without a database. Default: postgres://postgres@127.0.0.1:5432. */
export const POSTGRES_SERVER = process.env.TRIBUTARY_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432'

/** Runs one statement on the server's maintenance database. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${POSTGRES_SERVER}/postgres` })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** Creates an empty database with a fresh name; `drop` removes it, closing any connection left to it. */
export async function createDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `trb_test_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE ${name}`)
  return { name, url: `${POSTGRES_SERVER}/${name}`, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** Runs one statement on the database at `url` over a connection of its own, and returns its rows. */
export async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql, params)).rows
  } finally {
    await client.end()
  }
}
