/**
 * Calls for the reference lists: one typed path pair per kind, so a renamed path in the
 * generated schema breaks the build. Row shapes differ per kind, so the generic screens see
 * rows as records; the field lists in referenceKinds.ts mirror the Create/Update schemas.
 */
import { api } from '../../api/client'
import type { Page } from '../../api/types'
import type { KindName } from './referenceKinds'

export type Row = { id: number } & Record<string, unknown>
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
  holidays: '/api/v1/reference/holidays',
  'deadline-rules': '/api/v1/reference/deadline-rules',
} as const satisfies Record<KindName, string>

const ITEM = {
  districts: '/api/v1/reference/districts/{item_id}',
  courts: '/api/v1/reference/courts/{item_id}',
  'police-stations': '/api/v1/reference/police-stations/{item_id}',
  offences: '/api/v1/reference/offences/{item_id}',
  'adjournment-reasons': '/api/v1/reference/adjournment-reasons/{item_id}',
  holidays: '/api/v1/reference/holidays/{item_id}',
  'deadline-rules': '/api/v1/reference/deadline-rules/{item_id}',
} as const satisfies Record<KindName, string>

type Query = Record<string, string | number | boolean>

export async function listRows(kind: KindName, query: Query): Promise<Outcome<Page<Row>>> {
  const r = await api.GET(LIST[kind], { params: { query: query as never } })
  return r as Outcome<Page<Row>>
}

export async function getRow(kind: KindName, id: number): Promise<Outcome<Row>> {
  const r = await api.GET(ITEM[kind], { params: { path: { item_id: id } } })
  return r as Outcome<Row>
}

export async function patchRow(
  kind: KindName,
  id: number,
  etag: string,
  body: Record<string, unknown>,
): Promise<Outcome<Row>> {
  const r = await api.PATCH(ITEM[kind], {
    params: { path: { item_id: id }, header: { 'if-match': etag } },
    body: body as never,
  })
  return r as Outcome<Row>
}

export async function createRow(kind: KindName, body: Record<string, unknown>): Promise<Outcome<Row>> {
  const r = await api.POST(LIST[kind], { body: body as never })
  return r as Outcome<Row>
}
