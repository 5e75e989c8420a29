/** People on a case: when to ask the person index for suggestions, and the vocabularies. */
import type { components } from '../api/schema'

export type PartyRole = components['schemas']['PartyIn']['role']
export type WitnessStatus = NonNullable<components['schemas']['PartyUpdate']['witness_status']>
export type Outcome = components['schemas']['DispositionIn']['outcome']
export type PersonSuggestion = components['schemas']['PersonSuggestion']

export const PARTY_ROLES = [
  'accused',
  'complainant',
  'victim',
  'witness',
  'investigation_officer',
  'defence_counsel',
] as const satisfies readonly PartyRole[]
export const WITNESS_STATUSES = [
  'cited',
  'summoned',
  'served',
  'present',
  'examined',
  'given_up',
  'hostile',
] as const satisfies readonly WitnessStatus[]
export const OUTCOMES = [
  'convicted',
  'acquitted',
  'discharged',
  'compounded',
  'withdrawn',
  'abated',
  'consigned',
] as const satisfies readonly Outcome[]

/** The quiet time after the last keystroke before the index is asked. */
export const SUGGEST_DELAY_MS = 300

/** The digits of a CNIC typed with or without dashes/spaces; null unless exactly 13 digits. */
export function cnicDigits(text: string): string | null {
  const t = text.trim()
  if (!/^[\d\s-]+$/.test(t)) return null
  const d = t.replace(/\D/g, '')
  return d.length === 13 ? d : null
}

/**
 * What to ask /persons/suggest for, or null when it is too early to ask: a complete CNIC
 * (13 digits) wins; otherwise a name with at least 3 letters (any script).
 */
export function suggestQuery(cnic: string, name: string): { cnic: string } | { name: string } | null {
  const d = cnicDigits(cnic)
  if (d) return { cnic: d }
  const n = name.trim().replace(/\s+/g, ' ')
  const letters = n.match(/\p{L}/gu)?.length ?? 0
  if (letters >= 3) return { name: n.slice(0, 100) }
  return null
}

/** A stable text for a query, to skip asking twice for the same thing. */
export const queryKey = (q: ReturnType<typeof suggestQuery>) => (q ? JSON.stringify(q) : '')

/**
 * Calls `run` with the latest value once `delay` ms pass without a new `push`; `cancel` drops
 * what is pending. The newest call wins: `isCurrent(seq)` tells an answer whether it is stale.
 */
export function debouncer<T>(run: (value: T, seq: number) => void, delay = SUGGEST_DELAY_MS) {
  let timer: ReturnType<typeof setTimeout> | null = null
  let seq = 0
  return {
    push(value: T) {
      if (timer) clearTimeout(timer)
      const mine = ++seq
      timer = setTimeout(() => {
        timer = null
        run(value, mine)
      }, delay)
    },
    cancel() {
      if (timer) clearTimeout(timer)
      timer = null
      seq++
    },
    isCurrent: (s: number) => s === seq,
  }
}
