// The lineage page of a 5,000-asset graph in Debian's Chromium: time to fetch the graph, lay it
// out (d3-dag above 100 nodes, ELK up to it, in a Web Worker) and draw it, and how long the page
// takes to answer meanwhile. A fresh browser each time: the first open, with no layout kept; then
// the same page reopened, drawn from the layout the first open kept in IndexedDB.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { defineAsset, Tributary, type AnyNode } from '../src/index.js'
import { defineProject } from '../src/model/project.js'
import { startServer } from '../src/server/server.js'
import { inTempDir, result, type BenchResult } from './harness.js'

const CHROMIUM = process.env.TRIBUTARY_CHROMIUM || '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const UI_DIR = join(import.meta.dirname, '..', 'ui', 'dist')

function graph(size: number, width = 100): AnyNode[] {
  const assets: AnyNode[] = []
  let previous: AnyNode[] = []
  for (let layer = 0; assets.length < size; layer++) {
    const current: AnyNode[] = []
    for (let i = 0; i < width && assets.length < size; i++) {
      const ins = Object.fromEntries([previous[i], previous[(i * 7 + 3) % Math.max(1, previous.length)]].filter(Boolean).map((node, n) => [`in${n}`, node!]))
      const asset = defineAsset({ key: `layer${String(layer).padStart(2, '0')}/asset_${String(i).padStart(3, '0')}`, io: 'none', ins, async materialize() {} })
      current.push(asset)
      assets.push(asset)
    }
    previous = current
  }
  return assets
}

/** Benchmark: render time of the 5,000-asset lineage page in Chromium. */
export async function uiLineage(): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM) || !existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`needs Chromium at ${CHROMIUM} (apt-get install -y chromium) and the built UI (npm run build:ui)`)
  }
  return inTempDir('trb-bench-ui-', async (dir) => {
    const instance = await Tributary.open({ projectDir: dir, project: defineProject({ name: 'five-thousand', assets: graph(5_000) }) })
    const server = await startServer({ instance: () => instance, port: 0, uiDir: UI_DIR, log: () => undefined })
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    try {
      const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
      const started = Date.now()
      await page.goto(`${server.url}/lineage`)
      let slowest = 0
      while (!(await page.$('canvas[data-rendered="1"]')) && Date.now() - started < 240_000) {
        const sent = Date.now()
        await page.evaluate('1 + 1')
        slowest = Math.max(slowest, Date.now() - sent)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      type Timings = { engine: string; cached: boolean; fetchMs: number; layoutMs: number; firstDrawMs: number; totalMs: number }
      const timings = (await page.evaluate('window.__tributaryLineage')) as Timings | undefined
      if (!timings) throw new Error('the lineage page did not render within 240 s')
      if (timings.cached) throw new Error('the first open found a layout kept from before: the bench must measure a fresh browser')
      // Reopened in the same browser: the layout kept in IndexedDB on the first visit is drawn without laying out.
      await page.reload()
      await page.waitForSelector('canvas[data-rendered="1"]', { timeout: 240_000 })
      const again = (await page.evaluate('window.__tributaryLineage')) as Timings
      return [
        result('UI lineage 5,000 assets: fetch the graph', timings.fetchMs, 'ms'),
        result(`UI lineage 5,000 assets: layout in a worker (${timings.engine})`, timings.layoutMs, 'ms'),
        result('UI lineage 5,000 assets: first draw', timings.firstDrawMs, 'ms'),
        result('UI lineage 5,000 assets: page open → drawn', timings.totalMs, 'ms', { max: 2000 }),
        result('UI lineage 5,000 assets: slowest page round trip during layout', slowest, 'ms', { max: 1000 }),
        result(`UI lineage 5,000 assets: reopened → drawn (${again.cached ? 'layout kept from the first open' : 'laid out again'})`, again.totalMs, 'ms'),
      ]
    } finally {
      await browser.close()
      await server.close()
      await instance.close()
    }
  })
}
