// Keeps docs/ honest: every ```ts block type-checks against the real API, every error code
// and CLI command is documented, and links between the pages resolve.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Command } from '../src/cli/command.js'
import { Tributary } from '../src/instance/tributary.js'
import { ErrorCode } from '../src/model/errors.js'
import { defineProject } from '../src/model/project.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const docsDir = join(root, 'docs')
const commandsDir = join(root, 'src', 'cli', 'commands')

const REQUIRED_DOCS = ['README.md', 'concepts.md', 'definitions.md', 'checks.md', 'selection.md', 'cli.md', 'state.md', 'errors.md']

/** One fenced code block of a Markdown file. */
interface CodeBlock {
  readonly doc: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly language: string
  /** Words after the language: `fragment` in ```ts fragment. */
  readonly flags: readonly string[]
  readonly code: string
}

/** The fenced code blocks of a Markdown document, in order. */
function codeBlocks(doc: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/.exec(lines[i]!)
    if (!open) continue
    const fence = open[1]!
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!)) body.push(lines[j++]!)
    blocks.push({ doc, line: i + 1, language: open[2]!.toLowerCase(), flags: open[3]!.split(/\s+/).filter(Boolean), code: body.join('\n') })
    i = j
  }
  return blocks
}

function markdownFiles(): string[] {
  return readdirSync(docsDir).filter((name) => name.endsWith('.md')).sort()
}

function readDoc(name: string): string {
  return readFileSync(join(docsDir, name), 'utf8')
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  let inFence = false
  for (const line of markdown.split('\n')) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) inFence = !inFence
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const slug = heading[1]!.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '').replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return result
}

/** The rows of the tables in errors.md: code → name, meaning, what to do. */
function errorRows(): Map<string, { name: string; meaning: string; todo: string }> {
  const rows = new Map<string, { name: string; meaning: string; todo: string }>()
  for (const match of readDoc('errors.md').matchAll(/^\| `(TRB\d{4})` \| `(\w+)` \| (.*) \| (.*?) \|$/gm)) {
    rows.set(match[1]!, { name: match[2]!, meaning: match[3]!.trim(), todo: match[4]!.trim() })
  }
  return rows
}

/**
 * The codes the code can emit: every `ErrorCode.X` in src/ (errors.ts itself past the code table
 * included) and every 'TRBnnnn' literal in src/ and bin/, by name → the first file using it.
 */
function emittedCodes(): Map<string, string> {
  const byCode = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as string, name]))
  const emitted = new Map<string, string>()
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory() ? walk(join(dir, entry.name))
    : /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : [])
  for (const file of [...walk(join(root, 'src')), ...walk(join(root, 'bin'))]) {
    let text = readFileSync(file, 'utf8')
    const where = relative(root, file)
    // The table that defines the codes is not a use of them.
    if (where === join('src', 'model', 'errors.ts')) text = text.slice(text.indexOf('} as const'))
    for (const match of text.matchAll(/ErrorCode\.(\w+)/g)) if (!emitted.has(match[1]!)) emitted.set(match[1]!, where)
    for (const match of text.matchAll(/['"`](TRB\d{4})\b/g)) {
      const name = byCode.get(match[1]!)
      if (name && !emitted.has(name)) emitted.set(name, where)
    }
  }
  return emitted
}

describe('docs', () => {
  test('every page exists', () => {
    for (const name of REQUIRED_DOCS) assert.ok(existsSync(join(docsDir, name)), `docs/${name} is missing`)
  })

  test('every ```ts block type-checks as a module importing from tributary', () => {
    const blocks = markdownFiles().flatMap((name) => codeBlocks(name, readDoc(name)))
      .filter((block) => ['ts', 'typescript'].includes(block.language) && !block.flags.includes('fragment'))
    assert.ok(blocks.length > 0, 'no ```ts blocks found in docs/')

    // Inside the repository, so that `tributary` resolves to this package through its "exports".
    const dir = join(root, '.doc-examples', randomBytes(6).toString('hex'))
    mkdirSync(dir, { recursive: true })
    try {
      const counters = new Map<string, number>()
      const sources = new Map<string, CodeBlock>()
      for (const block of blocks) {
        const stem = basename(block.doc, '.md')
        const n = (counters.get(stem) ?? 0) + 1
        counters.set(stem, n)
        const file = `${stem}-${n}.ts`
        // `export {}` keeps a block without imports or exports a module, as the docs promise.
        writeFileSync(join(dir, file), `${block.code}\nexport {}\n`)
        sources.set(file, block)
      }
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true },
        include: [...sources.keys()],
      }, null, 2))

      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
      const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--noEmit', '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim()
      const legend = [...sources].map(([file, block]) => `  ${file} = docs/${block.doc} line ${block.line}`).join('\n')
      assert.equal(result.status, 0, `the TypeScript compiler rejected doc examples in ${relative(root, dir)}:\n${output}\n\nwhere\n${legend}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      // Leave no empty .doc-examples/ behind when this run was its only user.
      const parent = dirname(dir)
      if (existsSync(parent) && readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true })
    }
  })

  test('errors.md documents every error code', () => {
    const errors = readDoc('errors.md')
    const missing = Object.entries(ErrorCode).filter(([name, code]) => !errors.includes(`\`${code}\``) || !errors.includes(`\`${name}\``))
    assert.deepEqual(missing, [], `docs/errors.md lacks these codes (code and name): ${missing.map(([name, code]) => `${code} ${name}`).join(', ')}`)
  })

  test('every error code the code can emit is in errors.md, with a meaning that does not call it reserved', () => {
    const rows = errorRows()
    const emitted = emittedCodes()
    const problems: string[] = []
    for (const [name, where] of emitted) {
      const code = (ErrorCode as Record<string, string>)[name]!
      const row = rows.get(code)
      if (!row) problems.push(`${code} ${name} (emitted in ${where}) has no row in docs/errors.md`)
      else if (row.name !== name) problems.push(`${code} is documented as ${row.name}, but the code calls it ${name}`)
      else if (row.meaning.length < 20 || row.todo.length < 3) problems.push(`${code} ${name} has no meaning or no "what to do" in docs/errors.md`)
      else if (/\breserved\b|not emitted|never (raised|emitted)/i.test(row.meaning)) problems.push(`${code} ${name} is emitted (${where}) but docs/errors.md calls it reserved`)
    }
    const defined = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as string, name]))
    for (const [code, row] of rows) {
      if (code === 'TRB0000') continue
      if (!defined.has(code)) problems.push(`docs/errors.md documents ${code} ${row.name}, which ErrorCode does not define`)
      else if (!emitted.has(defined.get(code)!) && !/\breserved\b/i.test(row.meaning)) problems.push(`${code} ${row.name} is never emitted by src/ or bin/; document it as reserved or remove it`)
    }
    assert.deepEqual(problems, [])
  })

  test('the failed run error and the heartbeat are documented as the code has them', async () => {
    const problems: string[] = []
    for (const name of markdownFiles()) {
      readDoc(name).split('\n').forEach((line, i) => {
        // The run's summary error is the only one saying "N step(s) failed or blocked".
        const code = /step\(s\) failed or blocked/.test(line) ? /TRB\d{4}/.exec(line)?.[0] : undefined
        if (code && code !== ErrorCode.RunFailed) problems.push(`docs/${name}:${i + 1}: a failed run's error is ${ErrorCode.RunFailed}, not ${code}`)
      })
    }
    const concepts = readDoc('concepts.md')
    const failedRun = /^- `failed` when any step failed[^\n]*\n(?: {2}[^\n]*\n)*/m.exec(concepts)?.[0] ?? ''
    assert.ok(failedRun.includes(`\`${ErrorCode.RunFailed}\``), `concepts.md: a failed run's error is ${ErrorCode.RunFailed}: ${failedRun}`)

    const dir = mkdtempSync(join(tmpdir(), 'trb-docs-heartbeat-'))
    const instance = await Tributary.open({ projectDir: dir, project: defineProject({ name: 'heartbeat', assets: [] }) })
    const { heartbeatMs } = instance.settings
    await instance.close()
    rmSync(dir, { recursive: true, force: true })
    const said = heartbeatMs === 1000 ? 'every second' : `every ${heartbeatMs / 1000} seconds`
    for (const name of markdownFiles()) {
      for (const match of readDoc(name).matchAll(/renews a heartbeat (every [\w .]+?)(?=[.;,])/g)) {
        if (match[1] !== said) problems.push(`docs/${name}: "renews a heartbeat ${match[1]}", but the heartbeat is ${said} (${heartbeatMs} ms)`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('cli.md documents every command and its options', async () => {
    const cli = readDoc('cli.md')
    const files = readdirSync(commandsDir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')).sort()
    assert.ok(files.length > 0, 'no commands found')
    for (const file of files) {
      const command = ((await import(pathToFileURL(join(commandsDir, file)).href)) as { default?: Command }).default
      const names = new Set([basename(file, '.ts'), ...(command?.name ? [command.name] : [])])
      for (const name of names) {
        const heading = new RegExp(`^#{2,3} +\`?tributary ${name.replace(/[-]/g, '\\-')}(?![\\w-])`, 'm')
        assert.match(cli, heading, `docs/cli.md has no section "## tributary ${name}" (from src/cli/commands/${file})`)
      }
      for (const option of Object.keys(command?.options ?? {})) {
        assert.ok(cli.includes(`--${option}`), `docs/cli.md does not mention --${option} of tributary ${command?.name}`)
      }
    }
  })

  test('links between pages resolve, anchors included', () => {
    const problems: string[] = []
    for (const name of markdownFiles()) {
      const markdown = readDoc(name)
      const withoutCode = markdown.replace(/^ {0,3}(`{3,}|~{3,})[\s\S]*?^ {0,3}\1\s*$/gm, '').replace(/`[^`\n]*`/g, '')
      for (const match of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!
        if (/^[a-z]+:/i.test(target)) continue
        const [path = '', anchor] = target.split('#')
        const file = path === '' ? join(docsDir, name) : resolve(docsDir, path)
        if (!existsSync(file)) {
          problems.push(`docs/${name}: ${target} (no such file)`)
          continue
        }
        if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
          problems.push(`docs/${name}: ${target} (no such heading)`)
        }
      }
    }
    assert.deepEqual(problems, [])
  })
})
