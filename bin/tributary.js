#!/usr/bin/env node
// Registers the TypeScript loader so the CLI and the project's tributary.config.ts load as they are.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
