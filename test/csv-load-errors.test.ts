// A CSV that will not load says which file and which line, and what to check in it.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { defineAsset } from '../src/model/asset.js'
import { files } from '../src/model/source.js'
import { defineSource } from '../src/model/source.js'
import { TributaryError } from '../src/model/errors.js'
import { DuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js'
import { openProject, tempDir } from './helpers/temp-project.js'

const GOOD = 'id,amount\n1,5\n2,7\n'
const rows = (n: number) => `id,amount\n${Array.from({ length: n }, (_, i) => `${i + 1},${i}`).join('\n')}\n${n + 1},oops,extra\n`
// Past DuckDB's sniffing sample (20,480 rows): the sniffer settles on two columns, and reading fails at line 30002.
const BAD = rows(30_000)
// Within the sample: the sniffer itself fails, and read with other files it names the file "".
const UNSNIFFABLE = rows(3_000)

test('a CSV load that fails names the file and the line, with a hint about the CSV (TRB5010)', async () => {
  const { dir, cleanup } = await tempDir('csv-')
  const warehouse = await DuckDbWarehouse.open(join(dir, 'w.duckdb'))
  try {
    await writeFile(join(dir, 'a.csv'), GOOD)
    await writeFile(join(dir, 'b.csv'), BAD)
    const session = await warehouse.session()
    try {
      const error = await session.createFromCsv({ schema: 'raw', name: 't' }, [join(dir, 'a.csv'), join(dir, 'b.csv')]).then(() => undefined, (e: unknown) => e)
      assert.ok(error instanceof TributaryError, String(error))
      assert.equal(error.code, 'TRB5010')
      assert.match(error.message, new RegExp(`CSV file ${join(dir, 'b.csv').replaceAll('/', '\\/')} \\(line 30002\\)`))
      assert.equal(error.context.file, join(dir, 'b.csv'))
      assert.doesNotMatch(error.message, /sniffing file ""/)
      assert.match(error.hint ?? '', /b\.csv at line 30002 \("30001,oops,extra"\)/)
      assert.match(error.hint ?? '', /same number of columns/)
      assert.doesNotMatch(error.hint ?? '', /SQL/)
      assert.equal(error.retryable, false, 'a broken file fails the same way next time')

      await writeFile(join(dir, 'c.csv'), UNSNIFFABLE)
      const unsniffable = await session.createFromCsv({ schema: 'raw', name: 't' }, [join(dir, 'a.csv'), join(dir, 'c.csv')]).then(() => undefined, (e: unknown) => e)
      assert.ok(unsniffable instanceof TributaryError)
      assert.equal(unsniffable.code, 'TRB5010')
      assert.match(unsniffable.message, /could not load CSV file .*c\.csv: .*sniffing file ".*c\.csv"/)
      assert.doesNotMatch(unsniffable.message, /sniffing file ""/)

      const gone = await session.createFromCsv({ schema: 'raw', name: 't' }, [join(dir, 'a.csv'), join(dir, 'gone.csv')]).then(() => undefined, (e: unknown) => e)
      assert.ok(gone instanceof TributaryError)
      assert.equal(gone.code, 'TRB5010')
      assert.equal(gone.context.file, join(dir, 'gone.csv'))
      assert.match(gone.hint ?? '', /gone\.csv is gone/)
    } finally {
      await session.close()
    }
  } finally {
    await warehouse.close()
    await cleanup()
  }
})

test('an asset loading a broken CSV fails its step with the file named, not "Fix the SQL"', async () => {
  const landing = defineSource({ key: 'landing/payments', observe: files('landing/*.csv') })
  const payments = defineAsset({ key: 'raw/payments', ins: { landing }, async materialize({ landing }, ctx) { await ctx.loadCsv(landing.files) } })
  const p = await openProject({ assets: [landing, payments] })
  try {
    await mkdir(join(p.dir, 'landing'), { recursive: true })
    await writeFile(join(p.dir, 'landing/2026-03-01.csv'), GOOD)
    await writeFile(join(p.dir, 'landing/2026-03-02.csv'), BAD)
    const result = await p.instance.materialize('raw/payments')
    assert.equal(result.status, 'failed')
    const [step] = await p.instance.store.listSteps(result.runId)
    assert.equal(step!.error?.code, 'TRB5010', JSON.stringify(step!.error))
    assert.match(step!.error!.message, /landing\/2026-03-02\.csv \(line 30002\)/)
    assert.doesNotMatch(step!.error!.hint ?? '', /Fix the SQL/)
  } finally {
    await p.close()
  }
})
