import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Writes one payments export per day from `first` for `days` days; `broken` days get duplicated rows. */
export async function landPayments(projectDir: string, options: { first: string; days: number; broken?: readonly string[] }): Promise<string[]> {
  const dir = join(projectDir, 'landing', 'payments')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const start = Date.parse(`${options.first}T00:00:00Z`)
  const written: string[] = []
  for (let d = 0; d < options.days; d++) {
    const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10)
    written.push(await landDay(projectDir, day, options.broken?.includes(day) ?? false))
  }
  return written
}

/** Writes (or fixes) one day's export: 12 payments, deterministic per day; `broken` repeats five of them. */
export async function landDay(projectDir: string, day: string, broken = false): Promise<string> {
  const seed = Number(day.replaceAll('-', ''))
  const rows = Array.from({ length: 12 }, (_, i) => {
    const n = (seed * 31 + i * 7919) % 100_000
    return [seed * 100 + i, 1 + (n % 60), (50 + n / 100).toFixed(2), n % 20 === 0 ? 'refunded' : 'paid', day]
  })
  const body = broken ? [...rows, ...rows.slice(0, 5)] : rows
  const file = join(projectDir, 'landing', 'payments', `payments_${day}.csv`)
  await writeFile(file, ['payment_id,account_id,amount,status,paid_at', ...body.map((r) => r.join(','))].join('\n') + '\n')
  return file
}
