/** The case fields a PATCH may change, read from a CaseOut, and their display for the 412 dialog. */
import type { components } from '../api/schema'

type CaseOut = components['schemas']['CaseOut']
export type CaseUpdate = components['schemas']['CaseUpdate']

export const EDITABLE = [
  'title',
  'category',
  'court_id',
  'ctd_number',
  'court_case_number',
  'restricted',
  'complex',
  'juvenile',
  'gender_based_violence',
  'occurrence_date',
  'occurrence_place',
  'brief_facts',
] as const
export type EditableField = (typeof EDITABLE)[number]

export interface EditableValues {
  title: string
  category: CaseOut['category']
  court_id: number | null
  ctd_number: string
  court_case_number: string
  restricted: boolean
  complex: boolean
  juvenile: boolean
  gender_based_violence: boolean
  occurrence_date: string
  occurrence_place: string
  brief_facts: string
}

export function editableOf(c: CaseOut): EditableValues {
  return {
    title: c.title,
    category: c.category,
    court_id: c.court_id,
    ctd_number: c.ctd_number ?? '',
    court_case_number: c.court_case_number ?? '',
    restricted: c.restricted,
    complex: c.complex,
    juvenile: c.juvenile,
    gender_based_violence: c.gender_based_violence,
    occurrence_date: c.fir.occurrence_date ?? '',
    occurrence_place: c.fir.occurrence_place ?? '',
    brief_facts: c.fir.brief_facts ?? '',
  }
}

/** The PATCH body: only what changed, empty text sent as null. */
export function patchBody(changed: Partial<Record<EditableField, unknown>>): CaseUpdate {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(changed)) {
    out[k] = typeof v === 'string' ? (v.trim() === '' ? null : v.trim()) : v
  }
  return out as CaseUpdate
}

export const FIELD_LABEL: Record<EditableField, string> = {
  title: 'caseForm.caseTitle',
  category: 'caseDetail.category',
  court_id: 'caseDetail.court',
  ctd_number: 'caseDetail.ctdNumber',
  court_case_number: 'caseDetail.courtCaseNumber',
  restricted: 'cases.flags.restricted',
  complex: 'cases.flags.complex',
  juvenile: 'cases.flags.juvenile',
  gender_based_violence: 'cases.flags.gbv',
  occurrence_date: 'caseDetail.occurrenceDate',
  occurrence_place: 'caseDetail.occurrencePlace',
  brief_facts: 'caseDetail.briefFacts',
}
