import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { postgres, sqlite } from './store-config.js'

describe('store config', () => {
  test('sqlite() is the embedded store', () => {
    assert.deepEqual(sqlite(), { type: 'sqlite' })
  })

  test('postgres() states its defaults: 10 connections, 30 s per statement, 30 s of riding out an outage', () => {
    assert.deepEqual(postgres({ url: 'postgres://app@db:5432/tributary' }), {
      type: 'postgres', url: 'postgres://app@db:5432/tributary', poolSize: 10, statementTimeoutMs: 30_000, retryForMs: 30_000,
    })
    assert.equal(postgres({ url: 'postgresql://db/x', statementTimeout: '2m', poolSize: 3 }).statementTimeoutMs, 120_000)
  })

  test('a missing URL (an unset environment variable) is TRB1050 saying so', () => {
    assert.throws(() => postgres({ url: undefined }), (error: any) => error.code === 'TRB1050' && /environment variable/.test(error.message))
  })

  test('a URL that is not postgres:// is TRB1050, its password redacted', () => {
    assert.throws(() => postgres({ url: 'mysql://root:hunter2@db/x' }), (error: any) => {
      assert.equal(error.code, 'TRB1050')
      assert.doesNotMatch(error.message, /hunter2/)
      return true
    })
  })

  test('a bad pool size or statement timeout is TRB1050', () => {
    assert.throws(() => postgres({ url: 'postgres://db/x', poolSize: 0 }), { code: 'TRB1050' })
    assert.throws(() => postgres({ url: 'postgres://db/x', poolSize: 2.5 }), { code: 'TRB1050' })
    assert.throws(() => postgres({ url: 'postgres://db/x', statementTimeout: 'soon' }), { code: 'TRB1050' })
    assert.throws(() => postgres({ url: 'postgres://db/x', statementTimeout: 0 }), { code: 'TRB1050' })
  })

  test('one postgres() for the warehouse too: schema is its ledger schema, a plain name, else TRB1050', () => {
    assert.equal(postgres({ url: 'postgres://db/x', schema: 'trb_meta' }).schema, 'trb_meta')
    assert.equal('schema' in postgres({ url: 'postgres://db/x' }), false, 'absent unless given')
    assert.throws(() => postgres({ url: 'postgres://db/x', schema: 'bad-name' }), (error: any) => error.code === 'TRB1050' && /schema/.test(error.message))
  })
})
