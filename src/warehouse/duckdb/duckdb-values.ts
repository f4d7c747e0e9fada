import {
  DuckDBTypeId,
  arrayFromArrayValue,
  arrayFromListValue,
  blobValue,
  booleanFromValue,
  createDuckDBValueConverter,
  dateFromDateValue,
  dateFromTimestampMillisecondsValue,
  dateFromTimestampNanosecondsValue,
  dateFromTimestampSecondsValue,
  dateFromTimestampTZValue,
  dateFromTimestampValue,
  doubleFromDecimalValue,
  listValue,
  nullConverter,
  numberFromValue,
  objectArrayFromMapValue,
  objectFromStructValue,
  objectFromUnionValue,
  timestampValue,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api'
import { ErrorCode, TributaryError } from '../../model/errors.js'

/** Any JS value a converter may produce. */
type JsValue = unknown

const text = (value: DuckDBValue): string => String(value)

/** BIGINT and wider integers: a number when it is exact, otherwise its decimal string. */
function integer(value: DuckDBValue): number | string {
  const big = typeof value === 'bigint' ? value : BigInt(String(value))
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString()
}

/** Dates and timestamps become JS Dates; infinities and years JS cannot hold keep DuckDB's text. */
function date(convert: (value: DuckDBValue) => Date): (value: DuckDBValue) => Date | string {
  return (value) => {
    try {
      return convert(value)
    } catch {
      return String(value)
    }
  }
}

const TO_JS: Record<DuckDBTypeId, DuckDBValueConverter<JsValue> | undefined> = {
  [DuckDBTypeId.INVALID]: text,
  [DuckDBTypeId.BOOLEAN]: booleanFromValue,
  [DuckDBTypeId.TINYINT]: numberFromValue,
  [DuckDBTypeId.SMALLINT]: numberFromValue,
  [DuckDBTypeId.INTEGER]: numberFromValue,
  [DuckDBTypeId.BIGINT]: integer,
  [DuckDBTypeId.UTINYINT]: numberFromValue,
  [DuckDBTypeId.USMALLINT]: numberFromValue,
  [DuckDBTypeId.UINTEGER]: numberFromValue,
  [DuckDBTypeId.UBIGINT]: integer,
  [DuckDBTypeId.HUGEINT]: integer,
  [DuckDBTypeId.UHUGEINT]: integer,
  [DuckDBTypeId.BIGNUM]: integer,
  [DuckDBTypeId.FLOAT]: numberFromValue,
  [DuckDBTypeId.DOUBLE]: numberFromValue,
  [DuckDBTypeId.DECIMAL]: doubleFromDecimalValue,
  [DuckDBTypeId.DATE]: date(dateFromDateValue),
  [DuckDBTypeId.TIMESTAMP]: date(dateFromTimestampValue),
  [DuckDBTypeId.TIMESTAMP_S]: date(dateFromTimestampSecondsValue),
  [DuckDBTypeId.TIMESTAMP_MS]: date(dateFromTimestampMillisecondsValue),
  [DuckDBTypeId.TIMESTAMP_NS]: date(dateFromTimestampNanosecondsValue),
  [DuckDBTypeId.TIMESTAMP_TZ]: date(dateFromTimestampTZValue),
  [DuckDBTypeId.TIME]: text,
  [DuckDBTypeId.TIME_TZ]: text,
  [DuckDBTypeId.TIME_NS]: text,
  [DuckDBTypeId.INTERVAL]: text,
  [DuckDBTypeId.VARCHAR]: text,
  [DuckDBTypeId.ENUM]: text,
  [DuckDBTypeId.UUID]: text,
  [DuckDBTypeId.BLOB]: text,
  [DuckDBTypeId.BIT]: text,
  [DuckDBTypeId.GEOMETRY]: text,
  [DuckDBTypeId.VARIANT]: text,
  [DuckDBTypeId.LIST]: arrayFromListValue,
  [DuckDBTypeId.ARRAY]: arrayFromArrayValue,
  [DuckDBTypeId.STRUCT]: objectFromStructValue,
  [DuckDBTypeId.MAP]: objectArrayFromMapValue,
  [DuckDBTypeId.UNION]: objectFromUnionValue,
  [DuckDBTypeId.SQLNULL]: nullConverter,
  [DuckDBTypeId.ANY]: text,
  [DuckDBTypeId.STRING_LITERAL]: text,
  [DuckDBTypeId.INTEGER_LITERAL]: text,
}

/**
 * Converts DuckDB values to plain JS: integers to numbers (decimal strings past 2^53),
 * DECIMAL to number, DATE/TIMESTAMP[TZ] to Date (naive timestamps read as UTC), times,
 * intervals, UUIDs and blobs to DuckDB's text, LIST/STRUCT/MAP to arrays and objects.
 */
export const toJs: DuckDBValueConverter<JsValue> = createDuckDBValueConverter(TO_JS)

/** Converts one query parameter to a DuckDB value; Dates bind as naive UTC TIMESTAMPs. */
function toDuckDb(value: unknown, index: number): DuckDBValue {
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return value
  }
  if (value instanceof Date) return timestampValue(dateMicros(value))
  if (value instanceof Uint8Array) return blobValue(value)
  if (Array.isArray(value)) return listValue(value.map((item) => toDuckDb(item, index)))
  throw new TributaryError(ErrorCode.WarehouseQuery, `query parameter $${index + 1} is a ${typeof value} (${String(value).slice(0, 40)}), which cannot be bound`, {
    hint: 'Pass numbers, strings, booleans, bigints, Dates, Uint8Arrays, arrays of those, or null; JSON.stringify objects.',
  })
}

/** Microseconds since the epoch, as DuckDB stores timestamps. */
export function dateMicros(value: Date): bigint {
  return BigInt(value.getTime()) * 1000n
}

/** Converts query parameters to DuckDB values. */
export function toDuckDbParams(params: readonly unknown[]): DuckDBValue[] {
  return params.map(toDuckDb)
}
