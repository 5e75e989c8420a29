import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import App from '../src/App.vue'
import { makeRouter } from '../src/router'
import { makeI18n } from '../src/i18n'
import { resetSessionForTests } from '../src/auth/session'
import { fieldErrors } from '../src/api/problem'
import { hasFilters, parseCaseQuery, toApiQuery, toCaseQuery, toggleStage } from '../src/cases/filters'
import { changedFields, diff, rebase } from '../src/cases/conflict'
import { reasonKind, stageTone } from '../src/cases/model'
import { filenameFrom } from '../src/cases/transfer'
import { navFor } from '../src/nav'
import { json, ME, mockFetch, tokens } from './helpers'

const DISTRICTS = { items: [{ id: 1, code: 'KHI-S', name: 'Karachi South', province: 'Sindh', division: 'Karachi', status: 'active' }], total: 1, limit: 200, offset: 0 }
const EMPTY = { items: [], total: 0, limit: 200, offset: 0 }
const PROSECUTOR = { ...ME, id: 11, username: 'pp.south1', full_name: 'Imran Baloch', roles: ['prosecutor'] as ('prosecutor' | 'clerk')[], district_id: 1 }

function caseOut(over: Record<string, unknown> = {}) {
  return {
    id: 5,
    number: 'KHI-S-2026-000005',
    title: 'State vs Bilal Ahmed',
    stage: 'intake',
    next_stages: ['scrutiny'],
    category: 'ordinary',
    district_id: 1,
    restricted: true,
    complex: false,
    juvenile: false,
    gender_based_violence: false,
    court_id: null,
    ctd_number: null,
    court_case_number: null,
    returns_count: 0,
    stage_changed_at: '2026-03-01T10:00:00Z',
    judgment_date: null,
    closed_reason: null,
    fir: { number: '101', year: 2026, date: '2026-02-28', police_station_id: 3, occurrence_date: null, occurrence_place: 'Saddar', brief_facts: null },
    parties: [],
    charges: [],
    team: [{ prosecutor_id: 11, role: 'lead', since: '2026-03-01T10:00:00Z' }],
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-01T10:00:00Z',
    ...over,
  }
}

async function mountAt(path: string) {
  const router = makeRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(App, { global: { plugins: [makeI18n('en'), router] }, attachTo: document.body })
  return { wrapper, router }
}

function backend(extra: (req: Request, path: string) => Response | undefined | Promise<Response | undefined>, me = PROSECUTOR) {
  return mockFetch(async (req) => {
    const path = new URL(req.url).pathname
    if (path === '/api/v1/auth/refresh') return json(200, tokens(1))
    if (path === '/api/v1/users/me') return json(200, me)
    if (path === '/api/v1/reference/districts') return json(200, DISTRICTS)
    if (path.startsWith('/api/v1/reference/')) return json(200, EMPTY)
    return (await extra(req, path)) ?? json(404, { status: 404, title: 'Not found' })
  })
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

describe('case list filters ⇄ URL', () => {
  it('reads repeated and comma-joined stages, drops unknown values', () => {
    const f = parseCaseQuery({
      q: ' 302 ',
      stage: ['intake', 'scrutiny,filed', 'bogus'],
      category: 'ata',
      district: '4',
      station: 'x',
      prosecutor: 'me',
      restricted: 'true',
      fir_from: '2026-01-01',
      fir_to: 'yesterday',
      sort: '-fir_date',
      offset: '50',
    })
    expect(f).toEqual({
      q: '302',
      stages: ['intake', 'scrutiny', 'filed'],
      category: 'ata',
      district: 4,
      station: undefined,
      court: undefined,
      prosecutor: 'me',
      restricted: true,
      firFrom: '2026-01-01',
      firTo: '',
      sort: '-fir_date',
      offset: 50,
    })
    expect(parseCaseQuery({ sort: 'password', category: 'x' })).toMatchObject({ sort: '', category: '' })
  })

  it('round-trips through the URL and leaves empty values out', () => {
    const f = parseCaseQuery({ stage: ['returned', 'dormant'], q: 'Ali', offset: '100', sort: 'number' })
    const q = toCaseQuery(f)
    expect(q).toEqual({ stage: ['returned', 'dormant'], q: 'Ali', offset: '100', sort: 'number' })
    expect(parseCaseQuery(q as never)).toEqual(f)
    expect(toCaseQuery(parseCaseQuery({}))).toEqual({})
    expect(hasFilters(parseCaseQuery({ sort: 'number', offset: '50' }))).toBe(false)
    expect(hasFilters(parseCaseQuery({ stage: 'intake' }))).toBe(true)
  })

  it('builds the API query: prosecutor=me becomes the user id, the default sort is newest update', () => {
    const f = parseCaseQuery({ prosecutor: 'me', stage: 'intake', station: '9', fir_to: '2026-02-01' })
    expect(toApiQuery(f, 50, 11)).toEqual({
      limit: 50,
      offset: 0,
      sort: '-updated_at',
      stage: ['intake'],
      police_station_id: 9,
      prosecutor_id: 11,
      fir_to: '2026-02-01',
    })
  })

  it('toggles a stage chip', () => {
    expect(toggleStage(['intake'], 'filed')).toEqual(['intake', 'filed'])
    expect(toggleStage(['intake', 'filed'], 'intake')).toEqual(['filed'])
  })

  it('sends the filters from the URL to the API, stages repeated', async () => {
    const seen: URL[] = []
    backend((req, path) => {
      if (path === '/api/v1/cases') {
        seen.push(new URL(req.url))
        return json(200, { items: [{ ...caseOut(), fir_number: '101', fir_date: '2026-02-28', police_station_id: 3 }], total: 1234, limit: 50, offset: 50 })
      }
    })
    const { wrapper } = await mountAt('/cases?stage=intake&stage=scrutiny&prosecutor=me&offset=50')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="showing"]').text()).toBe('Showing 51–100 of 1,234'))
    const url = seen.at(-1)!
    expect(url.searchParams.getAll('stage')).toEqual(['intake', 'scrutiny'])
    expect(url.searchParams.get('prosecutor_id')).toBe('11')
    expect(url.searchParams.get('offset')).toBe('50')
    expect(wrapper.find('[data-testid="cases-table"]').text()).toContain('KHI-S-2026-000005')
    expect(wrapper.find('.flag-restricted').text()).toBe('Restricted')
    expect(wrapper.find('[data-stage="intake"]').text()).toContain('Intake')
  })
})

describe('problem errors → nested field paths', () => {
  it('maps nested and indexed locations of the case form', () => {
    const errs = fieldErrors({
      status: 422,
      errors: [
        { loc: ['body', 'fir', 'police_station_id'], msg: 'Unknown police station.' },
        { loc: ['body', 'accused', 0, 'name'], msg: 'Name is required.' },
        { loc: ['body', 'accused', 1, 'cnic'], msg: 'Bad CNIC.' },
        { loc: ['body', 'offences'], msg: 'At least one offence.' },
      ],
    })
    expect(errs['fir.police_station_id']).toBe('Unknown police station.')
    expect(errs['accused.0.name']).toBe('Name is required.')
    expect(errs['accused.1.cnic']).toBe('Bad CNIC.')
    expect(errs.offences).toBe('At least one offence.')
    // the top-level key collects its children's messages too, so nothing is lost
    expect(errs.accused).toBe('Name is required. Bad CNIC.')
  })

  it('shows them beside the fields of the new-case form and keeps what was typed', async () => {
    const clerk = { ...PROSECUTOR, id: 12, roles: ['clerk'] as ('prosecutor' | 'clerk')[] }
    backend((_req, path) => {
      if (path === '/api/v1/cases')
        return json(422, {
          status: 422,
          title: 'Invalid input',
          errors: [
            { loc: ['body', 'fir', 'police_station_id'], msg: 'Choose a police station.' },
            { loc: ['body', 'accused', 0, 'cnic'], msg: "String should match pattern '^\\d{5}-?\\d{7}-?\\d$'" },
          ],
        })
    }, clerk)
    const { wrapper } = await mountAt('/cases/new')
    await vi.waitFor(() => expect(wrapper.find('form.case-form').exists()).toBe(true))
    const name = wrapper.find('input[id$="-name"]')
    await name.setValue('Kashif')
    await wrapper.find('form.case-form').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="form-error"]').exists()).toBe(true))
    expect(wrapper.find('[data-field-error="nc-station"]').text()).toBe('Choose a police station.')
    expect(wrapper.find('[data-field-error$="-cnic"]').text()).toContain('13-digit CNIC')
    expect((wrapper.find('input[id$="-name"]').element as HTMLInputElement).value).toBe('Kashif')
  })
})

describe('case detail: next stages and the transition dialog', () => {
  it('offers only next_stages, and shows the 409 detail with the allowed moves', async () => {
    const { calls } = backend((_req, path) => {
      if (path === '/api/v1/cases/5') return json(200, caseOut({ next_stages: ['scrutiny', 'closed'] }), { ETag: '"v1"' })
      if (path === '/api/v1/cases/5/transitions')
        return json(409, { status: 409, title: 'Conflict', detail: 'Closing at scrutiny needs the reason.', allowed: ['scrutiny'] })
    })
    const { wrapper } = await mountAt('/cases/5')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="case-actions"]').exists()).toBe(true))
    const buttons = wrapper.findAll('[data-testid="case-actions"] button')
    expect(buttons.map((b) => b.attributes('data-to'))).toEqual(['scrutiny', 'closed'])
    expect(buttons.map((b) => b.text())).toEqual(['Move to Scrutiny', 'Move to Closed'])
    await buttons[1]!.trigger('click')
    const dialog = wrapper.find('[data-testid="transition-dialog"]')
    expect(dialog.exists()).toBe(true)
    expect(dialog.find('#tr-reason').exists()).toBe(true) // closing asks for a reason
    await dialog.find('#tr-note').setValue('No evidence.')
    await dialog.find('form').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="transition-error"]').exists()).toBe(true))
    expect(wrapper.find('[data-testid="transition-error"]').text()).toContain('Closing at scrutiny needs the reason.')
    expect(wrapper.find('[data-testid="transition-error"]').text()).toContain('Moves allowed now: Scrutiny.')
    const sent = calls.find((c) => c.path === '/api/v1/cases/5/transitions')!
    expect(JSON.parse(sent.body)).toEqual({ to: 'closed', note: 'No evidence.', reason: null })
  })

  it('shows no move buttons for a role that cannot move cases, and none when there is no next stage', async () => {
    backend((_req, path) => {
      if (path === '/api/v1/cases/5') return json(200, caseOut({ next_stages: [] }), { ETag: '"v1"' })
    })
    const { wrapper } = await mountAt('/cases/5')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="case-actions"]').exists()).toBe(true))
    expect(wrapper.findAll('[data-testid="case-actions"] button')).toHaveLength(0)
    expect(wrapper.find('[data-testid="case-actions"]').text()).toContain('No further stage from here.')
  })
})

describe('case detail: someone else changed it first (412)', () => {
  it('shows what changed, keeps the edits, and re-applies them with the new ETag', async () => {
    let patches = 0
    const { calls } = backend((req, path) => {
      if (path === '/api/v1/cases/5' && req.method === 'GET') {
        // the second read is after someone else changed the place of occurrence
        const reads = calls.filter((c) => c.path === '/api/v1/cases/5' && c.method === 'GET').length
        return reads <= 1
          ? json(200, caseOut(), { ETag: '"v1"' })
          : json(200, caseOut({ fir: { ...caseOut().fir, occurrence_place: 'Kharadar' }, updated_at: '2026-03-02T10:00:00Z' }), { ETag: '"v2"' })
      }
      if (path === '/api/v1/cases/5' && req.method === 'PATCH') {
        patches++
        if (req.headers.get('If-Match') === '"v1"') return json(412, { status: 412, title: 'Precondition failed', current_etag: '"v2"' })
        return json(200, caseOut({ title: 'State vs Bilal Ahmed and another', fir: { ...caseOut().fir, occurrence_place: 'Kharadar' } }), { ETag: '"v3"' })
      }
    })
    const { wrapper } = await mountAt('/cases/5')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="edit-case"]').exists()).toBe(true))
    await wrapper.find('[data-testid="edit-case"]').trigger('click')
    await wrapper.find('#ce-title').setValue('State vs Bilal Ahmed and another')
    await wrapper.find('[data-testid="case-edit-form"]').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="conflict-dialog"]').exists()).toBe(true))
    const dialog = wrapper.find('[data-testid="conflict-dialog"]')
    expect(dialog.text()).toContain('Someone else changed this case first')
    const rows = dialog.findAll('tbody tr')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text()).toContain('Place of occurrence')
    expect(rows[0]!.text()).toContain('Saddar')
    expect(rows[0]!.text()).toContain('Kharadar')
    await dialog.find('[data-testid="conflict-reapply"]').trigger('click')
    expect(wrapper.find('[data-testid="conflict-dialog"]').exists()).toBe(false)
    // my edit is still there; their change is now in the form too
    expect((wrapper.find('#ce-title').element as HTMLInputElement).value).toBe('State vs Bilal Ahmed and another')
    expect((wrapper.find('#ce-occ-place').element as HTMLInputElement).value).toBe('Kharadar')
    await wrapper.find('[data-testid="case-edit-form"]').trigger('submit')
    await vi.waitFor(() => expect(patches).toBe(2))
    const last = (fetch as unknown as { mock: { calls: [Request][] } }).mock.calls.map(([r]) => r).filter((r) => r.method === 'PATCH').at(-1)!
    expect(last.headers.get('If-Match')).toBe('"v2"')
    expect(JSON.parse(calls.filter((c) => c.method === 'PATCH').at(-1)!.body)).toEqual({ title: 'State vs Bilal Ahmed and another' })
    await vi.waitFor(() => expect(wrapper.text()).toContain('Changes saved.'))
  })

  it('diff / rebase / changedFields', () => {
    const F = ['a', 'b', 'c']
    const base = { a: 1, b: 'x', c: true }
    const latest = { a: 2, b: 'x', c: false }
    const draft = { a: 1, b: 'mine', c: true }
    expect(diff(F, base, latest, draft).map((c) => c.field)).toEqual(['a', 'c'])
    expect(rebase(F, base, latest, draft)).toEqual({ a: 2, b: 'mine', c: false })
    expect(changedFields(F, base, draft)).toEqual({ b: 'mine' })
    const clash = diff(F, base, latest, { a: 3, b: 'x', c: true })
    expect(clash.find((c) => c.field === 'a')!.clash).toBe(true)
  })
})

describe('small case helpers', () => {
  it('stage tones, reasons, file names, navigation', () => {
    expect(stageTone('returned')).toBe('stalled')
    expect(stageTone('evidence')).toBe('trial')
    expect(reasonKind('arguments', 'judgment')).toBe('choice')
    expect(reasonKind('scrutiny', 'closed')).toBe('text')
    expect(reasonKind('intake', 'scrutiny')).toBeNull()
    expect(filenameFrom("attachment; filename=\"a.pdf\"; filename*=UTF-8''%D8%A7%DB%8C%D9%81.pdf", 'x')).toBe('ایف.pdf')
    expect(filenameFrom('attachment; filename="memo.pdf"', 'x')).toBe('memo.pdf')
    expect(filenameFrom(null, 'fallback.bin')).toBe('fallback.bin')
    expect(navFor(['clerk']).map((s) => s.key)).toEqual(['home', 'cases', 'caseImport', 'hearings', 'tasks', 'deadlines'])
    expect(navFor(['prosecutor']).map((s) => s.key)).toEqual(['home', 'cases', 'hearings', 'tasks', 'deadlines'])
    expect(navFor(['admin']).map((s) => s.key)).not.toContain('cases')
  })
})
