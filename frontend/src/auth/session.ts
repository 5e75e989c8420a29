/**
 * The signed-in session: who the user is, and their tokens.
 *
 * - The access token lives only in this module's memory (never in storage, never in a URL).
 * - The refresh token lives in sessionStorage, so reloading the tab keeps the login while
 *   closing the tab ends it.
 * - `refresh()` is single-flight: callers that ask while a refresh is running share it, because
 *   refresh tokens rotate and presenting a used one again ends the whole login.
 * - A timer refreshes shortly before the access token expires; a 401 triggers one as well
 *   (see api/client.ts).
 */
import createClient from 'openapi-fetch'
import { reactive } from 'vue'
import type { paths } from '../api/schema'
import type { Me, TokenPair } from '../api/types'
import type { Problem } from '../api/problem'

export const REFRESH_KEY = 'cmms.refresh_token'

export type SignOutReason = 'user' | 'expired'
export type SessionStatus = 'unknown' | 'signed-in' | 'signed-out'

export const session = reactive({
  status: 'unknown' as SessionStatus,
  user: null as Me | null,
})

let accessToken: string | null = null
let refreshTimer: ReturnType<typeof setTimeout> | null = null
let inFlight: Promise<boolean> | null = null
let restoring: Promise<void> | null = null
const signOutListeners = new Set<(reason: SignOutReason) => void>()

/** The API's origin: same origin unless the build says otherwise. */
export function apiBase(): string {
  const configured = import.meta.env.VITE_API_BASE_URL
  const base = configured || globalThis.location?.origin || ''
  return base.replace(/\/+$/, '')
}

/** A bare client (no auth middleware) for the auth endpoints themselves. */
function authClient() {
  return createClient<paths>({
    baseUrl: apiBase(),
    // resolved per call, so tests (and polyfills) can replace fetch
    fetch: (input: Request) => globalThis.fetch(input),
  })
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null
  } catch {
    return null
  }
}

export function getAccessToken(): string | null {
  return accessToken
}

export function getRefreshToken(): string | null {
  return storage()?.getItem(REFRESH_KEY) ?? null
}

export function onSignedOut(listener: (reason: SignOutReason) => void): () => void {
  signOutListeners.add(listener)
  return () => signOutListeners.delete(listener)
}

/** Seconds before expiry at which the access token is renewed. */
export function refreshDelayMs(expiresIn: number): number {
  const margin = Math.min(60, Math.max(5, expiresIn * 0.2))
  return Math.max(1, expiresIn - margin) * 1000
}

export function setTokens(pair: TokenPair): void {
  accessToken = pair.access_token
  storage()?.setItem(REFRESH_KEY, pair.refresh_token)
  if (refreshTimer) clearTimeout(refreshTimer)
  refreshTimer = null
  if (typeof pair.expires_in === 'number' && pair.expires_in > 0) {
    refreshTimer = setTimeout(() => {
      void refresh()
    }, refreshDelayMs(pair.expires_in))
  }
}

export function clearTokens(): void {
  accessToken = null
  storage()?.removeItem(REFRESH_KEY)
  if (refreshTimer) clearTimeout(refreshTimer)
  refreshTimer = null
}

/**
 * Exchange the refresh token for a new pair. Resolves true when a new access token is in hand.
 * A refused refresh token (401/4xx) ends the session; a network failure keeps the token for a
 * later try.
 */
export function refresh(): Promise<boolean> {
  if (inFlight) return inFlight
  inFlight = doRefresh().finally(() => {
    inFlight = null
  })
  return inFlight
}

async function doRefresh(): Promise<boolean> {
  const token = getRefreshToken()
  if (!token) return false
  try {
    const { data, response } = await authClient().POST('/api/v1/auth/refresh', {
      body: { refresh_token: token },
    })
    if (data) {
      setTokens(data)
      return true
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      expire()
    }
    return false
  } catch {
    return false
  }
}

/** The session ended without the user asking (refresh refused): tell the app to show sign-in. */
export function expire(): void {
  const wasSignedIn = session.status === 'signed-in'
  clearTokens()
  session.user = null
  session.status = 'signed-out'
  if (wasSignedIn) signOutListeners.forEach((l) => l('expired'))
}

export interface SignInFailure {
  ok: false
  status: number
  problem: Problem | null
  retryAfter: string | null
}
export type SignInResult = { ok: true; user: Me } | SignInFailure

export async function signIn(username: string, password: string): Promise<SignInResult> {
  let result
  try {
    result = await authClient().POST('/api/v1/auth/token', {
      body: { username, password },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
  } catch {
    return { ok: false, status: 0, problem: null, retryAfter: null }
  }
  const { data, error, response } = result
  if (!data) {
    return {
      ok: false,
      status: response.status,
      problem: (error as Problem | undefined) ?? null,
      retryAfter: response.headers.get('Retry-After'),
    }
  }
  setTokens(data)
  const user = await loadMe()
  if (!user) {
    clearTokens()
    return { ok: false, status: 0, problem: null, retryAfter: null }
  }
  return { ok: true, user }
}

/** Fetch the signed-in user's profile with the current access token. */
export async function loadMe(): Promise<Me | null> {
  if (!accessToken) return null
  try {
    const { data } = await authClient().GET('/api/v1/users/me', {
      headers: { Authorization: `Bearer ${accessToken}` },
    })
    if (!data) return null
    session.user = data
    session.status = 'signed-in'
    return data
  } catch {
    return null
  }
}

/**
 * On start (or a reload), turn a stored refresh token back into a session. Runs once;
 * later callers wait for the same attempt.
 */
export function restore(): Promise<void> {
  if (session.status !== 'unknown') return Promise.resolve()
  if (!restoring) {
    restoring = (async () => {
      const ok = getRefreshToken() ? await refresh() : false
      const user = ok ? await loadMe() : null
      if (!user) {
        session.user = null
        session.status = 'signed-out'
      }
    })().finally(() => {
      restoring = null
    })
  }
  return restoring
}

/** The user asked to sign out: revoke on the server (best effort) and forget everything. */
export async function signOut(): Promise<void> {
  const token = accessToken
  if (token) {
    try {
      await authClient().POST('/api/v1/auth/logout', {
        headers: { Authorization: `Bearer ${token}` },
      })
    } catch {
      /* offline: the tokens are forgotten here anyway and expire on their own */
    }
  }
  clearTokens()
  session.user = null
  session.status = 'signed-out'
  signOutListeners.forEach((l) => l('user'))
}

/** Test helper: forget all module state. */
export function resetSessionForTests(): void {
  clearTokens()
  inFlight = null
  restoring = null
  session.user = null
  session.status = 'unknown'
  signOutListeners.clear()
}

export function hasRole(role: string): boolean {
  return session.user?.roles.some((r) => r === role) ?? false
}
