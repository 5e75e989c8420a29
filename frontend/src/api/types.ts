/**
 * Names the app uses for API shapes, derived from the paths (not from schema names), so that
 * regenerating schema.d.ts keeps working whatever the server calls its models.
 */
import type { components, paths } from './schema'

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : never
type Created<Op> = Op extends { responses: { 201: infer R } } ? JsonOf<R> : never
type ItemOf<P> = P extends { items: (infer T)[] } ? T : never
/** The values a list's `sort` accepts (its enum in the OpenAPI). */
type SortOf<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<NonNullable<Q> extends { sort?: infer S } ? S : never> : never

export type TokenPair = Ok<paths['/api/v1/auth/token']['post']>
export type Me = Ok<paths['/api/v1/users/me']['get']>
export type User = Ok<paths['/api/v1/users/{user_id}']['get']>
export type UserPage = Ok<paths['/api/v1/users']['get']>
export type UserSort = SortOf<paths['/api/v1/users']['get']>
export type UserCreate = NonNullable<
  paths['/api/v1/users']['post']['requestBody']
>['content']['application/json']
export type UserUpdate = NonNullable<
  paths['/api/v1/users/{user_id}']['patch']['requestBody']
>['content']['application/json']
export type CreatedUser = Created<paths['/api/v1/users']['post']>

export type District = ItemOf<Ok<paths['/api/v1/reference/districts']['get']>>
export type Court = ItemOf<Ok<paths['/api/v1/reference/courts']['get']>>
export type PoliceStation = ItemOf<Ok<paths['/api/v1/reference/police-stations']['get']>>
export type Offence = ItemOf<Ok<paths['/api/v1/reference/offences']['get']>>
export type AdjournmentReason = ItemOf<Ok<paths['/api/v1/reference/adjournment-reasons']['get']>>

export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

/** The machine names of the roles (DOMAIN.md), in the order the screens list them. */
export type Role = components['schemas']['Role']
export const ROLES = [
  'prosecutor_general',
  'district_prosecutor',
  'prosecutor',
  'clerk',
  'admin',
  'auditor',
  'monitor',
  'trainer',
] as const satisfies readonly Role[]
// the list above must name every role the API knows (a new role breaks the build here)
type MissingRole = Exclude<Role, (typeof ROLES)[number]>
export const ALL_ROLES_LISTED: MissingRole extends never ? true : false = true

export type CaseOut = components['schemas']['CaseOut']
export type CaseSort = SortOf<paths['/api/v1/cases']['get']>
export type PartyOut = components['schemas']['PartyOut']

// ---- schedules (issue 4)
export type HearingRow = ItemOf<Ok<paths['/api/v1/hearings']['get']>>
export type HearingSort = SortOf<paths['/api/v1/hearings']['get']>
export type Hearing = Ok<paths['/api/v1/hearings/{hearing_id}']['get']>
export type HearingWritten = Ok<paths['/api/v1/hearings/{hearing_id}']['patch']>
export type Conflict = Ok<paths['/api/v1/hearings/check']['post']>['conflicts'][number]
export type CauseList = Exclude<Ok<paths['/api/v1/courts/{court_id}/cause-list']['get']>, string>
export type CauseListRow = CauseList['items'][number]
export type Notification = ItemOf<Ok<paths['/api/v1/notifications']['get']>>
export type Deadline = ItemOf<Ok<paths['/api/v1/deadlines']['get']>>
export type DeadlineSort = SortOf<paths['/api/v1/deadlines']['get']>
export type Dashboard = Ok<paths['/api/v1/monitoring/districts/{district_id}']['get']>
/** The dashboard's figures: each has its list at /monitoring/districts/{district_id}/<figure>. */
export type Figure = keyof {
  [P in keyof paths as P extends `/api/v1/monitoring/districts/{district_id}/${infer F}` ? F : never]: true
}
export type MonitoringRow = ItemOf<Ok<paths['/api/v1/monitoring/districts/{district_id}/overdue-deadlines']['get']>>
export type Task = ItemOf<Ok<paths['/api/v1/tasks']['get']>>
export type TaskSort = SortOf<paths['/api/v1/tasks']['get']>
export type Workload = Ok<paths['/api/v1/workload']['get']>
export type WorkloadRow = Workload['items'][number]
export type Suggestion = ItemOf<Ok<paths['/api/v1/cases/{case_id}/assignment-suggestions']['get']>>
export type Reassignment = Created<paths['/api/v1/reassignments']['post']>
