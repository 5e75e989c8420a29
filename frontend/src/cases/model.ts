/** Case vocabulary shared by the case screens: stages, categories, custody statuses, tones. */
import type { components } from '../api/schema'

export type Stage = components['schemas']['CaseOut']['stage']
export type Category = components['schemas']['CaseOut']['category']
export type CustodyStatus = components['schemas']['AccusedIn']['custody_status']

export const STAGES = [
  'intake',
  'scrutiny',
  'returned',
  'filed',
  'charge',
  'evidence',
  'defence',
  'arguments',
  'judgment',
  'appeal',
  'closed',
  'dormant',
] as const satisfies readonly Stage[]
type MissingStage = Exclude<Stage, (typeof STAGES)[number]>
export const ALL_STAGES_LISTED: MissingStage extends never ? true : false = true

export const CATEGORIES = ['ordinary', 'ata', 'special'] as const satisfies readonly Category[]

export const CUSTODY = [
  'not_arrested',
  'arrested',
  'police_remand',
  'judicial_custody',
  'on_bail',
  'absconding',
  'proclaimed_offender',
  'released',
  'discharged',
] as const satisfies readonly CustodyStatus[]

/** Where a stage sits in the case's life: a colour family, always shown with its name. */
export type StageTone = 'new' | 'review' | 'trial' | 'decided' | 'done' | 'stalled'
export function stageTone(stage: string): StageTone {
  switch (stage) {
    case 'intake':
      return 'new'
    case 'scrutiny':
    case 'filed':
      return 'review'
    case 'returned':
    case 'dormant':
      return 'stalled'
    case 'judgment':
    case 'appeal':
      return 'decided'
    case 'closed':
      return 'done'
    default:
      return 'trial'
  }
}

export function isStage(v: string): v is Stage {
  return (STAGES as readonly string[]).includes(v)
}
export function isCategory(v: string): v is Category {
  return (CATEGORIES as readonly string[]).includes(v)
}

/** Reasons the API accepts for ending a trial in judgment before every accused has a disposition. */
export const EARLY_JUDGMENT_REASONS = ['s265k_acquittal', 's249a_acquittal', 's345_compromise', 's494_withdrawal'] as const

/** Which moves ask for a reason: `choice` = one of a fixed list, `text` = free words. */
export function reasonKind(from: string, to: string): 'choice' | 'text' | null {
  if (to === 'judgment') return 'choice'
  if (to === 'closed') return 'text'
  if (from === 'dormant' || to === 'dormant') return null
  return null
}
