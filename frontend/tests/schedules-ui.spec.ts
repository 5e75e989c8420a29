import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises as settle, mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import { makeI18n } from '../src/i18n'
import { makeRouter } from '../src/router'
import { resetSessionForTests } from '../src/auth/session'
import HearingForm from '../src/views/hearings/HearingForm.vue'
import NotificationBell from '../src/components/NotificationBell.vue'
import TaskTable from '../src/views/tasks/TaskTable.vue'
import OutcomeDialog from '../src/views/hearings/OutcomeDialog.vue'
import { bell } from '../src/schedules/notifications'
import { json, mockFetch } from './helpers'

const COURTS = {
  items: [{ id: 4, province: 'Sindh', division: null, district_id: 1, court_type: 'sessions', name: 'District & Sessions Court, Karachi South', status: 'active', notes: null, source: null }],
  total: 1,
  limit: 200,
  offset: 0,
}
const CASE = {
  id: 9,
  number: 'KHI-S-2026-000009',
  title: 'State vs Kamran Akmal',
  district_id: 1,
  court_id: 4,
  team: [{ prosecutor_id: 11, name: 'Nadia Hussain', role: 'lead', since: '2026-11-01T10:00:00Z' }],
  parties: [],
}
const CONFLICT = {
  hearing_id: 77,
  case_id: 8,
  case_number: 'KHI-S-2026-000008',
  court_id: 4,
  court_name: 'District & Sessions Court, Karachi South',
  starts_at: '2026-12-03T05:00:00Z',
  ends_at: '2026-12-03T06:00:00Z',
}

async function mountWith(component: object, props: Record<string, unknown> = {}) {
  const router = makeRouter(createMemoryHistory())
  return mount(component, { props, global: { plugins: [makeI18n('en'), router] }, attachTo: document.body })
}

beforeEach(() => {
  resetSessionForTests()
})
afterEach(() => {
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('hearing form: the clash warning before saving', () => {
  it('asks the server as the fields change, shows the clash, still lets the user save', async () => {
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/reference/courts') return json(200, COURTS)
      if (path === '/api/v1/hearings/check') {
        const body = JSON.parse(await req.text())
        return json(200, { conflicts: body.starts_at.includes('T10:30') ? [CONFLICT] : [] })
      }
      if (path === '/api/v1/hearings' && req.method === 'POST') {
        const body = JSON.parse(await req.text())
        return json(201, { id: 90, ...body, ends_at: '2026-12-03T06:30:00Z', conflicts: [CONFLICT] })
      }
      return json(404, { status: 404, title: 'Not found' })
    })
    const wrapper = await mountWith(HearingForm, { item: CASE })
    const check = () => wrapper.get('[data-testid="clash-check"]')

    // court prefilled from the case, tomorrow, 09:00: complete enough to ask; nothing clashes
    await vi.waitFor(() => expect((wrapper.get('#hf-court').element as HTMLSelectElement).value).toBe('4'))
    await vi.waitFor(() => expect(check().attributes('data-state')).toBe('clear'), { timeout: 3000 })
    expect(check().text()).toContain('No clash')

    await wrapper.get('#hf-date').setValue('2026-12-03')
    await wrapper.get('#hf-time').setValue('10:30')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="clash-warning"]').exists()).toBe(true), { timeout: 3000 })
    const warning = wrapper.get('[data-testid="clash-warning"]')
    expect(warning.text()).toContain('Clash: the prosecutor has 1 other hearing(s) at that time')
    expect(warning.text()).toContain('KHI-S-2026-000008')
    expect(warning.text()).toContain('10:00 to 11:00')
    expect(wrapper.get('[data-testid="hearing-save"]').text()).toBe('Schedule despite the clash')
    const asked = calls.filter((c) => c.path === '/api/v1/hearings/check').map((c) => JSON.parse(c.body))
    expect(asked.at(-1)).toEqual({ case_id: 9, court_id: 4, starts_at: '2026-12-03T10:30:00+05:00', purpose: 'miscellaneous' })

    // a judge's name does not ask again
    const before = asked.length
    await wrapper.get('#hf-judge').setValue('Mr Justice Baqar')
    await new Promise((r) => setTimeout(r, 600))
    expect(calls.filter((c) => c.path === '/api/v1/hearings/check')).toHaveLength(before)

    // saving without a purpose: refused beside the field, nothing sent
    await wrapper.get('form').trigger('submit')
    await settle()
    expect(wrapper.get('[data-testid="hearing-form-error"]').text()).toContain('correct the highlighted fields')
    expect(calls.some((c) => c.path === '/api/v1/hearings' && c.method === 'POST')).toBe(false)

    await wrapper.get('#hf-purpose').setValue('charge')
    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(wrapper.emitted('saved')).toBeTruthy())
    const [saved, conflicts] = wrapper.emitted('saved')![0] as [{ id: number }, unknown[]]
    expect(saved.id).toBe(90)
    expect(conflicts).toEqual([CONFLICT])
    const post = calls.find((c) => c.path === '/api/v1/hearings' && c.method === 'POST')!
    expect(JSON.parse(post.body)).toEqual({
      case_id: 9,
      court_id: 4,
      starts_at: '2026-12-03T10:30:00+05:00',
      purpose: 'charge',
      judge: 'Mr Justice Baqar',
    })
  })

  it('shows the server’s 422 beside the field and keeps what was typed', async () => {
    mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/reference/courts') return json(200, COURTS)
      if (path === '/api/v1/hearings/check') return json(200, { conflicts: [] })
      if (path === '/api/v1/hearings')
        return json(422, {
          status: 422,
          title: 'Invalid input',
          errors: [{ loc: ['body', 'prosecutor_id'], msg: 'not a prosecutor of this case or district' }],
        })
      return json(404, { status: 404, title: 'Not found' })
    })
    const wrapper = await mountWith(HearingForm, { item: CASE })
    await vi.waitFor(() => expect((wrapper.get('#hf-court').element as HTMLSelectElement).value).toBe('4'))
    await wrapper.get('#hf-purpose').setValue('bail')
    await wrapper.get('#hf-notes').setValue('Bring the case diary')
    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-field-error="hf-prosecutor"]').exists()).toBe(true))
    expect(wrapper.get('[data-field-error="hf-prosecutor"]').text()).toBe('not a prosecutor of this case or district')
    expect(wrapper.get('#hf-prosecutor').attributes('aria-invalid')).toBe('true')
    expect((wrapper.get('#hf-notes').element as HTMLTextAreaElement).value).toBe('Bring the case diary')
  })
})

describe('notifications bell', () => {
  it('shows the unread count, lists the latest, and marks all read', async () => {
    const items = [
      { id: 2, kind: 'task_assigned', message: 'You have a task on KHI-S-2026-000003', case_id: 3, link: '/cases/3', created_at: '2026-11-28T08:00:00Z', read_at: null, read: false },
      { id: 1, kind: 'assignment', message: 'You were assigned as lead on KHI-S-2026-000001', case_id: 1, link: '/cases/1', created_at: '2026-11-27T08:00:00Z', read_at: '2026-11-27T09:00:00Z', read: true },
    ]
    let unread = 1
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/notifications/unread-count') return json(200, { unread })
      if (path === '/api/v1/notifications') return json(200, { items, total: 2, limit: 20, offset: 0 })
      if (path === '/api/v1/notifications/read-all') {
        unread = 0
        return json(200, { marked: 1, unread: 0 })
      }
      return json(404, { status: 404, title: 'Not found' })
    })
    const wrapper = await mountWith(NotificationBell)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="bell-count"]').exists()).toBe(true))
    expect(wrapper.get('[data-testid="bell-count"]').text()).toBe('1')
    expect(wrapper.get('[data-testid="bell"]').attributes('aria-label')).toBe('Notifications, 1 unread')

    await wrapper.get('[data-testid="bell"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.findAll('.bell-list li')).toHaveLength(2))
    expect(wrapper.get('[data-testid="bell"]').attributes('aria-expanded')).toBe('true')
    expect(wrapper.findAll('.bell-list li.unread')).toHaveLength(1)
    expect(wrapper.get('.bell-list').text()).toContain('KHI-S-2026-000003')

    await wrapper.get('[data-testid="bell-read-all"]').trigger('click')
    await vi.waitFor(() => expect(bell.unread).toBe(0))
    await settle()
    expect(wrapper.find('[data-testid="bell-count"]').exists()).toBe(false)
    expect(wrapper.findAll('.bell-list li.unread')).toHaveLength(0)
    expect(calls.filter((c) => c.path === '/api/v1/notifications/read-all' && c.method === 'POST')).toHaveLength(1)
    wrapper.unmount()
  })
})

describe('task checklist: a 412 keeps the tick and re-applies it on the latest version', () => {
  it('shows what happened and applies the tick again with the new version', async () => {
    const task = (over: Record<string, unknown>) => ({
      id: 5,
      title: 'Obtain the forensic report',
      description: null,
      case_id: 3,
      case_number: 'KHI-S-2026-000003',
      district_id: 1,
      assignee_id: 11,
      assignee_name: 'Imran Baloch',
      due_date: '2026-11-20',
      status: 'open',
      overdue: true,
      checklist: [
        { text: 'Write to the lab', done: false },
        { text: 'Collect the report', done: false },
      ],
      completed_at: null,
      created_at: '2026-11-01T08:00:00Z',
      created_by: 2,
      created_by_name: 'Ayesha Memon',
      updated_at: '2026-11-01T08:00:00Z',
      etag: '"t5-1"',
      ...over,
    })
    // someone added an item meanwhile: version 2 has it first
    const latest = task({
      etag: '"t5-2"',
      checklist: [
        { text: 'Call the IO', done: true },
        { text: 'Write to the lab', done: false },
        { text: 'Collect the report', done: false },
      ],
    })
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/tasks/5' && req.method === 'PATCH') {
        if (req.headers.get('If-Match') === '"t5-1"') return json(412, { status: 412, title: 'Precondition failed' })
        const body = JSON.parse(await req.text())
        return json(200, { ...latest, etag: '"t5-3"', checklist: body.checklist })
      }
      if (path === '/api/v1/tasks/5') return json(200, latest, { ETag: '"t5-2"' })
      return json(404, { status: 404, title: 'Not found' })
    })
    const wrapper = await mountWith(TaskTable, { rows: [task({})], canEdit: true, emptyText: 'none' })
    expect(wrapper.get('tbody[data-task="5"]').classes()).toContain('row-overdue')
    expect(wrapper.get('[data-testid="due-badge"]').text()).toMatch(/^Overdue by \d+ day\(s\)$/)
    await wrapper.get('.task-title').trigger('click')
    await wrapper.get('[data-testid="checklist"] input').setValue(true)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="task-conflict"]').exists()).toBe(true))
    expect(wrapper.get('[data-testid="task-conflict"]').text()).toContain('Write to the lab')
    // the latest version is shown meanwhile
    expect(wrapper.findAll('[data-testid="checklist"] li')).toHaveLength(3)

    await wrapper.get('[data-testid="task-conflict"] button').trigger('click')
    await vi.waitFor(() => expect(wrapper.emitted('changed')).toBeTruthy())
    const patches = calls.filter((c) => c.method === 'PATCH')
    expect(patches).toHaveLength(2)
    expect(JSON.parse(patches[1]!.body)).toEqual({
      checklist: [
        { text: 'Call the IO', done: true },
        { text: 'Write to the lab', done: true },
        { text: 'Collect the report', done: false },
      ],
    })
    expect(wrapper.find('[data-testid="task-conflict"]').exists()).toBe(false)
  })
})

describe('outcome form', () => {
  const hearing = (over: Record<string, unknown> = {}) => ({
    id: 40,
    case_id: 9,
    case_number: 'KHI-S-2026-000009',
    case_title: 'State vs Kamran Akmal',
    district_id: 1,
    court_id: 4,
    court_name: 'District & Sessions Court, Karachi South',
    judge: null,
    starts_at: '2026-11-28T05:00:00Z',
    ends_at: '2026-11-28T06:00:00Z',
    duration_minutes: 60,
    purpose: 'prosecution_evidence',
    prosecutor_id: 11,
    prosecutor_name: 'Imran Baloch',
    outcome: null,
    adjournment: null,
    next_hearing_id: null,
    witnesses_examined: [],
    notes: null,
    outcome_recorded_at: null,
    outcome_recorded_by: null,
    created_at: '2026-11-01T08:00:00Z',
    updated_at: '2026-11-01T08:00:00Z',
    version: 1,
    ...over,
  })
  const REASONS = {
    items: [
      { id: 1, code: 'PROSECUTION_SOUGHT_TIME', label: 'Prosecution sought time', label_ur: 'استغاثہ نے وقت مانگا', attributed_to: 'prosecution', active: true },
      { id: 2, code: 'DEFENCE_COUNSEL_ABSENT', label: 'Defence counsel absent', label_ur: null, attributed_to: 'defence', active: true },
    ],
    total: 2,
    limit: 200,
    offset: 0,
  }
  const witness = { id: 31, role: 'witness', person: { name: 'Hassan Raza' }, witness_status: 'summoned', custody_status: null }

  it('prefills the side from the reason; on 412 shows what changed and re-applies with the new ETag', async () => {
    let version = 1
    const { calls } = mockFetch(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/reference/adjournment-reasons') return json(200, REASONS)
      if (path === '/api/v1/reference/courts') return json(200, COURTS)
      if (path === '/api/v1/hearings/40' && req.method === 'GET') {
        // by the second read someone had moved the hearing's court
        return version === 1 ? json(200, hearing(), { ETag: '"h40-1"' }) : json(200, hearing({ court_id: 5, court_name: 'ATC-I', version: 2 }), { ETag: '"h40-2"' })
      }
      if (path === '/api/v1/hearings/40' && req.method === 'PATCH') {
        if (req.headers.get('If-Match') !== '"h40-2"') {
          version = 2
          return json(412, { status: 412, title: 'Precondition failed' })
        }
        const body = JSON.parse(await req.text())
        return json(200, {
          ...hearing({ outcome: body.outcome, version: 3 }),
          conflicts: [],
          next_hearing: hearing({ id: 41, starts_at: '2026-12-05T06:00:00Z' }),
        })
      }
      return json(404, { status: 404, title: 'Not found' })
    })
    const wrapper = await mountWith(OutcomeDialog, { hearingId: 40, parties: [witness] })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="outcome-save"]').attributes('disabled')).toBeUndefined())

    // saving with nothing chosen: the message beside the choice, nothing sent
    await wrapper.get('form').trigger('submit')
    expect(wrapper.get('#oc-outcome-error').text()).toBe('Choose what happened.')
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)

    await wrapper.get('input[value="adjourned"]').setValue(true)
    await wrapper.get('#oc-reason').setValue('DEFENCE_COUNSEL_ABSENT')
    expect((wrapper.get('#oc-side').element as HTMLSelectElement).value).toBe('defence')
    await wrapper.get('#oc-reason').setValue('PROSECUTION_SOUGHT_TIME')
    expect((wrapper.get('#oc-side').element as HTMLSelectElement).value).toBe('prosecution')
    await wrapper.get('#oc-next-date').setValue('2026-12-05')
    await wrapper.get('[data-testid="outcome-witnesses"] input').setValue(true)

    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(document.querySelector('[data-testid="conflict-dialog"]')).not.toBeNull())
    const dialog = document.querySelector('[data-testid="conflict-dialog"]')!
    expect(dialog.textContent).toContain('Court')
    expect(dialog.textContent).toContain('ATC-I')
    // the user's choices are still there
    expect((wrapper.get('#oc-reason').element as HTMLSelectElement).value).toBe('PROSECUTION_SOUGHT_TIME')

    ;(dialog.querySelector('[data-testid="conflict-reapply"]') as HTMLButtonElement).click()
    await settle()
    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(wrapper.emitted('done')).toBeTruthy())
    const patches = calls.filter((c) => c.method === 'PATCH')
    expect(patches).toHaveLength(2)
    expect(JSON.parse(patches[1]!.body)).toEqual({
      outcome: 'adjourned',
      adjournment: { reason: 'PROSECUTION_SOUGHT_TIME', attributed_to: 'prosecution' },
      next_date: '2026-12-05',
      witnesses_examined: [31],
    })
    const [, next] = wrapper.emitted('done')![0] as [unknown, { id: number }]
    expect(next.id).toBe(41)
  })
})
