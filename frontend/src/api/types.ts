/**
 * Names the app uses for API shapes, derived from the paths (not from schema names), so that
 * regenerating schema.d.ts keeps working whatever the server calls its models.
 */
import type { components, paths } from './schema'

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never
type Ok<Op> = Op extends { responses: { 200: infer R } } ? JsonOf<R> : never
type Created<Op> = Op extends { responses: { 201: infer R } } ? JsonOf<R> : never
type ItemOf<P> = P extends { items: (infer T)[] } ? T : never

export type TokenPair = Ok<paths['/api/v1/auth/token']['post']>
export type Me = Ok<paths['/api/v1/users/me']['get']>
export type User = Ok<paths['/api/v1/users/{user_id}']['get']>
export type UserPage = Ok<paths['/api/v1/users']['get']>
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
