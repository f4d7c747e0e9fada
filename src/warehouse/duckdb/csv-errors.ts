import { ErrorCode, TributaryError } from '../../model/errors.js'

// DuckDB's CSV errors say "CSV Error on Line: 50001" but, when several files are read at once,
// often not which file, and sniffing errors may name the file "". The reader needs both.
const LINE = /CSV Error on Line: (\d+)/i
const NOT_FOUND = /No files found|No such file/i
const ORIGINAL_LINE = /^Original Line: (.*)$/m
// Kinds that fail the same way on every attempt, as in duckdb-errors.ts.
const DETERMINISTIC = /^(Parser|Binder|Catalog|Conversion|Constraint|Invalid Input|Invalid Type|Not implemented|Out of Range|Type Mismatch|Syntax|Sniffer) Error/i

/** Where a CSV load went wrong: the file at fault (null when only the files together fail), and DuckDB's error. */
export interface CsvFailure {
  readonly file: string | null
  readonly error: unknown
}

/** The line number DuckDB reports in a CSV error, if any. */
export function csvErrorLine(message: string): number | undefined {
  const line = LINE.exec(message)?.[1]
  return line === undefined ? undefined : Number(line)
}

/**
 * TRB5010 for a failed CSV load: names the file at fault and the line DuckDB reports, keeps
 * DuckDB's first lines of explanation, and says what to check in the file (not "fix the SQL").
 */
export function csvLoadError(failure: CsvFailure, files: readonly string[]): TributaryError {
  // The statement runner already wrapped DuckDB's error (TRB5002); read DuckDB's own words.
  const raw = failure.error instanceof TributaryError && failure.error.cause !== undefined ? failure.error.cause : failure.error
  const message = raw instanceof Error ? raw.message : String(raw)
  const line = csvErrorLine(message)
  const original = ORIGINAL_LINE.exec(message)?.[1]
  // DuckDB's first line is the kind and the gist; the next one or two say what it expected.
  const gist = message.split('\n').map((l) => l.trim()).filter((l) => /\w/.test(l) && !l.startsWith('LINE ') && !l.startsWith('Original Line:')).slice(0, 2).join(' ')
  const where = failure.file === null ? `the ${files.length} CSV files ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''} together` : `CSV file ${failure.file}${line === undefined ? '' : ` (line ${line})`}`
  const what = failure.file !== null && NOT_FOUND.test(message)
    ? `${failure.file} is gone: it was matched, then moved or deleted before it was read. Check the source's file pattern and whatever moves the files, then re-run.`
    : failure.file === null
    ? 'Each file loads alone, so their columns disagree: check that the files share a header and each column holds the same kind of value in every file.'
    : `Check ${failure.file}${line === undefined ? '' : ` at line ${line}${original === undefined ? '' : ` (${JSON.stringify(original.slice(0, 200))})`}`}: it must be UTF-8 text with a header row and the same number of columns on every line, each column holding one kind of value. Fix or remove the file, then re-run.`
  return new TributaryError(ErrorCode.CsvLoad, `could not load ${where}: ${gist}`, {
    cause: raw,
    retryable: !DETERMINISTIC.test(message),
    context: failure.file === null ? {} : { file: failure.file },
    hint: what,
  })
}
