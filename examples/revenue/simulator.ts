import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** How one night's export arrives. */
export type Scenario = 'on_time' | 'late' | 'partial' | 'duplicated' | 'schema_drift'

/** What to simulate for one night. */
export interface NightOptions {
  /** 1 for the first night (which also carries 120 days of payment history). */
  readonly night: number
  /** Default: 'on_time'. */
  readonly payments?: Scenario
  /** Default: 'on_time'. */
  readonly crm?: Scenario
  /** When the exports land. Default: now. */
  readonly now?: Date
  /** Land only one system's export (the other's files are left as they are). Default: both. */
  readonly only?: 'payments' | 'crm'
}

const SEGMENTS = ['smb', 'mid_market', 'enterprise'] as const
const ACCOUNTS = 60
const FIRST_DAY = Date.UTC(2026, 0, 1)

/** Removes every landed export. */
export async function resetLanding(projectDir: string): Promise<void> {
  await rm(join(projectDir, 'landing'), { recursive: true, force: true })
}

/**
 * Drops one night's exports into `landing/` the way the billing system and the CRM would:
 * on time, late (nothing new arrives; the last files are 30 hours old), partial (a tenth of
 * the rows), duplicated (some rows twice) or schema-drifted (a column renamed and retyped).
 */
export async function simulateNight(projectDir: string, options: NightOptions): Promise<string[]> {
  const now = options.now ?? new Date()
  const random = seeded(options.night)
  const day = new Date(FIRST_DAY + (120 + options.night) * 86_400_000).toISOString().slice(0, 10)
  const written: string[] = []
  const land = async (folder: string, name: string, rows: readonly (readonly (string | number)[])[], scenario: Scenario) => {
    if (scenario === 'late') {
      // Nothing new lands; what is there was written the night before, 30 hours ago.
      const dir = join(projectDir, 'landing', folder)
      const yesterday = new Date(now.getTime() - 30 * 3_600_000)
      for (const file of await readdir(dir).catch(() => [])) await utimes(join(dir, file), yesterday, yesterday)
      return
    }
    let [header, ...body] = rows
    if (scenario === 'partial') body = body.slice(0, Math.ceil(body.length / 10))
    if (scenario === 'duplicated') body = [...body, ...body.slice(0, 5)]
    if (scenario === 'schema_drift') {
      header = header!.map((column) => (column === 'amount' ? 'amount_eur' : column))
      body = body.map((row) => row.map((value, i) => (rows[0]![i] === 'amount' ? `EUR ${value}` : value)))
    }
    const file = join(projectDir, 'landing', folder, `${name}_${day}.csv`)
    await mkdir(join(projectDir, 'landing', folder), { recursive: true })
    await writeFile(file, [header!, ...body].map((row) => row.join(',')).join('\n') + '\n')
    await utimes(file, now, now)
    written.push(file)
  }

  const paymentRows: (string | number)[][] = [['payment_id', 'account_id', 'amount', 'status', 'paid_at']]
  const days = options.night === 1 ? 120 : 1
  for (let d = days - 1; d >= 0; d--) {
    const date = new Date(FIRST_DAY + (120 + options.night - d) * 86_400_000).toISOString().slice(0, 10)
    for (let i = 0; i < 12; i++) {
      const id = (options.night * 1000 + (days - 1 - d)) * 100 + i
      const account = 1 + Math.floor(random() * ACCOUNTS * (d > 60 ? 1 : 0.8))
      paymentRows.push([id, account, (50 + Math.floor(random() * 95_000) / 100).toFixed(2), random() < 0.05 ? 'refunded' : 'paid', date])
    }
  }
  if (options.only !== 'crm') await land('payments', 'payments', paymentRows, options.payments ?? 'on_time')

  const accountRows: (string | number)[][] = [['account_id', 'name', 'segment']]
  for (let id = 1; id <= ACCOUNTS; id++) accountRows.push([id, `Account ${id}`, SEGMENTS[id % 3]!])
  const opportunityRows: (string | number)[][] = [['opportunity_id', 'account_id', 'amount', 'stage']]
  for (let id = 1; id <= 80 + options.night * 5; id++) {
    const stage = random() < 0.55 ? 'open' : random() < 0.5 ? 'won' : 'lost'
    opportunityRows.push([id, 1 + Math.floor(random() * ACCOUNTS), (1000 + Math.floor(random() * 50_000)).toFixed(2), stage])
  }
  const crm = options.crm ?? 'on_time'
  if (options.only !== 'payments') {
    await land('crm', 'accounts', accountRows, crm === 'schema_drift' ? 'on_time' : crm)
    await land('crm', 'opportunities', opportunityRows, crm)
  }
  return written
}

// A small deterministic generator so every run of the demo tells the same story.
function seeded(seed: number): () => number {
  let state = (seed * 2_654_435_761) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
