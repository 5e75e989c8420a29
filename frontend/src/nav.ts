/**
 * The sections of the app, data-driven: the header navigation shows the ready sections a user's
 * roles allow; the Home page names the ones still being built. Adding a section = a row here
 * (ready: true) plus its route in router.ts.
 */
import type { Role } from './api/types'
import { DASHBOARD_ROLES, DEADLINE_ROLES, HEARING_READ_ROLES, TASK_READ_ROLES, WORKLOAD_ROLES } from './schedules/roles'

export interface Section {
  /** i18n key under `nav.` and the route name */
  key: string
  to: string
  /** roles that see it; 'all' = every signed-in user */
  roles: readonly Role[] | 'all'
  ready: boolean
}

export const SECTIONS: readonly Section[] = [
  { key: 'home', to: '/', roles: 'all', ready: true },
  {
    key: 'cases',
    to: '/cases',
    roles: ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk', 'auditor', 'monitor'],
    ready: true,
  },
  { key: 'caseImport', to: '/cases/import', roles: ['clerk', 'district_prosecutor'], ready: true },
  { key: 'hearings', to: '/hearings', roles: HEARING_READ_ROLES, ready: true },
  { key: 'tasks', to: '/tasks', roles: TASK_READ_ROLES, ready: true },
  { key: 'deadlines', to: '/deadlines', roles: DEADLINE_ROLES, ready: true },
  { key: 'workload', to: '/workload', roles: WORKLOAD_ROLES, ready: true },
  { key: 'monitoring', to: '/monitoring', roles: DASHBOARD_ROLES, ready: true },
  {
    key: 'reports',
    to: '/reports',
    roles: ['prosecutor_general', 'district_prosecutor', 'monitor', 'auditor'],
    ready: false,
  },
  { key: 'audit', to: '/audit', roles: ['auditor', 'prosecutor_general'], ready: false },
  {
    key: 'library',
    to: '/library',
    roles: ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'trainer'],
    ready: false,
  },
  // every user is also a learner
  { key: 'learning', to: '/learning', roles: 'all', ready: false },
  { key: 'users', to: '/admin/users', roles: ['admin'], ready: true },
  { key: 'reference', to: '/admin/reference', roles: ['admin'], ready: true },
]

export function allowed(section: Section, roles: readonly string[]): boolean {
  return section.roles === 'all' || section.roles.some((r) => roles.includes(r))
}

export function navFor(roles: readonly string[]): Section[] {
  return SECTIONS.filter((s) => s.ready && allowed(s, roles))
}

export function comingFor(roles: readonly string[]): Section[] {
  return SECTIONS.filter((s) => !s.ready && allowed(s, roles))
}
