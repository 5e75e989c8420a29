/** What a user's roles allow in the schedules screens (mirrors api/permissions.py; the API still decides). */
const any = (mine: readonly string[], allowed: readonly string[]) => mine.some((r) => allowed.includes(r))

export const HEARING_READ_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk', 'auditor', 'monitor'] as const
export const HEARING_WRITE_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk'] as const
export const TASK_READ_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk', 'auditor'] as const
export const TASK_WRITE_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor'] as const
export const DEADLINE_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk', 'auditor', 'monitor'] as const
export const WORKLOAD_ROLES = ['prosecutor_general', 'district_prosecutor', 'auditor', 'monitor'] as const
export const DASHBOARD_ROLES = ['prosecutor_general', 'district_prosecutor', 'auditor', 'monitor'] as const
/** outcomes are recorded by whoever keeps the diary: the prosecutors who attend and the clerks */
export const OUTCOME_ROLES = HEARING_WRITE_ROLES

export const canWriteHearings = (roles: readonly string[]) => any(roles, HEARING_WRITE_ROLES)
export const canReadTasks = (roles: readonly string[]) => any(roles, TASK_READ_ROLES)
export const canWriteTasks = (roles: readonly string[]) => any(roles, TASK_WRITE_ROLES)
export const canRecordOutcomes = (roles: readonly string[]) => any(roles, OUTCOME_ROLES)
export const canReadDeadlines = (roles: readonly string[]) => any(roles, DEADLINE_ROLES)
