// Builds the web UI into ui/dist, which the Tributary server serves with a single-page-app fallback.
// Run from the repository root: `npm run build:ui` (vite build --config ui/vite.config.ts).
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite --config ui/vite.config.ts` proxies the API to a running `tributary serve`.
    proxy: { '/api': { target: process.env.TRIBUTARY_URL ?? 'http://127.0.0.1:3000', changeOrigin: true } },
  },
})
