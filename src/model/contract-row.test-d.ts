// Type-level tests, checked by `tsc --noEmit` (npm run typecheck), never run: a TypeScript asset
// reading an upstream with a contract gets rows typed by it, so a column typo does not compile.
// Each `@ts-expect-error` fails the typecheck if the line below it ever compiles (typing regressed).
import { defineAsset, sqlAsset } from './asset.js'
import type { ColumnValue, ContractRow } from './contract-row.js'
import { defineSource, table } from './source.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const expectType = <T extends true>(_proof?: T) => undefined

const orders = sqlAsset({
  key: 'staging/orders',
  sql: 'select id, amount, status, placed_at, tags from raw.orders',
  contract: {
    columns: {
      id: { type: 'bigint', nullable: false },
      amount: { type: 'DECIMAL(12,2)', nullable: false },
      status: 'varchar',
      placed_at: { type: 'timestamp', nullable: false },
      tags: 'varchar[]',
    },
  },
})
const accounts = defineSource({ key: 'landing/accounts', observe: table('landing.accounts'), contract: { columns: { account_id: { type: 'integer', nullable: false }, active: 'boolean' } } })
const untyped = defineAsset({ key: 'raw/events', materialize: () => [{ id: 1 }] })

defineAsset({
  key: 'marts/order_report',
  ins: { orders, accounts, untyped },
  async materialize({ orders, accounts, untyped }, ctx) {
    const rows = await ctx.rows(orders)
    const row = rows[0]!
    expectType<Equal<typeof row.id, number | string>>()
    expectType<Equal<typeof row.amount, number>>()
    expectType<Equal<typeof row.status, string | null>>()
    expectType<Equal<typeof row.placed_at, Date>>()
    expectType<Equal<typeof row.tags, string[] | null>>()
    // @ts-expect-error amout is a typo of amount: the contract has no such column
    void row.amout
    const total = rows.reduce((sum, r) => sum + r.amount, 0)

    const [account] = await ctx.rows(accounts)
    expectType<Equal<typeof account, { account_id: number; active: boolean | null } | undefined>>()
    // @ts-expect-error accountId is not a column of landing/accounts' contract
    void account?.accountId

    // An upstream without a contract: any columns, as before.
    const [event] = await ctx.rows(untyped)
    void event?.whatever
    return [{ total, accounts: account?.account_id ?? 0 }]
  },
})

// The mapping from DuckDB type names, case-insensitive.
expectType<Equal<ColumnValue<'INTEGER'>, number>>()
expectType<Equal<ColumnValue<'Text'>, string>>()
expectType<Equal<ColumnValue<'numeric(18, 4)'>, number>>()
expectType<Equal<ColumnValue<'TIMESTAMP WITH TIME ZONE'>, Date>>()
expectType<Equal<ColumnValue<'struct(a int)'>, unknown>>()
expectType<Equal<ContractRow<{ columns: { a: 'int'; b: { type: 'bool'; nullable: false } } }>, { a: number | null; b: boolean }>>()
