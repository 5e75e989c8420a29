/** The case detail's sections. A section whose API does not exist yet is not listed (no fake UI). */
export const CASE_TABS = ['overview', 'people', 'offences', 'hearings', 'tasks', 'timeline', 'documents', 'scrutiny', 'notes'] as const
export type CaseTab = (typeof CASE_TABS)[number]
