import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import App from '../src/App.vue'
import { makeRouter } from '../src/router'
import { makeI18n } from '../src/i18n'
import { resetSessionForTests } from '../src/auth/session'
import { json, ME, mockFetch, tokens } from './helpers'

const DISTRICTS = {
  items: [{ id: 1, code: 'KHI-S', name: 'Karachi South', province: 'Sindh', division: 'Karachi', status: 'active' }],
  total: 1,
  limit: 200,
  offset: 0,
}

async function mountAt(path: string) {
  const router = makeRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, { global: { plugins: [makeI18n('en'), router] }, attachTo: document.body })
  return { wrapper, router }
}

beforeEach(() => {
  window.scrollTo = () => undefined
  resetSessionForTests()
  sessionStorage.clear()
  sessionStorage.setItem('cmms.refresh_token', 'r')
})
afterEach(() => {
  document.body.innerHTML = ''
  resetSessionForTests()
  vi.unstubAllGlobals()
})

function backend(extra: (req: Request, path: string) => Response | undefined | Promise<Response | undefined>) {
  return mockFetch(async (req) => {
    const path = new URL(req.url).pathname
    if (path === '/api/v1/auth/refresh') return json(200, tokens(1))
    if (path === '/api/v1/users/me') return json(200, ME)
    if (path === '/api/v1/reference/districts') return json(200, DISTRICTS)
    return (await extra(req, path)) ?? json(404, { status: 404, title: 'Not found' })
  })
}

describe('users list', () => {
  it('sends the URL filters to the API and shows the count', async () => {
    const { calls } = backend((_req, path) => {
      if (path === '/api/v1/users') {
        const items = Array.from({ length: 50 }, (_, i) => ({ ...ME, id: i + 1, username: `user${i}`, district_id: 1 }))
        return json(200, { items, total: 120, limit: 50, offset: 50 })
      }
    })
    const { wrapper } = await mountAt('/admin/users?q=ali&role=clerk&active=false&offset=50')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="showing"]').text()).toBe('Showing 51–100 of 120'))
    const call = calls.find((c) => c.path === '/api/v1/users')!
    expect(call).toBeTruthy()
    const listCall = (fetch as unknown as { mock: { calls: [Request][] } }).mock.calls
      .map(([r]) => new URL(r.url))
      .find((u) => u.pathname === '/api/v1/users')!
    expect(Object.fromEntries(listCall.searchParams)).toEqual({
      limit: '50',
      offset: '50',
      q: 'ali',
      role: 'clerk',
      is_active: 'false',
    })
    expect(wrapper.text()).toContain('Karachi South')
    expect((wrapper.get('#users-role').element as HTMLSelectElement).value).toBe('clerk')
  })
})

describe('new user form', () => {
  it('shows the server 422 errors beside each field and keeps what was typed', async () => {
    backend((req, path) => {
      if (path === '/api/v1/users' && req.method === 'POST') {
        return json(422, {
          type: 'https://cmms.example/problems/validation-failed',
          title: 'Invalid input',
          status: 422,
          detail: 'Invalid input',
          errors: [
            { loc: ['body', 'password'], msg: 'Password must be at least 12 characters.' },
            { loc: ['body', 'username'], msg: 'Username already taken.' },
          ],
        })
      }
    })
    const { wrapper } = await mountAt('/admin/users/new')
    await vi.waitFor(() => expect(wrapper.find('#nu-username').exists()).toBe(true))
    await wrapper.get('#nu-username').setValue('ali.clerk')
    await wrapper.get('#nu-full-name').setValue('Ali Raza')
    await wrapper.get('#nu-password').setValue('short')
    await wrapper.get('input[value="clerk"]').setValue(true)
    await wrapper.get('form.form').trigger('submit')

    await vi.waitFor(() => expect(wrapper.find('#nu-password-error').exists()).toBe(true))
    expect(wrapper.get('#nu-password-error').text()).toBe('Password must be at least 12 characters.')
    expect(wrapper.get('#nu-username-error').text()).toBe('Username already taken.')
    expect(wrapper.get('#nu-password').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('#nu-password').attributes('aria-describedby')).toContain('nu-password-error')
    expect(wrapper.find('#nu-full-name-error').exists()).toBe(false)
    expect((wrapper.get('#nu-username').element as HTMLInputElement).value).toBe('ali.clerk')
    expect((wrapper.get('#nu-full-name').element as HTMLInputElement).value).toBe('Ali Raza')
    expect((wrapper.get('input[value="clerk"]').element as HTMLInputElement).checked).toBe(true)
    expect(wrapper.get('[data-testid="form-error"]').attributes('role')).toBe('alert')
  })
})

describe('user edit', () => {
  it('sends If-Match with the ETag, and on 412 says someone else changed the user and keeps the edits', async () => {
    const user = { ...ME, id: 5, username: 'ali.clerk', full_name: 'Ali Raza', roles: ['clerk'], district_id: 1 }
    let version = 1
    const ifMatch: (string | null)[] = []
    backend((req, path) => {
      if (path === '/api/v1/users/5' && req.method === 'GET') {
        return json(200, version === 1 ? user : { ...user, full_name: 'Ali Raza Khan' }, { ETag: `"v${version}"` })
      }
      if (path === '/api/v1/users/5' && req.method === 'PATCH') {
        ifMatch.push(req.headers.get('If-Match'))
        version = 2
        return json(412, { title: 'Precondition failed', status: 412, detail: 'Stale ETag' })
      }
    })
    const { wrapper } = await mountAt('/admin/users/5')
    await vi.waitFor(() => expect(wrapper.find('#ud-active').exists()).toBe(true))
    await wrapper.get('#ud-active').setValue(false)
    await wrapper.findAll('form.form')[0]!.trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="conflict"]').exists()).toBe(true))

    expect(ifMatch).toEqual(['"v1"'])
    const conflict = wrapper.get('[data-testid="conflict"]')
    expect(conflict.attributes('role')).toBe('alert')
    expect(conflict.text()).toContain('Someone else changed this user')
    expect(conflict.text()).toContain('Full name: was “Ali Raza”, now “Ali Raza Khan”')
    // the admin's edit is still there
    expect((wrapper.get('#ud-active').element as HTMLInputElement).checked).toBe(false)
  })
})
