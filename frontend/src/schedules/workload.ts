/** The workload board's columns and order (sorted in the page: a district has at most a few hundred prosecutors). */

export const WORKLOAD_COLUMNS = [
  'open_cases',
  'lead_cases',
  'associate_cases',
  'dormant_cases',
  'weighted_load',
  'hearings_next_7_days',
  'overdue_tasks',
] as const
export type WorkloadColumn = (typeof WORKLOAD_COLUMNS)[number]

type Row = { name: string; prosecutor_id: number; assignable?: boolean } & Record<WorkloadColumn, number>

/** Rows by one figure (ties by name, then id, so the order never jumps between reloads). */
export function sortRows<T extends Row>(rows: readonly T[], key: WorkloadColumn, desc: boolean): T[] {
  const dir = desc ? -1 : 1
  return [...rows].sort((a, b) => dir * (a[key] - b[key]) || a.name.localeCompare(b.name) || a.prosecutor_id - b.prosecutor_id)
}

/**
 * Who may receive a prosecutor's cases: assignable prosecutors of the district other than the one
 * giving them up and the caller (nobody assigns themselves), least loaded first.
 */
export function targetsFor<T extends Row & { assignable: boolean }>(rows: readonly T[], fromId: number, me: number | null): T[] {
  return sortRows(
    rows.filter((r) => r.assignable && r.prosecutor_id !== fromId && r.prosecutor_id !== me),
    'weighted_load',
    false,
  )
}
