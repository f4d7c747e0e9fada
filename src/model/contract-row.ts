import type { Contract, ContractColumn } from './contract.js'
import type { Row } from './context.js'

/**
 * The JavaScript value Tributary's DuckDB warehouse returns for a column of this DuckDB type
 * (case-insensitive, aliases understood): integers up to INTEGER and floating point and DECIMAL
 * as numbers, BIGINT and wider as a number when exact and its decimal text past 2^53, text,
 * UUIDs, times and intervals as strings, booleans, dates and timestamps as Dates, lists as
 * arrays; anything else (structs, maps, JSON) as unknown.
 */
export type ColumnValue<T extends string> = ValueOf<Lowercase<Trim<T>>>

type Trim<T extends string> = T extends ` ${infer R}` ? Trim<R> : T extends `${infer R} ` ? Trim<R> : T

type ValueOf<T extends string> =
  T extends `${infer Element}[]` ? ValueOf<Trim<Element>>[]
  : T extends NumberType | `decimal(${string})` | `numeric(${string})` ? number
  : T extends WideInteger ? number | string
  : T extends TextType | `varchar(${string})` | `char(${string})` ? string
  : T extends 'boolean' | 'bool' | 'logical' ? boolean
  : T extends DateType ? Date
  : unknown

type NumberType =
  | 'tinyint' | 'int1' | 'smallint' | 'int2' | 'short' | 'integer' | 'int' | 'int4' | 'signed'
  | 'utinyint' | 'usmallint' | 'uinteger' | 'float' | 'float4' | 'real' | 'double' | 'float8' | 'decimal' | 'numeric'
type WideInteger = 'bigint' | 'int8' | 'long' | 'ubigint' | 'hugeint' | 'int128' | 'uhugeint' | 'varint' | 'bignum'
type TextType = 'varchar' | 'text' | 'string' | 'char' | 'bpchar' | 'uuid' | 'time' | 'timetz' | 'interval' | 'blob' | 'bytea' | 'enum'
type DateType = 'date' | 'timestamp' | 'datetime' | 'timestamptz' | 'timestamp with time zone' | 'timestamp_s' | 'timestamp_ms' | 'timestamp_ns'

/** One column's value: its type's, or null unless `nullable: false`. */
type ColumnOf<S> = S extends string ? ColumnValue<S> | null
  : S extends { readonly type: infer T extends string; readonly nullable: false } ? ColumnValue<T>
  : S extends ContractColumn ? ColumnValue<S['type']> | null
  : unknown

/** A row as a contract guarantees it: exactly the contract's columns, each typed (see ColumnValue). */
export type ContractRow<C extends Contract> = { -readonly [K in keyof C['columns'] & string]: ColumnOf<C['columns'][K]> }

/**
 * The rows a node's readers get: typed by its contract when it declares one with literal
 * column names, else any Row.
 */
export type RowOf<N> = N extends { readonly contract?: infer C } ? ContractRowOr<NonNullable<C>> : Row

type ContractRowOr<C> = [C] extends [never] ? Row : C extends Contract ? (string extends keyof C['columns'] ? Row : ContractRow<C>) : Row
