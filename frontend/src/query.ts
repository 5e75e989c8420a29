/** Reading list filters from the URL query, so a link shares a view. */
import type { LocationQuery } from 'vue-router'

export function qString(query: LocationQuery, key: string): string {
  const v = query[key]
  const first = Array.isArray(v) ? v[0] : v
  return typeof first === 'string' ? first : ''
}

export function qInt(query: LocationQuery, key: string): number | undefined {
  const s = qString(query, key)
  if (!/^\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Build a query without empty values (so URLs stay short). */
export function cleanQuery(values: Record<string, string | number | undefined | null>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === '') continue
    out[k] = String(v)
  }
  return out
}

export const PAGE_SIZE = 50
