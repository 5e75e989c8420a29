import { vi } from 'vitest'

export type Handler = (req: Request) => Response | Promise<Response>

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json',
      ...headers,
    },
  })
}

/** Replace global fetch; every call is recorded with its method, path and Authorization. */
export function mockFetch(handler: Handler) {
  const calls: { method: string; path: string; auth: string | null; body: string }[] = []
  const fn = vi.fn(async (input: Request | string, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init)
    const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.clone().text()
    calls.push({
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get('Authorization'),
      body,
    })
    return handler(req)
  })
  vi.stubGlobal('fetch', fn)
  return { fn, calls }
}

export const flushPromises = () => new Promise((r) => setTimeout(r, 0))

export const ME = {
  id: 7,
  username: 'sana.admin',
  full_name: 'Sana Admin',
  roles: ['admin'] as ('admin' | 'clerk' | 'prosecutor')[],
  district_id: null,
  is_active: true,
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
}

export function tokens(n: number) {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'bearer', expires_in: 900 }
}
