/**
 * Calls for the reference lists, one typed path pair per kind (so a renamed path or field in
 * the generated schema breaks the build).
 */
import { api } from '../../api/client'
import type { Page } from '../../api/types'
import type { KindName } from './referenceKinds'

export type Row = { id: number } & Record<string, unknown>
export interface ListParams {
  limit: number
  offset: number
  q?: string
  district_id?: number
  statute?: string
}
export interface Outcome<T> {
  data?: T
  error?: unknown
  response: Response
}

const LIST = {
  districts: '/api/v1/reference/districts',
  courts: '/api/v1/reference/courts',
  'police-stations': '/api/v1/reference/police-stations',
  offences: '/api/v1/reference/offences',
  'adjournment-reasons': '/api/v1/reference/adjournment-reasons',
} as const

const ITEM = {
  districts: '/api/v1/reference/districts/{id}',
  courts: '/api/v1/reference/courts/{id}',
  'police-stations': '/api/v1/reference/police-stations/{id}',
  offences: '/api/v1/reference/offences/{id}',
  'adjournment-reasons': '/api/v1/reference/adjournment-reasons/{id}',
} as const

function listQuery(kind: KindName, p: ListParams): Record<string, string | number> {
  const q: Record<string, string | number> = { limit: p.limit, offset: p.offset }
  if (p.q) q.q = p.q
  if (p.district_id !== undefined && (kind === 'courts' || kind === 'police-stations')) q.district_id = p.district_id
  if (p.statute && kind === 'offences') q.statute = p.statute
  return q
}

export async function listRows(kind: KindName, p: ListParams): Promise<Outcome<Page<Row>>> {
  const r = await api.GET(LIST[kind], { params: { query: listQuery(kind, p) } })
  return r as Outcome<Page<Row>>
}

export async function getRow(kind: KindName, id: number): Promise<Outcome<Row>> {
  const r = await api.GET(ITEM[kind], { params: { path: { id } } })
  return r as Outcome<Row>
}

export async function patchRow(kind: KindName, id: number, etag: string, body: Record<string, unknown>): Promise<Outcome<Row>> {
  const r = await api.PATCH(ITEM[kind], {
    params: { path: { id }, header: { 'If-Match': etag } },
    body: body as never,
  })
  return r as Outcome<Row>
}

export async function createRow(kind: KindName, body: Record<string, unknown>): Promise<Outcome<Row>> {
  const r = await api.POST(LIST[kind], { body: body as never })
  return r as Outcome<Row>
}
