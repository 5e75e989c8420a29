import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  getAccessToken,
  getRefreshToken,
  onSignedOut,
  refresh,
  REFRESH_KEY,
  refreshDelayMs,
  resetSessionForTests,
  restore,
  session,
  setTokens,
  signIn,
  signOut,
} from '../src/auth/session'
import { makeClient } from '../src/api/client'
import { json, ME, mockFetch, tokens } from './helpers'

beforeEach(() => {
  resetSessionForTests()
  sessionStorage.clear()
})
afterEach(() => {
  resetSessionForTests()
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

describe('refresh', () => {
  it('is single-flight: concurrent callers share one /auth/refresh call', async () => {
    sessionStorage.setItem(REFRESH_KEY, 'refresh-0')
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const { calls } = mockFetch(async (req) => {
      if (new URL(req.url).pathname === '/api/v1/auth/refresh') {
        await gate
        return json(200, tokens(1))
      }
      return json(404, {})
    })

    const results = [refresh(), refresh(), refresh()]
    release()
    expect(await Promise.all(results)).toEqual([true, true, true])

    const refreshCalls = calls.filter((c) => c.path === '/api/v1/auth/refresh')
    expect(refreshCalls).toHaveLength(1)
    expect(JSON.parse(refreshCalls[0]!.body)).toEqual({ refresh_token: 'refresh-0' })
    // rotated: the new refresh token replaces the old one; the access token stays in memory only
    expect(getRefreshToken()).toBe('refresh-1')
    expect(getAccessToken()).toBe('access-1')
    expect(JSON.stringify({ ...sessionStorage })).not.toContain('access-1')
    expect(localStorage.length).toBe(0)

    // a later refresh is a new call with the rotated token
    await refresh()
    const later = calls.filter((c) => c.path === '/api/v1/auth/refresh')
    expect(later).toHaveLength(2)
    expect(JSON.parse(later[1]!.body)).toEqual({ refresh_token: 'refresh-1' })
  })

  it('a refused refresh token ends the session and tells the app', async () => {
    sessionStorage.setItem(REFRESH_KEY, 'dead')
    session.status = 'signed-in'
    session.user = ME
    const reasons: string[] = []
    onSignedOut((r) => reasons.push(r))
    mockFetch(() => json(401, { title: 'Not authenticated', status: 401, detail: 'Refresh token already used' }))

    expect(await refresh()).toBe(false)
    expect(getRefreshToken()).toBeNull()
    expect(session.status).toBe('signed-out')
    expect(reasons).toEqual(['expired'])
  })

  it('a network failure keeps the refresh token for a later try', async () => {
    sessionStorage.setItem(REFRESH_KEY, 'refresh-0')
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))))
    expect(await refresh()).toBe(false)
    expect(getRefreshToken()).toBe('refresh-0')
  })

  it('renews proactively shortly before the access token expires', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch(() => json(200, tokens(2)))
    setTokens(tokens(1))
    expect(refreshDelayMs(900)).toBe(840_000)
    await vi.advanceTimersByTimeAsync(839_000)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/auth/refresh'])
    expect(getAccessToken()).toBe('access-2')
  })
})

describe('API client middleware', () => {
  it('sends the bearer token, and after a 401 refreshes once for several failing requests and retries them', async () => {
    setTokens(tokens(1))
    session.status = 'signed-in'
    let refreshes = 0
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') {
        refreshes++
        await new Promise((r) => setTimeout(r, 10))
        return json(200, tokens(2))
      }
      if (req.headers.get('Authorization') !== 'Bearer access-2') {
        return json(401, { title: 'Not authenticated', status: 401 }, { 'WWW-Authenticate': 'Bearer' })
      }
      if (path === '/api/v1/users/me') return json(200, ME)
      return json(200, { items: [], total: 0, limit: 50, offset: 0 })
    })

    const api = makeClient()
    const [me, list, list2] = await Promise.all([
      api.GET('/api/v1/users/me'),
      api.GET('/api/v1/users', { params: { query: { limit: 50 } } }),
      api.GET('/api/v1/reference/districts'),
    ])

    expect(refreshes).toBe(1)
    expect(me.data).toEqual(ME)
    expect(list.data?.total).toBe(0)
    expect(list2.data?.total).toBe(0)
    const first = calls.filter((c) => c.path !== '/api/v1/auth/refresh').slice(0, 3)
    expect(first.every((c) => c.auth === 'Bearer access-1')).toBe(true)
    const retried = calls.filter((c) => c.auth === 'Bearer access-2')
    expect(retried).toHaveLength(3)
  })

  it('retries a request body unchanged after the refresh', async () => {
    setTokens(tokens(1))
    session.status = 'signed-in'
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(200, tokens(2))
      if (req.headers.get('Authorization') !== 'Bearer access-2') return json(401, { status: 401, title: 'x' })
      return json(201, { ...ME, id: 9, username: 'new.user' })
    })
    const api = makeClient()
    const body = { username: 'new.user', password: 'a long password 123', full_name: 'New User', roles: ['clerk' as const], district_id: 1 }
    const r = await api.POST('/api/v1/users', { body })
    expect(r.data?.id).toBe(9)
    const posts = calls.filter((c) => c.path === '/api/v1/users')
    expect(posts).toHaveLength(2)
    expect(JSON.parse(posts[1]!.body)).toEqual(body)
  })

  it('signs out when the refresh is refused', async () => {
    setTokens(tokens(1))
    session.status = 'signed-in'
    session.user = ME
    const reasons: string[] = []
    onSignedOut((r) => reasons.push(r))
    mockFetch(() => json(401, { status: 401, title: 'Not authenticated' }))
    const api = makeClient()
    const r = await api.GET('/api/v1/users/me')
    expect(r.response.status).toBe(401)
    expect(session.status).toBe('signed-out')
    expect(getRefreshToken()).toBeNull()
    expect(getAccessToken()).toBeNull()
    expect(reasons).toEqual(['expired'])
  })

  it('does not try to refresh after a failed sign-in', async () => {
    const { calls } = mockFetch(() =>
      json(401, { type: 'x', title: 'Incorrect username or password', status: 401, detail: 'Incorrect username or password.' }),
    )
    const result = await signIn('someone', 'wrong')
    expect(result.ok).toBe(false)
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/auth/token'])
    expect(calls[0]!.body).toBe('username=someone&password=wrong')
  })
})

describe('sign in, restore, sign out', () => {
  it('signs in with a form post, keeps the refresh token in sessionStorage, and loads the user', async () => {
    const { calls } = mockFetch((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/token') return json(200, tokens(1))
      if (path === '/api/v1/users/me') return json(200, ME)
      return json(404, {})
    })
    const result = await signIn('sana.admin', 'correct horse battery')
    expect(result.ok).toBe(true)
    expect(session.user?.full_name).toBe('Sana Admin')
    expect(sessionStorage.getItem(REFRESH_KEY)).toBe('refresh-1')
    expect(calls[1]).toMatchObject({ path: '/api/v1/users/me', auth: 'Bearer access-1' })
  })

  it('restores a session after a reload from the stored refresh token', async () => {
    sessionStorage.setItem(REFRESH_KEY, 'refresh-5')
    mockFetch((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(200, tokens(6))
      if (path === '/api/v1/users/me') return json(200, ME)
      return json(404, {})
    })
    await restore()
    expect(session.status).toBe('signed-in')
    expect(getAccessToken()).toBe('access-6')
  })

  it('signs out: calls /auth/logout with the bearer and forgets the tokens', async () => {
    setTokens(tokens(1))
    session.status = 'signed-in'
    const { calls } = mockFetch(() => new Response(null, { status: 204 }))
    await signOut()
    expect(calls).toEqual([{ method: 'POST', path: '/api/v1/auth/logout', auth: 'Bearer access-1', body: '' }])
    expect(getAccessToken()).toBeNull()
    expect(getRefreshToken()).toBeNull()
    expect(session.status).toBe('signed-out')
  })
})
