/** The tasks and deadlines lists: filters ⇄ URL query (a link shares a view) ⇄ API query. */
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { DeadlineSort, HearingSort, TaskSort } from '../api/types'
import { qInt, qString } from '../query'
import { apiRange, isView, isYmd, type View, type Ymd } from './calendar'

export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]
export const TASK_SORTS = ['due_date', '-due_date', 'created_at', '-created_at'] as const satisfies readonly TaskSort[]
const isTaskSort = (s: string): s is TaskSort => (TASK_SORTS as readonly string[]).includes(s)

export interface TaskFilters {
  /** 'me': assigned to me (the default for everyone); 'all': everything I may see */
  who: 'me' | 'all'
  status: TaskStatus | ''
  overdue: boolean
  district: number | undefined
  sort: string
  offset: number
}

const isTaskStatus = (s: string): s is TaskStatus => (TASK_STATUSES as readonly string[]).includes(s)

export function parseTaskQuery(q: LocationQuery): TaskFilters {
  const status = qString(q, 'status')
  const sort = qString(q, 'sort')
  return {
    who: qString(q, 'who') === 'all' ? 'all' : 'me',
    // open work by default; ?status=any shows every status
    status: status === 'any' ? '' : isTaskStatus(status) ? status : 'open',
    overdue: qString(q, 'overdue') === 'true',
    district: qInt(q, 'district'),
    sort: (TASK_SORTS as readonly string[]).includes(sort) ? sort : 'due_date',
    offset: qInt(q, 'offset') ?? 0,
  }
}

export function toTaskQuery(f: TaskFilters): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (f.who === 'all') out.who = 'all'
  if (f.status !== 'open') out.status = f.status || 'any'
  if (f.overdue) out.overdue = 'true'
  if (f.district !== undefined) out.district = String(f.district)
  if (f.sort !== 'due_date') out.sort = f.sort
  if (f.offset) out.offset = String(f.offset)
  return out
}

export interface TaskApiQuery {
  limit: number
  offset: number
  sort: TaskSort
  /** 'me' or a user id */
  assignee_id?: string
  status?: TaskStatus
  overdue?: boolean
  district_id?: number
}

export function taskApiQuery(f: TaskFilters, limit: number): TaskApiQuery {
  const out: TaskApiQuery = { limit, offset: f.offset, sort: isTaskSort(f.sort) ? f.sort : 'due_date' }
  if (f.who === 'me') out.assignee_id = 'me'
  if (f.status) out.status = f.status
  if (f.overdue) out.overdue = true
  if (f.district !== undefined) out.district_id = f.district
  return out
}

export const DEADLINE_STATUSES = ['open', 'met', 'waived'] as const
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number]

export interface DeadlineFilters {
  status: DeadlineStatus | ''
  overdue: boolean
  district: number | undefined
  dueFrom: string
  dueTo: string
  /** ascending (soonest first) or descending */
  desc: boolean
  /** show a heading per due date */
  grouped: boolean
  offset: number
}

const isDeadlineStatus = (s: string): s is DeadlineStatus => (DEADLINE_STATUSES as readonly string[]).includes(s)

export function parseDeadlineQuery(q: LocationQuery): DeadlineFilters {
  const status = qString(q, 'status')
  const from = qString(q, 'due_from')
  const to = qString(q, 'due_to')
  return {
    status: status === 'any' ? '' : isDeadlineStatus(status) ? status : 'open',
    overdue: qString(q, 'overdue') === 'true',
    district: qInt(q, 'district'),
    dueFrom: isYmd(from) ? from : '',
    dueTo: isYmd(to) ? to : '',
    desc: qString(q, 'sort') === '-due_date',
    grouped: qString(q, 'group') !== 'false',
    offset: qInt(q, 'offset') ?? 0,
  }
}

export function toDeadlineQuery(f: DeadlineFilters): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (f.status !== 'open') out.status = f.status || 'any'
  if (f.overdue) out.overdue = 'true'
  if (f.district !== undefined) out.district = String(f.district)
  if (f.dueFrom) out.due_from = f.dueFrom
  if (f.dueTo) out.due_to = f.dueTo
  if (f.desc) out.sort = '-due_date'
  if (!f.grouped) out.group = 'false'
  if (f.offset) out.offset = String(f.offset)
  return out
}

export interface DeadlineApiQuery {
  limit: number
  offset: number
  sort: DeadlineSort
  status?: DeadlineStatus
  overdue?: boolean
  district_id?: number
  due_from?: string
  due_to?: string
}

export function deadlineApiQuery(f: DeadlineFilters, limit: number): DeadlineApiQuery {
  const out: DeadlineApiQuery = { limit, offset: f.offset, sort: f.desc ? '-due_date' : 'due_date' }
  if (f.status) out.status = f.status
  if (f.overdue) out.overdue = true
  if (f.district !== undefined) out.district_id = f.district
  if (f.dueFrom) out.due_from = f.dueFrom
  if (f.dueTo) out.due_to = f.dueTo
  return out
}

export function hasDeadlineFilters(f: DeadlineFilters): boolean {
  return f.status !== 'open' || f.overdue || f.district !== undefined || !!f.dueFrom || !!f.dueTo
}

// ---- the hearings calendar

export interface CalendarFilters {
  view: View
  /** the date the view is anchored on */
  date: Ymd
  /** whose hearings: mine, everyone's I may see (narrowed by court/district), or one prosecutor's */
  who: 'me' | 'all' | number
  court: number | undefined
  district: number | undefined
}

export function parseCalendarQuery(q: LocationQuery, today: Ymd, defaultWho: 'me' | 'all'): CalendarFilters {
  const view = qString(q, 'view')
  const date = qString(q, 'date')
  const who = qString(q, 'who')
  const id = qInt(q, 'who')
  return {
    view: isView(view) ? view : 'week',
    date: isYmd(date) ? date : today,
    who: who === 'me' || who === 'all' ? who : id !== undefined ? id : defaultWho,
    court: qInt(q, 'court'),
    district: qInt(q, 'district'),
  }
}

export function toCalendarQuery(f: CalendarFilters, today: Ymd, defaultWho: 'me' | 'all'): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (f.view !== 'week') out.view = f.view
  if (f.date !== today) out.date = f.date
  if (f.who !== defaultWho) out.who = String(f.who)
  if (f.court !== undefined) out.court = String(f.court)
  if (f.district !== undefined) out.district = String(f.district)
  return out
}

export interface HearingApiQuery {
  from: string
  to: string
  limit: number
  offset: number
  sort: HearingSort
  /** a user id or 'me' */
  prosecutor_id?: string
  court_id?: number
  district_id?: number
}

/**
 * The list query for a calendar view. `homeDistrict` (the caller's district) narrows "everyone's"
 * to it when no court or district is chosen, so the server walks one district's index range.
 */
export function calendarApiQuery(f: CalendarFilters, homeDistrict: number | null, limit: number, offset = 0): HearingApiQuery {
  const out: HearingApiQuery = { ...apiRange(f.view, f.date), limit, offset, sort: 'starts_at' }
  if (f.who !== 'all') out.prosecutor_id = String(f.who)
  if (f.court !== undefined) out.court_id = f.court
  const district = f.district ?? (f.who === 'all' && f.court === undefined ? homeDistrict : null)
  if (district !== null && district !== undefined) out.district_id = district
  return out
}
