import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteRecordRaw,
  type Router,
  type RouterHistory,
} from 'vue-router'
import { restore, session } from './auth/session'
import { dropFlashUnlessFor, showFlash } from './flash'
import type { Role } from './api/types'
import { CASE_ROLES, CREATE_ROLES, IMPORT_ROLES } from './cases/roles'
import { DASHBOARD_ROLES, DEADLINE_ROLES, HEARING_READ_ROLES, TASK_READ_ROLES, WORKLOAD_ROLES } from './schedules/roles'

declare module 'vue-router' {
  interface RouteMeta {
    /** reachable without signing in */
    public?: boolean
    /** any of these roles may open it */
    roles?: readonly Role[]
    /** i18n key of the page title */
    title?: string
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { public: true, title: 'login.title' },
  },
  {
    path: '/',
    name: 'home',
    component: () => import('./views/HomeView.vue'),
    meta: { title: 'home.title' },
  },
  {
    path: '/cases',
    name: 'cases',
    component: () => import('./views/cases/CaseListView.vue'),
    meta: { roles: CASE_ROLES, title: 'cases.title' },
  },
  {
    path: '/cases/new',
    name: 'case-new',
    component: () => import('./views/cases/CaseNewView.vue'),
    meta: { roles: CREATE_ROLES, title: 'caseForm.title' },
  },
  {
    path: '/cases/import',
    name: 'case-import',
    component: () => import('./views/cases/CaseImportView.vue'),
    meta: { roles: IMPORT_ROLES, title: 'caseImport.title' },
  },
  {
    path: '/cases/:id(\\d+)',
    name: 'case-detail',
    component: () => import('./views/cases/CaseDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { roles: CASE_ROLES, title: 'cases.title' },
  },
  {
    path: '/hearings',
    name: 'hearings',
    component: () => import('./views/hearings/CalendarView.vue'),
    meta: { roles: HEARING_READ_ROLES, title: 'calendar.title' },
  },
  {
    path: '/courts/:id(\\d+)/cause-list',
    name: 'cause-list',
    component: () => import('./views/hearings/CauseListView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { roles: HEARING_READ_ROLES, title: 'causeList.title' },
  },
  {
    path: '/tasks',
    name: 'tasks',
    component: () => import('./views/tasks/TasksView.vue'),
    meta: { roles: TASK_READ_ROLES, title: 'tasks.titleMine' },
  },
  {
    path: '/deadlines',
    name: 'deadlines',
    component: () => import('./views/deadlines/DeadlinesView.vue'),
    meta: { roles: DEADLINE_ROLES, title: 'deadlines.title' },
  },
  {
    path: '/workload',
    name: 'workload',
    component: () => import('./views/workload/WorkloadView.vue'),
    meta: { roles: WORKLOAD_ROLES, title: 'workload.title' },
  },
  {
    path: '/monitoring',
    name: 'monitoring',
    component: () => import('./views/monitoring/DashboardView.vue'),
    meta: { roles: DASHBOARD_ROLES, title: 'dashboard.title' },
  },
  {
    path: '/monitoring/:district(\\d+)/:figure(overdue-deadlines|hearings-without-prosecutor|cases-without-hearing|prosecution-adjournments|returns-to-police)',
    name: 'monitoring-list',
    component: () => import('./views/monitoring/FigureListView.vue'),
    props: (route) => ({ district: Number(route.params.district), figure: route.params.figure }),
    meta: { roles: DASHBOARD_ROLES, title: 'dashboard.title' },
  },
  {
    path: '/admin/users',
    name: 'users',
    component: () => import('./views/admin/UsersView.vue'),
    meta: { roles: ['admin'], title: 'users.title' },
  },
  {
    path: '/admin/users/new',
    name: 'user-new',
    component: () => import('./views/admin/UserNewView.vue'),
    meta: { roles: ['admin'], title: 'userForm.createTitle' },
  },
  {
    path: '/admin/users/:id(\\d+)',
    name: 'user-detail',
    component: () => import('./views/admin/UserDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { roles: ['admin'], title: 'users.title' },
  },
  {
    path: '/admin/reference',
    redirect: { name: 'reference', params: { kind: 'districts' } },
  },
  {
    path: '/admin/reference/:kind(districts|courts|police-stations|offences|adjournment-reasons|holidays|deadline-rules)',
    name: 'reference',
    component: () => import('./views/admin/ReferenceView.vue'),
    props: true,
    meta: { roles: ['admin'], title: 'reference.title' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('./views/NotFoundView.vue'),
    meta: { public: true, title: 'notFound.title' },
  },
]

/** Where to go, given who is signed in: the route guard, exported for tests. */
export async function guard(to: RouteLocationNormalized) {
  await restore()
  const signedIn = session.status === 'signed-in' && session.user
  if (to.name === 'login' && signedIn) {
    const next = typeof to.query.next === 'string' ? to.query.next : '/'
    return safeNext(next)
  }
  if (to.meta.public) return true
  if (!signedIn) {
    return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  }
  const needed = to.meta.roles
  if (needed && !needed.some((r) => session.user!.roles.includes(r))) {
    showFlash(needed.includes('admin') ? 'app.adminOnly' : 'app.notAllowed', 'error', '/')
    return { name: 'home' }
  }
  return true
}

/** Only same-app paths may be a `next` target (no open redirect to another site). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return '/'
  if (next.includes('\\')) return '/'
  if (next.startsWith('/login')) return '/'
  return next
}

export function makeRouter(history: RouterHistory = createWebHistory('/')): Router {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
  router.beforeEach((to) => dropFlashUnlessFor(to.path))
  router.beforeEach(guard)
  return router
}
