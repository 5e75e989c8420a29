/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

declare const process: { env: Record<string, string | undefined> }

const backend = process.env.CMMS_API_URL ?? 'http://127.0.0.1:8000'
const proxied = ['/api', '/health', '/ready', '/metrics', '/docs', '/openapi.json']

export default defineConfig({
  base: '/',
  plugins: [vue()],
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: backend, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
  },
  define: {
    // vue-i18n feature flags: Composition API only (no legacy API), no devtools hooks.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.spec.ts'],
    restoreMocks: true,
    // the first mount of a page compiles its components; on a busy shared machine that alone can take seconds
    testTimeout: 20_000,
  },
})
