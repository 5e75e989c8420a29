import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import App from '../src/App.vue'
import { makeRouter } from '../src/router'
import { makeI18n } from '../src/i18n'
import { resetSessionForTests, session } from '../src/auth/session'
import { flash } from '../src/flash'
import { json, ME, mockFetch, tokens } from './helpers'

async function mountAt(path: string) {
  const router = makeRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, { global: { plugins: [makeI18n('en'), router] }, attachTo: document.body })
  return { wrapper, router }
}

async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0))
}

beforeEach(() => {
  window.scrollTo = () => undefined
  resetSessionForTests()
  sessionStorage.clear()
})
afterEach(() => {
  document.body.innerHTML = ''
  resetSessionForTests()
  vi.unstubAllGlobals()
})

describe('sign-in page', () => {
  it('has labelled Username and Password inputs and a Sign in button', async () => {
    mockFetch(() => json(404, {}))
    const { wrapper } = await mountAt('/login')
    const user = wrapper.get('label[for="login-username"]')
    expect(user.text()).toBe('Username')
    expect(wrapper.get('label[for="login-password"]').text()).toBe('Password')
    expect(wrapper.get('#login-password').attributes('type')).toBe('password')
    expect(wrapper.get('button[type="submit"]').text()).toBe('Sign in')
  })

  it('shows the problem detail in role=alert on 401', async () => {
    mockFetch(() =>
      json(401, {
        type: 'https://cmms.example/problems/invalid-credentials',
        title: 'Incorrect username or password',
        status: 401,
        detail: 'Incorrect username or password.',
        request_id: 'abc',
      }),
    )
    const { wrapper, router } = await mountAt('/login')
    await wrapper.get('#login-username').setValue('sana.admin')
    await wrapper.get('#login-password').setValue('wrong password')
    await wrapper.get('form').trigger('submit')
    await settle()

    const alert = wrapper.get('[role="alert"]')
    expect(alert.text()).toBe('Incorrect username or password.')
    expect(router.currentRoute.value.name).toBe('login')
    // what was typed in the username stays; the password is cleared
    expect((wrapper.get('#login-username').element as HTMLInputElement).value).toBe('sana.admin')
    expect((wrapper.get('#login-password').element as HTMLInputElement).value).toBe('')
  })

  it('shows the lock-out detail on 429', async () => {
    mockFetch(() =>
      json(429, { title: 'Too many requests', status: 429, detail: 'Account locked. Try again in 15 minutes.' }, { 'Retry-After': '900' }),
    )
    const { wrapper } = await mountAt('/login')
    await wrapper.get('#login-username').setValue('sana.admin')
    await wrapper.get('#login-password').setValue('x')
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.get('[role="alert"]').text()).toBe('Account locked. Try again in 15 minutes.')
  })

  it('after signing in goes to the page that was asked for', async () => {
    mockFetch((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/token') return json(200, tokens(1))
      if (path === '/api/v1/users/me') return json(200, ME)
      return json(200, { items: [], total: 0, limit: 50, offset: 0 })
    })
    const { wrapper, router } = await mountAt('/admin/users?role=clerk')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/admin/users?role=clerk')

    await wrapper.get('#login-username').setValue('sana.admin')
    await wrapper.get('#login-password').setValue('correct horse battery')
    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/admin/users?role=clerk'))
    expect(session.user?.username).toBe('sana.admin')
  })
})

describe('route guards', () => {
  it('sends a non-admin away from admin pages to Home with a message', async () => {
    sessionStorage.setItem('cmms.refresh_token', 'r')
    mockFetch((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(200, tokens(1))
      if (path === '/api/v1/users/me') return json(200, { ...ME, roles: ['prosecutor'], full_name: 'Pat Prosecutor' })
      return json(200, { items: [], total: 0, limit: 200, offset: 0 })
    })
    const { wrapper, router } = await mountAt('/admin/reference/courts')
    await settle()
    expect(router.currentRoute.value.name).toBe('home')
    expect(flash.key).toBe('app.adminOnly')
    expect(wrapper.get('[role="alert"]').text()).toContain('That page is for administrators only.')
    // the navigation shows no admin sections to a prosecutor
    expect(wrapper.find('nav.sidenav').text()).not.toContain('Users')
    expect(wrapper.get('[data-testid="whoami"]').text()).toContain('Pat Prosecutor')
  })

  it('sends an admin to the page and shows admin sections', async () => {
    sessionStorage.setItem('cmms.refresh_token', 'r')
    mockFetch((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(200, tokens(1))
      if (path === '/api/v1/users/me') return json(200, ME)
      return json(200, { items: [], total: 0, limit: 50, offset: 0 })
    })
    const { wrapper, router } = await mountAt('/admin/users')
    await settle()
    expect(router.currentRoute.value.name).toBe('users')
    const nav = wrapper.get('nav.sidenav').text()
    expect(nav).toContain('Users')
    expect(nav).toContain('Reference data')
    expect(wrapper.text()).toContain('No users match these filters.')
    expect(wrapper.get('[data-testid="showing"]').text()).toBe('Showing 0–0 of 0')
  })
})
