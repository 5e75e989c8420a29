/** What a user's roles allow on cases (mirrors the API's permissions; the API still decides). */
export const CASE_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk', 'auditor', 'monitor'] as const
export const CREATE_ROLES = ['clerk', 'district_prosecutor'] as const
export const IMPORT_ROLES = ['clerk', 'district_prosecutor'] as const
export const ASSIGN_ROLES = ['district_prosecutor', 'prosecutor_general'] as const

const any = (mine: readonly string[], allowed: readonly string[]) => mine.some((r) => allowed.includes(r))
export const canSeeCases = (roles: readonly string[]) => any(roles, CASE_ROLES)
export const canCreateCases = (roles: readonly string[]) => any(roles, CREATE_ROLES)
export const canImportCases = (roles: readonly string[]) => any(roles, IMPORT_ROLES)
export const UPDATE_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk'] as const
export const TRANSITION_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor'] as const
export const UPLOAD_ROLES = ['prosecutor_general', 'district_prosecutor', 'prosecutor', 'clerk'] as const
export const canUpdateCases = (roles: readonly string[]) => any(roles, UPDATE_ROLES)
export const canMoveCases = (roles: readonly string[]) => any(roles, TRANSITION_ROLES)
export const canUpload = (roles: readonly string[]) => any(roles, UPLOAD_ROLES)
