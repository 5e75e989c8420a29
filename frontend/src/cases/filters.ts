/** Case list filters ⇄ the URL query (so a link shares a view) ⇄ the API query. */
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import { qInt, qString } from '../query'
import type { CaseSort } from '../api/types'
import { isCategory, isStage, type Category, type Stage } from './model'

export const CASE_SORTS = ['created_at', 'fir_date', 'number', 'updated_at', 'stage_changed_at'] as const
export const DEFAULT_SORT: CaseSort = '-updated_at'

export interface CaseFilters {
  q: string
  stages: Stage[]
  category: Category | ''
  district: number | undefined
  station: number | undefined
  court: number | undefined
  /** a user id, or 'me' (resolved with the signed-in user) */
  prosecutor: number | 'me' | undefined
  restricted: boolean | undefined
  firFrom: string
  firTo: string
  sort: string
  offset: number
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

export function isSort(s: string): s is CaseSort {
  const name = s.startsWith('-') ? s.slice(1) : s
  return (CASE_SORTS as readonly string[]).includes(name)
}

export function parseCaseQuery(query: LocationQuery): CaseFilters {
  const raw = query.stage
  const list = (Array.isArray(raw) ? raw : [raw]).filter((s): s is string => typeof s === 'string')
  // a stage may come repeated (?stage=a&stage=b) or comma-joined (?stage=a,b)
  const stages = [...new Set(list.flatMap((s) => s.split(',')).filter(isStage))]
  const category = qString(query, 'category')
  const pros = qString(query, 'prosecutor')
  const restricted = qString(query, 'restricted')
  const sort = qString(query, 'sort')
  const firFrom = qString(query, 'fir_from')
  const firTo = qString(query, 'fir_to')
  return {
    q: qString(query, 'q').trim(),
    stages,
    category: isCategory(category) ? category : '',
    district: qInt(query, 'district'),
    station: qInt(query, 'station'),
    court: qInt(query, 'court'),
    prosecutor: pros === 'me' ? 'me' : qInt(query, 'prosecutor'),
    restricted: restricted === 'true' ? true : restricted === 'false' ? false : undefined,
    firFrom: DATE.test(firFrom) ? firFrom : '',
    firTo: DATE.test(firTo) ? firTo : '',
    sort: isSort(sort) ? sort : '',
    offset: qInt(query, 'offset') ?? 0,
  }
}

/** The URL query for a filter state: empty values left out, stages repeated. */
export function toCaseQuery(f: Partial<CaseFilters>): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (f.q) out.q = f.q
  if (f.stages?.length) out.stage = [...f.stages]
  if (f.category) out.category = f.category
  if (f.district !== undefined) out.district = String(f.district)
  if (f.station !== undefined) out.station = String(f.station)
  if (f.court !== undefined) out.court = String(f.court)
  if (f.prosecutor !== undefined) out.prosecutor = String(f.prosecutor)
  if (f.restricted !== undefined) out.restricted = String(f.restricted)
  if (f.firFrom) out.fir_from = f.firFrom
  if (f.firTo) out.fir_to = f.firTo
  if (f.sort) out.sort = f.sort
  if (f.offset) out.offset = String(f.offset)
  return out
}

export interface CaseApiQuery {
  limit: number
  offset: number
  q?: string
  stage?: Stage[]
  category?: Category
  district_id?: number
  police_station_id?: number
  court_id?: number
  prosecutor_id?: number
  restricted?: boolean
  fir_from?: string
  fir_to?: string
  sort: CaseSort
}

export function toApiQuery(f: CaseFilters, limit: number, me: number | null): CaseApiQuery {
  const out: CaseApiQuery = { limit, offset: f.offset, sort: isSort(f.sort) ? f.sort : DEFAULT_SORT }
  if (f.q) out.q = f.q
  if (f.stages.length) out.stage = f.stages
  if (f.category) out.category = f.category
  if (f.district !== undefined) out.district_id = f.district
  if (f.station !== undefined) out.police_station_id = f.station
  if (f.court !== undefined) out.court_id = f.court
  const pros = f.prosecutor === 'me' ? (me ?? undefined) : f.prosecutor
  if (pros !== undefined) out.prosecutor_id = pros
  if (f.restricted !== undefined) out.restricted = f.restricted
  if (f.firFrom) out.fir_from = f.firFrom
  if (f.firTo) out.fir_to = f.firTo
  return out
}

export function hasFilters(f: CaseFilters): boolean {
  return !!(
    f.q ||
    f.stages.length ||
    f.category ||
    f.district !== undefined ||
    f.station !== undefined ||
    f.court !== undefined ||
    f.prosecutor !== undefined ||
    f.restricted !== undefined ||
    f.firFrom ||
    f.firTo
  )
}

export function toggleStage(stages: readonly Stage[], s: Stage): Stage[] {
  return stages.includes(s) ? stages.filter((x) => x !== s) : [...stages, s]
}
