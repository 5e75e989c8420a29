/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the API lives when the SPA is hosted apart from it; empty = same origin. */
  readonly VITE_API_BASE_URL?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
