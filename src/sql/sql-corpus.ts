// A corpus of realistic statements DuckDB accepts, with the tables and files each reads.
// Shared by the analysis tests (exact expectations) and bench/sql-parse.ts.

/** One statement and what it reads: `schema.table` (schema `-` when unqualified) and file paths. */
export interface CorpusEntry {
  readonly name: string
  readonly sql: string
  readonly tables: readonly string[]
  readonly files?: readonly string[]
  /** Column lineage: [output name (`*-a,b` for `* EXCLUDE (a, b)`), ['schema.table.column:kind', …]] in order. */
  readonly columns?: readonly (readonly [string, readonly string[]])[]
  /** Columns used to filter, join or group: 'schema.table.column'. */
  readonly filters?: readonly string[]
}

/** The statements: DuckDB idioms, dbt-style names, CTE shadowing, subqueries, set operations, windows, table functions. */
export const SQL_CORPUS: readonly CorpusEntry[] = [
  { name: 'plain select', sql: `select id, amount from raw.orders where status = 'paid'`, tables: ['raw.orders'], columns: [["id", ["raw.orders.id:copy"]], ["amount", ["raw.orders.amount:copy"]]], filters: ["raw.orders.status"] },
  { name: 'join using', sql: `select a.segment, sum(o.amount) as open_pipeline from raw.opportunities o join raw.accounts a using (account_id) where o.stage = 'open' group by 1`, tables: ['raw.accounts', 'raw.opportunities'], columns: [["segment", ["raw.accounts.segment:copy"]], ["open_pipeline", ["raw.opportunities.amount:transform"]]], filters: ["raw.opportunities.account_id", "raw.accounts.account_id", "raw.opportunities.stage"] },
  { name: 'unqualified table', sql: `select * from orders`, tables: ['-.orders'] },
  { name: 'three-part dbt name', sql: `select * from "analytics"."main"."orders"`, tables: ['main.orders'] },
  { name: 'three-part name, other schema', sql: `select o.id from "warehouse"."staging"."orders" o join warehouse.staging.customers c on c.id = o.customer_id`, tables: ['staging.customers', 'staging.orders'], columns: [["id", ["staging.orders.id:copy"]]], filters: ["staging.customers.id", "staging.orders.customer_id"] },
  { name: 'QUALIFY', sql: `select * from raw.events qualify row_number() over (partition by user_id order by occurred_at desc) = 1`, tables: ['raw.events'] },
  { name: 'SELECT * EXCLUDE', sql: `select * exclude (password, ssn) from raw.users`, tables: ['raw.users'], columns: [["*-password,ssn", ["raw.users.*:copy"]]], filters: [] },
  { name: 'SELECT * REPLACE', sql: `select * replace (lower(email) as email) from raw.users`, tables: ['raw.users'] },
  { name: 'GROUP BY ALL', sql: `select country, count(*) as n from raw.customers group by all`, tables: ['raw.customers'] },
  { name: 'ORDER BY ALL', sql: `select country, city from raw.customers order by all`, tables: ['raw.customers'] },
  { name: 'FROM-first', sql: `from raw.orders select id, amount where amount > 0`, tables: ['raw.orders'] },
  { name: 'FROM-first without select', sql: `from staging.events`, tables: ['staging.events'] },
  { name: 'struct access', sql: `select payload.customer.id as customer_id, {'a': 1, 'b': amount} as s from raw.webhooks`, tables: ['raw.webhooks'], columns: [["customer_id", ["raw.webhooks.payload:transform"]], ["s", ["raw.webhooks.amount:transform"]]], filters: [] },
  { name: 'lambda', sql: `select list_transform(tags, x -> upper(x)) as tags, list_filter(scores, s -> s > 0.5) as good from raw.documents`, tables: ['raw.documents'], columns: [["tags", ["raw.documents.tags:transform"]], ["good", ["raw.documents.scores:transform"]]], filters: [] },
  { name: 'USING SAMPLE', sql: `select * from raw.events using sample 10%`, tables: ['raw.events'] },
  { name: 'CTE chain', sql: `with recent as (select customer_id, amount from raw.orders where created_at > now() - interval '30 days'), totals as (select customer_id, sum(amount) as total from recent group by customer_id) select c.id, t.total from raw.customers c left join totals t on t.customer_id = c.id`, tables: ['raw.customers', 'raw.orders'], columns: [["id", ["raw.customers.id:copy"]], ["total", ["raw.orders.amount:transform"]]], filters: ["raw.orders.created_at", "raw.orders.customer_id", "raw.customers.id"] },
  { name: 'CTE shadowing a table reads the table inside its own body', sql: `with orders as (select * from orders where not deleted) select * from orders`, tables: ['-.orders'] },
  { name: 'CTE shadowing is scoped to its query', sql: `select * from (with customers as (select 1 as id) select * from customers) a join customers c on c.id = a.id`, tables: ['-.customers'] },
  { name: 'CTE in a subquery does not hide the outer table', sql: `select o.id, (with payments as (select 1 as paid) select max(paid) from payments) as p from payments o`, tables: ['-.payments'] },
  { name: 'CTE name with a schema-qualified table of the same name', sql: `with orders as (select * from raw.orders) select * from orders join main.orders m using (id)`, tables: ['main.orders', 'raw.orders'] },
  { name: 'later CTE sees earlier one', sql: `with a as (select * from raw.a), b as (select * from a join raw.b using (id)) select * from b`, tables: ['raw.a', 'raw.b'], columns: [["*", ["raw.a.*:copy"]], ["*", ["raw.b.*:copy"]]], filters: ["raw.a.id", "raw.b.id"] },
  { name: 'recursive CTE', sql: `with recursive tree(id, parent_id, depth) as (select id, parent_id, 0 from raw.categories where parent_id is null union all select c.id, c.parent_id, t.depth + 1 from raw.categories c join tree t on c.parent_id = t.id) select * from tree`, tables: ['raw.categories'], columns: [["id", ["raw.categories.id:copy"]], ["parent_id", ["raw.categories.parent_id:copy"]], ["depth", []]], filters: ["raw.categories.parent_id"] },
  { name: 'correlated scalar subquery', sql: `select o.id, (select max(e.occurred_at) from raw.order_events e where e.order_id = o.id) as last_event from raw.orders o`, tables: ['raw.order_events', 'raw.orders'], columns: [["id", ["raw.orders.id:copy"]], ["last_event", ["raw.order_events.occurred_at:transform"]]], filters: ["raw.order_events.order_id", "raw.orders.id"] },
  { name: 'EXISTS', sql: `select c.* from raw.customers c where exists (select 1 from raw.orders o where o.customer_id = c.id)`, tables: ['raw.customers', 'raw.orders'] },
  { name: 'NOT IN subquery', sql: `select id from raw.customers where id not in (select customer_id from raw.churned)`, tables: ['raw.churned', 'raw.customers'] },
  { name: 'derived table', sql: `select s.day, s.revenue from (select date_trunc('day', occurred_at) as day, sum(amount) as revenue from raw.payments group by 1) s where s.revenue > 0`, tables: ['raw.payments'], columns: [["day", ["raw.payments.occurred_at:transform"]], ["revenue", ["raw.payments.amount:transform"]]], filters: ["raw.payments.amount"] },
  { name: 'LATERAL', sql: `select c.id, l.amount from raw.customers c, lateral (select amount from raw.orders o where o.customer_id = c.id order by occurred_at desc limit 1) l`, tables: ['raw.customers', 'raw.orders'], columns: [["id", ["raw.customers.id:copy"]], ["amount", ["raw.orders.amount:copy"]]], filters: ["raw.orders.customer_id", "raw.customers.id"] },
  { name: 'UNION ALL of three', sql: `select id, amount from raw.orders union all select id, -amount from raw.refunds union all select id, amount from finance.adjustments`, tables: ['finance.adjustments', 'raw.orders', 'raw.refunds'], columns: [["id", ["raw.orders.id:copy", "raw.refunds.id:copy", "finance.adjustments.id:copy"]], ["amount", ["raw.orders.amount:copy", "raw.refunds.amount:transform", "finance.adjustments.amount:copy"]]], filters: [] },
  { name: 'UNION BY NAME', sql: `select * from raw.orders_2023 union all by name select * from raw.orders_2024`, tables: ['raw.orders_2023', 'raw.orders_2024'] },
  { name: 'INTERSECT and EXCEPT', sql: `select id from raw.a intersect select id from raw.b except select id from raw.c`, tables: ['raw.a', 'raw.b', 'raw.c'] },
  { name: 'CTE shared by both sides of a UNION', sql: `with paid as (select * from raw.payments) select id from paid union select id from raw.refunds`, tables: ['raw.payments', 'raw.refunds'] },
  { name: 'window functions', sql: `select customer_id, amount, sum(amount) over (partition by customer_id order by occurred_at rows between unbounded preceding and current row) as running, lag(amount) over w as previous from raw.payments window w as (partition by customer_id order by occurred_at)`, tables: ['raw.payments'], columns: [["customer_id", ["raw.payments.customer_id:copy"]], ["amount", ["raw.payments.amount:copy"]], ["running", ["raw.payments.amount:transform", "raw.payments.customer_id:transform", "raw.payments.occurred_at:transform"]], ["previous", ["raw.payments.amount:transform", "raw.payments.customer_id:transform", "raw.payments.occurred_at:transform"]]], filters: [] },
  { name: 'read_csv', sql: `select * from read_csv('landing/crm/*.csv', header = true)`, tables: [], files: ['landing/crm/*.csv'] },
  { name: 'read_parquet list', sql: `select * from read_parquet(['landing/a.parquet', 'landing/b.parquet'])`, tables: [], files: ['landing/a.parquet', 'landing/b.parquet'] },
  { name: 'FROM a file path', sql: `select * from 'landing/events.json'`, tables: [], files: ['landing/events.json'] },
  { name: 'file joined to a table', sql: `select f.*, c.segment from read_csv_auto('landing/fx.csv') f join raw.customers c on c.currency = f.currency`, tables: ['raw.customers'], files: ['landing/fx.csv'], columns: [["*", ["file:landing/fx.csv.*:copy"]], ["segment", ["raw.customers.segment:copy"]]], filters: ["raw.customers.currency", "file:landing/fx.csv.currency"] },
  { name: 'generate_series reads nothing', sql: `select d::date as day from generate_series(date '2024-01-01', date '2024-12-31', interval 1 day) t(d)`, tables: [] },
  { name: 'range joined to a table', sql: `select r.range as n, count(o.id) from range(10) r left join raw.orders o on o.bucket = r.range group by 1`, tables: ['raw.orders'] },
  { name: 'PIVOT', sql: `select * from raw.sales pivot (sum(amount) for year in (2023, 2024) group by region)`, tables: ['raw.sales'] },
  { name: 'UNPIVOT', sql: `unpivot raw.monthly on jan, feb, mar into name month value amount`, tables: ['raw.monthly'] },
  { name: 'ASOF join', sql: `select t.*, p.price from raw.trades t asof join raw.prices p on t.symbol = p.symbol and t.occurred_at >= p.occurred_at`, tables: ['raw.prices', 'raw.trades'] },
  { name: 'POSITIONAL join', sql: `select * from raw.left_side positional join raw.right_side`, tables: ['raw.left_side', 'raw.right_side'] },
  { name: 'VALUES', sql: `select * from (values (1, 'a'), (2, 'b')) v(id, name) join raw.names n using (id)`, tables: ['raw.names'] },
  { name: 'CASE, casts and ::', sql: `select case when amount >= 100 then 'big' else 'small' end as size, amount::decimal(12, 2) as amount, cast(occurred_at as date) as day from staging.payments`, tables: ['staging.payments'], columns: [["size", ["staging.payments.amount:transform"]], ["amount", ["staging.payments.amount:transform"]], ["day", ["staging.payments.occurred_at:transform"]]], filters: [] },
  { name: 'quoted identifiers keep their case', sql: `select "Id" from "Raw"."Orders"`, tables: ['Raw.Orders'] },
  { name: 'IN list and filter aggregate', sql: `select count(*) filter (where status = 'paid') as paid from raw.orders where country in ('DE', 'FR')`, tables: ['raw.orders'], columns: [["paid", ["raw.orders.status:transform"]]], filters: ["raw.orders.country"] },
  { name: 'list comprehension and unnest', sql: `select id, unnest(items) as item, [x * 2 for x in quantities] as doubled from raw.carts`, tables: ['raw.carts'] },
  { name: 'partition placeholder bound to NULL', sql: `select * from raw.events where day = NULL or NULL is null`, tables: ['raw.events'] },
  { name: 'COLUMNS expression', sql: `select min(columns('amount_.*')) from finance.ledger`, tables: ['finance.ledger'] },
]
