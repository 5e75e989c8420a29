/**
 * Calendar arithmetic for the hearings calendar, on plain calendar dates ('YYYY-MM-DD') so month
 * edges, leap years and the zone never leak into each other. Instants (the API's UTC date-times) are
 * converted to and from the service's zone (Asia/Karachi) only at the edges. Weeks start on Monday
 * (Sunday is the weekly holiday of Pakistan's courts).
 */

export const ZONE = 'Asia/Karachi'

export type View = 'month' | 'week' | 'day'
export const VIEWS: readonly View[] = ['month', 'week', 'day']
/** a calendar date, 'YYYY-MM-DD' */
export type Ymd = string

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/
const HM = /^([01]\d|2[0-3]):([0-5]\d)$/

export function isView(v: unknown): v is View {
  return typeof v === 'string' && (VIEWS as readonly string[]).includes(v)
}

/** The parts of a real date, or null ('2026-02-30' is not a date). */
export function parseYmd(s: string): { y: number; m: number; d: number } | null {
  const match = YMD.exec(s)
  if (!match) return null
  const y = Number(match[1])
  const m = Number(match[2])
  const d = Number(match[3])
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null
  return { y, m, d }
}
export const isYmd = (s: unknown): s is Ymd => typeof s === 'string' && parseYmd(s) !== null
export const isHm = (s: unknown): s is string => typeof s === 'string' && HM.test(s)

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** y-m-d with overflow normalised (month 13 → January next year, day 0 → last of the month before). */
export function ymd(y: number, m: number, d: number): Ymd {
  const t = new Date(Date.UTC(2000, 0, 1))
  t.setUTCFullYear(y, m - 1, d)
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

function parts(s: Ymd): { y: number; m: number; d: number } {
  const p = parseYmd(s)
  if (!p) throw new RangeError(`not a date: ${s}`)
  return p
}

export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate()
}

export function addDays(s: Ymd, n: number): Ymd {
  const { y, m, d } = parts(s)
  return ymd(y, m, d + n)
}

/** Months later (or earlier); the day is kept when the month has it, else the month's last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(s: Ymd, n: number): Ymd {
  const { y, m, d } = parts(s)
  const first = parts(ymd(y, m + n, 1))
  return ymd(first.y, first.m, Math.min(d, daysInMonth(first.y, first.m)))
}

/** 0 = Monday … 6 = Sunday */
export function weekday(s: Ymd): number {
  const { y, m, d } = parts(s)
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7
}

export const startOfWeek = (s: Ymd): Ymd => addDays(s, -weekday(s))
export function startOfMonth(s: Ymd): Ymd {
  const { y, m } = parts(s)
  return ymd(y, m, 1)
}
export function endOfMonth(s: Ymd): Ymd {
  const { y, m } = parts(s)
  return ymd(y, m, daysInMonth(y, m))
}
export const sameMonth = (a: Ymd, b: Ymd) => a.slice(0, 7) === b.slice(0, 7)

/** Whole days from a to b (b - a). */
export function daysBetween(a: Ymd, b: Ymd): number {
  const pa = parts(a)
  const pb = parts(b)
  return Math.round((Date.UTC(pb.y, pb.m - 1, pb.d) - Date.UTC(pa.y, pa.m - 1, pa.d)) / 86_400_000)
}

/** The weeks (Monday first) that show a month: 4 to 6 rows of 7 dates, padded from the months around it. */
export function monthGrid(anchor: Ymd): Ymd[][] {
  const first = startOfWeek(startOfMonth(anchor))
  const last = addDays(startOfWeek(endOfMonth(anchor)), 6)
  const weeks: Ymd[][] = []
  for (let day = first; day <= last; day = addDays(day, 7)) {
    weeks.push(Array.from({ length: 7 }, (_, i) => addDays(day, i)))
  }
  return weeks
}

/** The first and last date a view shows (inclusive). */
export function viewRange(view: View, anchor: Ymd): { first: Ymd; last: Ymd } {
  if (view === 'day') return { first: anchor, last: anchor }
  if (view === 'week') {
    const first = startOfWeek(anchor)
    return { first, last: addDays(first, 6) }
  }
  const grid = monthGrid(anchor)
  return { first: grid[0]![0]!, last: grid[grid.length - 1]![6]! }
}

/** The anchor one step before (-1) or after (+1) in a view. */
export function shift(view: View, anchor: Ymd, dir: -1 | 1): Ymd {
  if (view === 'month') return addMonths(anchor, dir)
  return addDays(anchor, view === 'week' ? 7 * dir : dir)
}

export function daysOf(first: Ymd, last: Ymd): Ymd[] {
  const out: Ymd[] = []
  for (let d = first; d <= last; d = addDays(d, 1)) out.push(d)
  return out
}

// ---- instants ⇄ the zone's wall clock

function zoneParts(instant: Date, zone: string): Record<string, number> {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  const out: Record<string, number> = {}
  for (const p of fmt.formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

/** Minutes the zone is ahead of UTC at that instant (+300 for Pakistan). */
export function offsetMinutes(instant: Date, zone = ZONE): number {
  const p = zoneParts(instant, zone)
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!)
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000)
}

/** The calendar date of an instant in the zone. */
export function localDate(iso: string | Date, zone = ZONE): Ymd {
  const p = zoneParts(typeof iso === 'string' ? new Date(iso) : iso, zone)
  return `${pad(p.year!, 4)}-${pad(p.month!)}-${pad(p.day!)}`
}

/** The wall-clock time of an instant in the zone, 'HH:MM'. */
export function localTime(iso: string | Date, zone = ZONE): string {
  const p = zoneParts(typeof iso === 'string' ? new Date(iso) : iso, zone)
  return `${pad(p.hour! % 24)}:${pad(p.minute!)}`
}

export const todayIn = (zone = ZONE, now: Date = new Date()): Ymd => localDate(now, zone)

/** The instant of a wall-clock time in the zone. */
export function zonedInstant(day: Ymd, hm: string, zone = ZONE): Date {
  const { y, m, d } = parts(day)
  const [h, min] = hm.split(':').map(Number)
  const guess = Date.UTC(y, m - 1, d, h ?? 0, min ?? 0)
  // the offset at the guessed instant, then again at the corrected one (right across a DST change)
  let at = guess - offsetMinutes(new Date(guess), zone) * 60_000
  at = guess - offsetMinutes(new Date(at), zone) * 60_000
  return new Date(at)
}

/** '2026-12-03T10:00:00+05:00': a wall-clock time in the zone with its offset, as the API takes it. */
export function zonedIso(day: Ymd, hm: string, zone = ZONE): string {
  const instant = zonedInstant(day, hm, zone)
  const off = offsetMinutes(instant, zone)
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${day}T${hm}:00${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
}

/** The API's `from`/`to` for the dates a view shows: midnight of the first day to midnight after the last. */
export function apiRange(view: View, anchor: Ymd, zone = ZONE): { from: string; to: string } {
  const { first, last } = viewRange(view, anchor)
  return { from: zonedIso(first, '00:00', zone), to: zonedIso(addDays(last, 1), '00:00', zone) }
}

/** Items with a `starts_at`, grouped by their date in the zone, each day in time order. */
export function byDay<T extends { starts_at: string }>(items: readonly T[], zone = ZONE): Map<Ymd, T[]> {
  const out = new Map<Ymd, T[]>()
  const sorted = [...items].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
  for (const it of sorted) {
    const key = localDate(it.starts_at, zone)
    const list = out.get(key)
    if (list) list.push(it)
    else out.set(key, [it])
  }
  return out
}

/** Do two periods overlap? Touching ends (one ends at 10:30, the next starts at 10:30) do not. */
export function overlaps(aStart: string, aEnd: string, bStart: string, bEnd: string): boolean {
  return Date.parse(aStart) < Date.parse(bEnd) && Date.parse(bStart) < Date.parse(aEnd)
}
