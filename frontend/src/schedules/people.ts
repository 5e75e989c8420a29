/**
 * Who can be picked as a prosecutor or an assignee. Only administrators may list users, so the
 * pickers use what the caller can see: the case's team, themselves, and — for supervisors, who may
 * read the workload — the prosecutors of the district (the workload board's rows).
 */
import { reactive } from 'vue'
import { api } from '../api/client'
import { WORKLOAD_ROLES } from './roles'

export interface PersonChoice {
  id: number
  name: string
  /** an active prosecutor who can be given cases (workload rows also list people who merely hold some) */
  assignable?: boolean
}

export const canReadWorkload = (roles: readonly string[]) => roles.some((r) => (WORKLOAD_ROLES as readonly string[]).includes(r))

const cache = reactive(new Map<number, PersonChoice[]>())
const loading = new Map<number, Promise<PersonChoice[]>>()

/** The prosecutors of a district (from the workload figures), loaded once per district and page. */
export function districtProsecutors(districtId: number): Promise<PersonChoice[]> {
  const hit = cache.get(districtId)
  if (hit) return Promise.resolve(hit)
  let p = loading.get(districtId)
  if (!p) {
    p = (async () => {
      const { data } = await api.GET('/api/v1/workload', { params: { query: { district_id: districtId } } })
      const rows: PersonChoice[] = (data?.items ?? []).map((r) => ({ id: r.prosecutor_id, name: r.name, assignable: r.assignable }))
      rows.sort((a, b) => a.name.localeCompare(b.name))
      cache.set(districtId, rows)
      return rows
    })()
      .catch(() => [] as PersonChoice[])
      .finally(() => loading.delete(districtId))
    loading.set(districtId, p)
  }
  return p
}

export function forgetProsecutors(): void {
  cache.clear()
}

/** Several lists merged, each person once, in name order; `first` (usually the caller) leads. */
export function mergeChoices(lists: readonly (readonly PersonChoice[])[], first?: PersonChoice | null): PersonChoice[] {
  const seen = new Map<number, PersonChoice>()
  for (const list of lists) for (const p of list) if (!seen.has(p.id)) seen.set(p.id, p)
  const rest = [...seen.values()].filter((p) => p.id !== first?.id).sort((a, b) => a.name.localeCompare(b.name))
  return first ? [first, ...rest] : rest
}
