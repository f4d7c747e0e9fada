import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { defineCommand, Exit } from '../command.js'
import { style } from '../format.js'
import { ASSETS_FILE, configFile, GITIGNORE_LINES, ORDERS_CSV, packageJson, projectName, TSCONFIG_FILE } from '../scaffold.js'

/** `tributary init [dir]`: scaffolds a small project that runs where it is, inside or outside a checkout. */
export default defineCommand({
  name: 'init',
  summary: 'create a small working project (package.json, config, assets, sample data)',
  usage: 'tributary init [dir] [--force]',
  help: [
    'dir is relative to the current directory (or --project), or absolute; it is created if missing.',
    'An existing package.json is kept and completed ("type": "module", the dependency, scripts).',
    '',
    '  --force   overwrite the config, assets, sample data and tsconfig.json if they exist',
    '',
    'Then: cd dir && tributary validate && tributary materialize && tributary status',
  ].join('\n'),
  options: { force: { type: 'boolean' } },
  async run(ctx) {
    const dir = resolve(ctx.projectDir, ctx.positionals[0] ?? '.')
    const name = projectName(basename(dir))
    const targets = [
      ['tributary.config.ts', configFile(name)], ['assets.ts', ASSETS_FILE], ['landing/orders.csv', ORDERS_CSV], ['tsconfig.json', TSCONFIG_FILE],
    ] as const
    const existing = targets.filter(([file]) => existsSync(join(dir, file))).map(([file]) => file)
    if (existing.length > 0 && !ctx.values.force) {
      ctx.err(`${style.red('TRB6001')} ${dir} already has ${existing.join(', ')}\n        ${style.dim('hint: choose an empty directory, or pass --force to overwrite')}`)
      return Exit.Usage
    }
    const pkgFile = join(dir, 'package.json')
    const current = existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>) : undefined
    if (current?.type === 'commonjs') {
      ctx.err(`${style.red('TRB6001')} ${pkgFile} says "type": "commonjs"\n        ${style.dim('hint: Tributary projects are ES modules; remove the "type" field or init a new directory')}`)
      return Exit.Usage
    }
    for (const [file, content] of targets) {
      await mkdir(join(dir, file, '..'), { recursive: true })
      await writeFile(join(dir, file), content)
    }
    await writeFile(pkgFile, `${JSON.stringify(packageJson(name, current), null, 2)}\n`)
    const gitignore = join(dir, '.gitignore')
    const lines = existsSync(gitignore) ? readFileSync(gitignore, 'utf8').split('\n') : []
    const missing = GITIGNORE_LINES.filter((line) => !lines.includes(line))
    if (missing.length > 0) await writeFile(gitignore, [...lines.filter((l, i) => l || i < lines.length - 1), ...missing, ''].join('\n'))

    const cd = relative(process.cwd(), dir)
    ctx.out([
      `${style.green('✓')} created the Tributary project ${style.bold(name)} in ${dir}`,
      '',
      ...(cd ? [`  cd ${cd.startsWith('..') ? dir : cd}`] : []),
      '  tributary validate                  # every definition problem, with a code and a hint',
      '  tributary materialize               # landing/orders → raw/orders → marts/daily_revenue, checked',
      '  tributary status                    # fresh, stale, late, failed… and why',
      '  tributary ready marts/daily_revenue # exit 0 when ready',
      '  tributary daemon                    # runs the daily schedule in tributary.config.ts',
    ].join('\n'))
    return Exit.Ok
  },
})
