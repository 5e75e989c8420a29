/**
 * The hearing form and the outcome form, kept out of the components: when the form is complete
 * enough to ask the server about clashes, the request bodies, and the outcome's rules.
 */
import { isHm, isYmd, overlaps, zonedIso, ZONE, type Ymd } from './calendar'

export const PURPOSES = [
  'copies',
  'charge',
  'prosecution_evidence',
  's342',
  'defence_evidence',
  'arguments',
  'judgment',
  'bail',
  'miscellaneous',
] as const
export type Purpose = (typeof PURPOSES)[number]
export const OUTCOMES = ['held', 'adjourned', 'not_taken_up', 'decided'] as const
export type HearingOutcome = (typeof OUTCOMES)[number]
export const SIDES = ['prosecution', 'defence', 'court', 'police', 'witness', 'jail', 'forensic', 'other'] as const
export type Side = (typeof SIDES)[number]

export const isSide = (v: unknown): v is Side => typeof v === 'string' && (SIDES as readonly string[]).includes(v)

/** What the user typed in the hearing form (a date and a time in the court's zone). */
export interface HearingDraft {
  court_id: number | null
  date: Ymd | ''
  time: string
  purpose: Purpose | ''
  /** null: the case's lead (the server's default) */
  prosecutor_id: number | null
  duration_minutes: string
  judge: string
  notes: string
}

export function blankHearing(over: Partial<HearingDraft> = {}): HearingDraft {
  return {
    court_id: null,
    date: '',
    time: '09:00',
    purpose: '',
    prosecutor_id: null,
    duration_minutes: '',
    judge: '',
    notes: '',
    ...over,
  }
}

export interface HearingBody {
  case_id: number
  court_id: number
  starts_at: string
  purpose: Purpose
  prosecutor_id?: number
  duration_minutes?: number
  judge?: string
  notes?: string
}

/** The body to save; null while a required part is missing or malformed. */
export function hearingBody(caseId: number, f: HearingDraft, zone = ZONE): HearingBody | null {
  if (f.court_id === null || !isYmd(f.date) || !isHm(f.time) || !f.purpose) return null
  const body: HearingBody = {
    case_id: caseId,
    court_id: f.court_id,
    starts_at: zonedIso(f.date, f.time, zone),
    purpose: f.purpose,
  }
  if (f.prosecutor_id !== null) body.prosecutor_id = f.prosecutor_id
  const minutes = f.duration_minutes.trim()
  if (/^\d+$/.test(minutes) && Number(minutes) > 0) body.duration_minutes = Number(minutes)
  if (f.judge.trim()) body.judge = f.judge.trim()
  if (f.notes.trim()) body.notes = f.notes.trim()
  return body
}

/**
 * The body for the clash check (POST /hearings/check): the clash depends on who, when and how long,
 * so the check is asked as soon as a court, a date and a time are there, before a purpose is chosen
 * (a placeholder purpose fills the gap; nothing is written). Null: not ready to ask.
 */
export function checkBody(caseId: number, f: HearingDraft, zone = ZONE): HearingBody | null {
  return hearingBody(caseId, { ...f, purpose: f.purpose || 'miscellaneous', judge: '', notes: '' }, zone)
}

/** A stable text for what decides a clash, to skip asking again when only the purpose, judge or notes changed. */
export function clashKey(caseId: number, f: HearingDraft, zone = ZONE): string {
  const b = checkBody(caseId, f, zone)
  return b ? JSON.stringify([b.court_id, b.starts_at, b.prosecutor_id ?? null, b.duration_minutes ?? null]) : ''
}

/** The clash check's state, shown beside the form: idle (nothing to ask yet), checking, the answer. */
export type ClashState<C> =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'clear' }
  | { kind: 'clash'; conflicts: C[] }
  | { kind: 'failed' }

export function clashState<C>(conflicts: C[] | null | undefined): ClashState<C> {
  if (!conflicts) return { kind: 'failed' }
  return conflicts.length ? { kind: 'clash', conflicts } : { kind: 'clear' }
}

// ---- the outcome

export interface ReasonChoice {
  code: string
  label: string
  label_ur: string | null
  attributed_to: string
  active: boolean
}

export interface OutcomeDraft {
  outcome: HearingOutcome | ''
  reason: string
  attributed_to: Side | ''
  next_date: Ymd | ''
  next_time: string
  next_purpose: Purpose | ''
  witnesses: number[]
  notes: string
}

export function blankOutcome(): OutcomeDraft {
  return { outcome: '', reason: '', attributed_to: '', next_date: '', next_time: '', next_purpose: '', witnesses: [], notes: '' }
}

/** A reason in words, in the reader's language (Urdu when the reference list has it), else its code. */
export function reasonInWords(
  r: { code?: string; reason?: string; label?: string | null; label_ur?: string | null },
  locale: string,
): string {
  return (locale === 'ur' && r.label_ur) || r.label || r.reason || r.code || ''
}

/** The side a reason is attributed to by default (the reference list says), or '' for an unknown code. */
export function defaultSide(code: string, reasons: readonly ReasonChoice[]): Side | '' {
  const r = reasons.find((x) => x.code === code)
  return r && isSide(r.attributed_to) ? r.attributed_to : ''
}

/** A next date makes sense after an adjournment, or after a hearing held or not taken up; not after a decision. */
export const takesNextDate = (o: OutcomeDraft['outcome']) => o === 'adjourned' || o === 'held' || o === 'not_taken_up'

export interface OutcomeBody {
  outcome: HearingOutcome
  adjournment?: { reason: string; attributed_to?: Side }
  next_date?: string
  next_time?: string
  next_purpose?: Purpose
  witnesses_examined?: number[]
  notes?: string
}

/** Client-side checks that save a round trip; the server checks everything again. Keys are field names. */
export function outcomeErrors(f: OutcomeDraft): Record<string, string> {
  const out: Record<string, string> = {}
  if (!f.outcome) out.outcome = 'outcome.required'
  if (f.outcome === 'adjourned' && !f.reason) out.adjournment = 'outcome.reasonRequired'
  if (f.next_time && !f.next_date) out.next_date = 'outcome.nextDateForTime'
  if (f.next_time && !isHm(f.next_time)) out.next_time = 'outcome.badTime'
  return out
}

export function outcomeBody(f: OutcomeDraft): OutcomeBody | null {
  if (!f.outcome || Object.keys(outcomeErrors(f)).length) return null
  const body: OutcomeBody = { outcome: f.outcome }
  if (f.outcome === 'adjourned') {
    body.adjournment = { reason: f.reason }
    if (f.attributed_to) body.adjournment.attributed_to = f.attributed_to
  }
  if (takesNextDate(f.outcome) && f.next_date) {
    body.next_date = f.next_date
    if (f.next_time) body.next_time = f.next_time
    if (f.next_purpose) body.next_purpose = f.next_purpose
  }
  if (f.witnesses.length) body.witnesses_examined = [...f.witnesses]
  if (f.notes.trim()) body.notes = f.notes.trim()
  return body
}

/** An outcome may be recorded once the hearing has begun (the server refuses outcomes for the future). */
export const canRecordOutcome = (h: { starts_at: string; outcome?: string | null }, now: Date = new Date()) =>
  !h.outcome && Date.parse(h.starts_at) <= now.getTime()

/**
 * The hearings (of those shown) whose prosecutor is due somewhere else at the same time: marked in
 * the calendar. Sorted by start per prosecutor, so each is compared with the ones still running.
 */
export function clashingIds(
  hearings: readonly { id: number; prosecutor_id: number | null; starts_at: string; ends_at: string }[],
): Set<number> {
  const out = new Set<number>()
  const byProsecutor = new Map<number, typeof hearings[number][]>()
  for (const h of hearings) {
    if (h.prosecutor_id === null) continue
    const list = byProsecutor.get(h.prosecutor_id)
    if (list) list.push(h)
    else byProsecutor.set(h.prosecutor_id, [h])
  }
  for (const list of byProsecutor.values()) {
    const sorted = [...list].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i]!
        const b = sorted[j]!
        if (Date.parse(b.starts_at) >= Date.parse(a.ends_at)) break
        if (overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at)) {
          out.add(a.id)
          out.add(b.id)
        }
      }
    }
  }
  return out
}
