import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { findControlPlane } from '../../instance/control-plane.js'
import { loadProject } from '../../instance/load-project.js'
import { ErrorCode, TributaryError } from '../../model/errors.js'
import { redactUrl } from '../../model/redact.js'
import { postgres } from '../../store/store-config.js'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'

/** `tributary migrate-store --to postgres://…`: copies the project's SQLite history into an empty PostgreSQL store. */
export default defineCommand({
  name: 'migrate-store',
  summary: "copy the project's history from its SQLite store into an empty PostgreSQL store",
  usage: 'tributary migrate-store --to postgres://user@host:5432/db [--json]',
  help: [
    'Copies every run, step, materialization, check result, observation, log, event, daemon tick,',
    'decision and incident from .tributary/metadata.sqlite into the PostgreSQL database, in one',
    'transaction, keeping ids. The target must be empty (TRB7022); running it again after a',
    'complete copy does nothing. Stop serve, dev and daemon first (TRB7024).',
    '',
    '  --to url   the PostgreSQL store (better: TRIBUTARY_DATABASE_URL; --to "$TRIBUTARY_DATABASE_URL")',
  ].join('\n'),
  options: { to: { type: 'string' } },
  async run(ctx) {
    const to = ctx.values.to
    if (typeof to !== 'string' || to === '') {
      ctx.err('usage: tributary migrate-store --to postgres://user@host:5432/db')
      return Exit.Usage
    }
    const target = postgres({ url: to })
    const { project } = await loadProject(ctx.projectDir)
    const stateDir = resolve(ctx.projectDir, project.stateDir ?? '.tributary')
    const file = resolve(stateDir, 'metadata.sqlite')
    if (!existsSync(file)) {
      throw new TributaryError(ErrorCode.MigrateNoSource, `there is no SQLite history to copy: ${file} does not exist`, {
        hint: 'Run it in the project that has the history (--project DIR); a project that never ran has nothing to move.',
      })
    }
    const running = await findControlPlane(stateDir)
    if (running) {
      throw new TributaryError(ErrorCode.MigrateWhileServed, `tributary ${running.command} (pid ${running.pid}) is writing this project's history; what it writes after the copy would be lost`, {
        hint: 'Stop it (and any tributary daemon of the project) first, copy, switch the config to store: postgres({ url }), then start it again.',
      })
    }
    // Imported here: only this command needs the copier (and both drivers at once).
    const { copySqliteToPostgres } = await import('../../store/migrate-store.js')
    const started = Date.now()
    const shown = redactUrl(to)
    if (!ctx.json) ctx.err(style.dim(`copying ${file} → ${shown}`))
    let current = ''
    const result = await copySqliteToPostgres(file, target, (table, copied, total) => {
      if (ctx.json) return
      if (table !== current) current = table
      if (copied === total) ctx.err(`  ${style.green('✓')} ${table.padEnd(24)} ${total.toLocaleString('en-US')} row${total === 1 ? '' : 's'}`)
      else if (copied > 0) ctx.err(style.dim(`    ${table} ${copied.toLocaleString('en-US')}/${total.toLocaleString('en-US')}…`))
    })
    const ms = Date.now() - started
    if (ctx.json) {
      ctx.out(JSON.stringify({ from: file, to: shown, alreadyCopied: result.alreadyCopied, rows: result.rows, tables: result.tables, skipped: result.skipped, ms }, null, 2))
    } else if (result.alreadyCopied) {
      ctx.out(`${style.green('✓')} ${shown} already holds this history (copied before); nothing to do`)
    } else {
      ctx.out(`${style.green('✓')} copied ${result.rows.toLocaleString('en-US')} rows in ${result.tables.length} tables to ${shown} in ${(ms / 1000).toFixed(1)}s`)
      ctx.out(style.dim('Next: set store: postgres({ url: process.env.TRIBUTARY_DATABASE_URL }) in tributary.config.ts; keep metadata.sqlite until you are content.'))
    }
    return Exit.Ok
  },
})
