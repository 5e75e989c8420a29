/** application/problem+json (RFC 9457) as the API sends it, and helpers to show it. */

export interface ProblemFieldError {
  loc: (string | number)[]
  msg: string
}

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string | null
  request_id?: string | null
  errors?: ProblemFieldError[] | null
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('title' in value || 'detail' in value || 'status' in value)
  )
}

/** Where a field error belongs: the request part (`body`, `query`, `path`, `header`) is dropped. */
const LOCATION_PREFIXES = new Set(['body', 'query', 'path', 'header', 'cookie'])

export function fieldPath(loc: (string | number)[]): string {
  const parts = [...loc]
  if (parts.length > 1 && typeof parts[0] === 'string' && LOCATION_PREFIXES.has(parts[0])) {
    parts.shift()
  }
  return parts.map(String).join('.')
}

/**
 * Map a problem's `errors` to messages per field, keyed by the field's dotted path
 * (`["body", "password"]` → `password`, `["body", "roles", 0]` → `roles.0`).
 * A message is also recorded under its top-level field (`roles`) so a form that shows one
 * message per input finds it. Several messages for one field are joined.
 * Errors that name no field (loc is just `["body"]`) go under `_`.
 */
export function fieldErrors(problem: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isProblem(problem) || !Array.isArray(problem.errors)) return out
  const add = (key: string, msg: string) => {
    out[key] = out[key] ? `${out[key]} ${msg}` : msg
  }
  for (const err of problem.errors) {
    if (!err || typeof err.msg !== 'string') continue
    const loc = Array.isArray(err.loc) ? err.loc : []
    const path = fieldPath(loc)
    const isBare = loc.length <= 1 && typeof loc[0] === 'string' && LOCATION_PREFIXES.has(loc[0])
    const key = path && !isBare ? path : '_'
    add(key, err.msg)
    const top = key.split('.')[0]
    if (top && top !== key) add(top, err.msg)
  }
  return out
}

/** The sentence to show a person for a failed call. */
export function problemMessage(problem: unknown, fallback: string): string {
  if (isProblem(problem)) {
    if (problem.detail) return problem.detail
    if (problem.title) return problem.title
  }
  return fallback
}
