/**
 * The typed API client used by every screen. Generated types (schema.d.ts) + openapi-fetch.
 * The middleware adds the bearer token and, on a 401, refreshes once and retries the request.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { apiBase, expire, getAccessToken, refresh } from '../auth/session'

const AUTH_PATHS = ['/api/v1/auth/token', '/api/v1/auth/refresh']

function isAuthUrl(url: string): boolean {
  const { pathname } = new URL(url, 'http://x')
  return AUTH_PATHS.some((p) => pathname.endsWith(p))
}

/** Copies of the requests in flight, kept to retry them once after a refresh. */
const pending = new Map<string, Request>()

export const authMiddleware: Middleware = {
  onRequest({ request, id }) {
    const token = getAccessToken()
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    // keep a copy to retry after a refresh; not for uploads (a second copy of a large file in
    // memory), which the proactive refresh keeps from meeting an expired token anyway
    const multipart = request.headers.get('Content-Type')?.startsWith('multipart/') ?? false
    if (!isAuthUrl(request.url) && !multipart) pending.set(id, request.clone())
    return request
  },
  async onResponse({ request, response, id, options }) {
    const copy = pending.get(id)
    pending.delete(id)
    if (response.status !== 401 || !copy || isAuthUrl(request.url)) return undefined
    const sent = request.headers.get('Authorization')
    const current = getAccessToken()
    // Another request may already have refreshed while this one was on the wire.
    const renewed = current && sent !== `Bearer ${current}` ? true : await refresh()
    const token = getAccessToken()
    if (!renewed || !token) {
      expire()
      return undefined
    }
    copy.headers.set('Authorization', `Bearer ${token}`)
    const retried = await options.fetch(copy)
    if (retried.status === 401) expire()
    return retried
  },
  onError({ id }) {
    pending.delete(id)
  },
}

export function makeClient() {
  const client = createClient<paths>({
    baseUrl: apiBase(),
    fetch: (input: Request) => globalThis.fetch(input),
  })
  client.use(authMiddleware)
  return client
}

export const api = makeClient()
