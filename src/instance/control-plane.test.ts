import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { advertise, clientUrl, CONTROL_PLANE_FILE, findControlPlane, readControlPlane } from './control-plane.js'

const root = await mkdtemp(join(tmpdir(), 'control-plane-'))
after(() => rm(root, { recursive: true, force: true }))
let counter = 0
const stateDir = () => join(root, `state-${++counter}`)

test('advertise writes the file (mode 0600) and withdraw removes it; a loopback client URL replaces a wildcard address', async () => {
  const dir = stateDir()
  const ad = await advertise(dir, { url: 'http://0.0.0.0:4321', port: 4321, secret: 's3cret', command: 'serve' })
  const file = join(dir, CONTROL_PLANE_FILE)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.deepEqual(readControlPlane(dir), { ...ad.info })
  assert.equal(ad.info.url, 'http://127.0.0.1:4321')
  assert.equal(ad.info.pid, process.pid)
  assert.equal(clientUrl('http://[::]:80'), 'http://[::1]:80')
  await ad.withdraw()
  assert.equal(existsSync(file), false)
  await ad.withdraw()
})

test('an unreadable or foreign file is no advertisement', async () => {
  const dir = stateDir()
  assert.equal(readControlPlane(dir), undefined)
  await advertise(dir, { url: 'http://127.0.0.1:1', port: 1, secret: 'x', command: 'serve' }).then((ad) => ad.withdraw())
  await writeFile(join(dir, CONTROL_PLANE_FILE), '{ not json')
  assert.equal(readControlPlane(dir), undefined)
  await writeFile(join(dir, CONTROL_PLANE_FILE), JSON.stringify({ version: 2, pid: 1, url: 'http://x', secret: 'y' }))
  assert.equal(readControlPlane(dir), undefined)
})

test('findControlPlane removes an advertisement whose process is gone', async () => {
  const dir = stateDir()
  const child = spawn(process.execPath, ['-e', ''])
  await once(child, 'exit')
  const ad = await advertise(dir, { url: 'http://127.0.0.1:9', port: 9, secret: 'x', command: 'serve' })
  await ad.withdraw()
  await writeFile(join(dir, CONTROL_PLANE_FILE), JSON.stringify({ ...ad.info, pid: child.pid }))
  assert.equal(await findControlPlane(dir), undefined)
  assert.equal(existsSync(join(dir, CONTROL_PLANE_FILE)), false)
})
