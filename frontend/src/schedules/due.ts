/** Due dates shown as "3 days left", "due today", "overdue by 2 days": by calendar dates in the service's zone. */
import { daysBetween, isYmd, type Ymd } from './calendar'

export type DueTone = 'ok' | 'warn' | 'error' | 'neutral'
export interface DueBadge {
  /** i18n key under `due.` */
  key: 'overdue' | 'today' | 'left' | 'none' | 'met' | 'closed'
  /** days late or days left */
  n: number
  tone: DueTone
}

/**
 * The badge for a due date: late → error (with the days late), due today or within `soon` days →
 * warn, later → ok. Work that is no longer open shows no clock.
 */
export function dueBadge(due: string | null | undefined, today: Ymd, open = true, soon = 3): DueBadge {
  if (!open) return { key: 'closed', n: 0, tone: 'neutral' }
  if (!due || !isYmd(due)) return { key: 'none', n: 0, tone: 'neutral' }
  const left = daysBetween(today, due)
  if (left < 0) return { key: 'overdue', n: -left, tone: 'error' }
  if (left === 0) return { key: 'today', n: 0, tone: 'warn' }
  return { key: 'left', n: left, tone: left <= soon ? 'warn' : 'ok' }
}

export const isOverdue = (due: string | null | undefined, today: Ymd, open = true) =>
  open && !!due && isYmd(due) && due < today

/** Rows in their order, cut into runs of the same key (the deadlines board grouped by due date). */
export function groupRuns<T>(rows: readonly T[], keyOf: (row: T) => string): { key: string; rows: T[] }[] {
  const out: { key: string; rows: T[] }[] = []
  for (const row of rows) {
    const key = keyOf(row)
    const last = out[out.length - 1]
    if (last && last.key === key) last.rows.push(row)
    else out.push({ key, rows: [row] })
  }
  return out
}
