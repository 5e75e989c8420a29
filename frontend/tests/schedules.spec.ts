import { describe, expect, it } from 'vitest'
import {
  addDays,
  addMonths,
  apiRange,
  byDay,
  daysBetween,
  isYmd,
  localDate,
  localTime,
  monthGrid,
  offsetMinutes,
  overlaps,
  parseYmd,
  shift,
  startOfWeek,
  viewRange,
  weekday,
  zonedInstant,
  zonedIso,
} from '../src/schedules/calendar'
import {
  blankHearing,
  blankOutcome,
  canRecordOutcome,
  checkBody,
  clashingIds,
  clashKey,
  clashState,
  defaultSide,
  hearingBody,
  outcomeBody,
  outcomeErrors,
  reasonInWords,
  takesNextDate,
} from '../src/schedules/hearings'
import { dueBadge, groupRuns, isOverdue } from '../src/schedules/due'
import {
  calendarApiQuery,
  deadlineApiQuery,
  hasDeadlineFilters,
  parseCalendarQuery,
  parseDeadlineQuery,
  parseTaskQuery,
  taskApiQuery,
  toCalendarQuery,
  toDeadlineQuery,
  toTaskQuery,
} from '../src/schedules/filters'
import { sortRows, targetsFor } from '../src/schedules/workload'
import { cleanChecklist, progress, tick } from '../src/schedules/tasks'
import { badgeText } from '../src/schedules/notifications'
import { mergeChoices } from '../src/schedules/people'

describe('calendar dates', () => {
  it('knows real dates from impossible ones', () => {
    expect(parseYmd('2028-02-29')).toEqual({ y: 2028, m: 2, d: 29 })
    expect(parseYmd('2026-02-29')).toBeNull()
    expect(parseYmd('2026-13-01')).toBeNull()
    expect(parseYmd('2026-1-01')).toBeNull()
    expect(isYmd('2026-04-31')).toBe(false)
  })

  it('adds days across month and year ends, and leap days', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29')
    expect(daysBetween('2026-12-25', '2027-01-05')).toBe(11)
    expect(daysBetween('2026-03-10', '2026-03-01')).toBe(-9)
  })

  it('adds months keeping the day, or the last day of a shorter month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28')
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29')
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28')
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15')
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15')
    expect(addMonths('2026-05-31', 1)).toBe('2026-06-30')
  })

  it('starts weeks on Monday (Sunday is the courts’ weekly holiday)', () => {
    expect(weekday('2026-11-30')).toBe(0) // a Monday
    expect(weekday('2026-12-06')).toBe(6) // a Sunday
    expect(startOfWeek('2026-12-06')).toBe('2026-11-30')
    expect(startOfWeek('2027-01-01')).toBe('2026-12-28')
  })

  it('lays a month out in whole weeks, padded from the months around it', () => {
    const feb = monthGrid('2026-02-14') // 1 Feb 2026 is a Sunday
    expect(feb[0]![0]).toBe('2026-01-26')
    expect(feb[0]![6]).toBe('2026-02-01')
    expect(feb[feb.length - 1]![6]).toBe('2026-03-01')
    expect(feb).toHaveLength(5)
    // August 2026 starts on a Saturday and has 31 days: six rows
    const aug = monthGrid('2026-08-31')
    expect(aug).toHaveLength(6)
    expect(aug[0]![0]).toBe('2026-07-27')
    expect(aug[5]![6]).toBe('2026-09-06')
    for (const week of feb) expect(week).toHaveLength(7)
    // a February that starts on a Monday and has 28 days fills exactly four weeks
    const feb2027 = monthGrid('2027-02-10')
    expect(feb2027[0]![0]).toBe('2027-02-01')
    expect(feb2027).toHaveLength(4)
    const dec = monthGrid('2026-12-01')
    expect(dec.flat()).toContain('2026-12-31')
    expect(dec[dec.length - 1]![6]).toBe('2027-01-03')
  })

  it('gives each view its dates and steps through them', () => {
    expect(viewRange('day', '2026-12-31')).toEqual({ first: '2026-12-31', last: '2026-12-31' })
    expect(viewRange('week', '2026-12-31')).toEqual({ first: '2026-12-28', last: '2027-01-03' })
    expect(viewRange('month', '2026-02-14')).toEqual({ first: '2026-01-26', last: '2026-03-01' })
    expect(shift('month', '2026-01-31', 1)).toBe('2026-02-28')
    expect(shift('week', '2026-12-29', 1)).toBe('2027-01-05')
    expect(shift('day', '2027-01-01', -1)).toBe('2026-12-31')
  })

  it('converts between instants and Pakistan’s wall clock (UTC+5, no summer time)', () => {
    expect(offsetMinutes(new Date('2026-06-01T00:00:00Z'))).toBe(300)
    // 19:30 UTC is 00:30 the next day in Karachi
    expect(localDate('2026-11-30T19:30:00Z')).toBe('2026-12-01')
    expect(localTime('2026-11-30T19:30:00Z')).toBe('00:30')
    expect(localDate('2026-12-31T18:59:00Z')).toBe('2026-12-31')
    expect(localDate('2026-12-31T19:00:00Z')).toBe('2027-01-01')
    expect(zonedIso('2026-12-03', '10:00')).toBe('2026-12-03T10:00:00+05:00')
    expect(zonedInstant('2026-12-03', '10:00').toISOString()).toBe('2026-12-03T05:00:00.000Z')
    // a zone with summer time: the offset is the one in force on that day
    expect(zonedIso('2026-07-01', '10:00', 'Europe/London')).toBe('2026-07-01T10:00:00+01:00')
    expect(zonedIso('2026-01-01', '10:00', 'Europe/London')).toBe('2026-01-01T10:00:00+00:00')
  })

  it('asks the API for whole local days', () => {
    expect(apiRange('day', '2026-12-03')).toEqual({ from: '2026-12-03T00:00:00+05:00', to: '2026-12-04T00:00:00+05:00' })
    expect(apiRange('week', '2026-12-31')).toEqual({ from: '2026-12-28T00:00:00+05:00', to: '2027-01-04T00:00:00+05:00' })
    expect(apiRange('month', '2026-02-14')).toEqual({ from: '2026-01-26T00:00:00+05:00', to: '2026-03-02T00:00:00+05:00' })
  })

  it('groups hearings by their local day, in time order', () => {
    const rows = [
      { id: 1, starts_at: '2026-12-01T05:00:00Z' },
      { id: 2, starts_at: '2026-11-30T19:30:00Z' }, // 00:30 on 1 Dec in Karachi
      { id: 3, starts_at: '2026-11-30T18:00:00Z' }, // 23:00 on 30 Nov
    ]
    const days = byDay(rows)
    expect([...days.keys()]).toEqual(['2026-11-30', '2026-12-01'])
    expect(days.get('2026-12-01')!.map((r) => r.id)).toEqual([2, 1])
  })

  it('back-to-back hearings do not overlap', () => {
    expect(overlaps('2026-12-03T05:00:00Z', '2026-12-03T06:00:00Z', '2026-12-03T06:00:00Z', '2026-12-03T07:00:00Z')).toBe(false)
    expect(overlaps('2026-12-03T05:00:00Z', '2026-12-03T06:00:00Z', '2026-12-03T05:59:00Z', '2026-12-03T07:00:00Z')).toBe(true)
    expect(overlaps('2026-12-03T05:00:00Z', '2026-12-03T09:00:00Z', '2026-12-03T06:00:00Z', '2026-12-03T07:00:00Z')).toBe(true)
  })
})

describe('the hearing form and the clash check', () => {
  const full = blankHearing({ court_id: 4, date: '2026-12-03', time: '10:30', purpose: 'charge' })

  it('builds the body with the offset of Pakistan, leaving out what is empty', () => {
    expect(hearingBody(9, full)).toEqual({ case_id: 9, court_id: 4, starts_at: '2026-12-03T10:30:00+05:00', purpose: 'charge' })
    expect(hearingBody(9, { ...full, prosecutor_id: 12, duration_minutes: ' 90 ', judge: ' Mr Justice X ', notes: '' })).toEqual({
      case_id: 9,
      court_id: 4,
      starts_at: '2026-12-03T10:30:00+05:00',
      purpose: 'charge',
      prosecutor_id: 12,
      duration_minutes: 90,
      judge: 'Mr Justice X',
    })
    expect(hearingBody(9, { ...full, court_id: null })).toBeNull()
    expect(hearingBody(9, { ...full, date: '' })).toBeNull()
    expect(hearingBody(9, { ...full, time: '25:00' })).toBeNull()
    expect(hearingBody(9, { ...full, purpose: '' })).toBeNull()
    expect(hearingBody(9, { ...full, duration_minutes: 'abc' })).not.toHaveProperty('duration_minutes')
  })

  it('asks about clashes as soon as court, date and time are there, before a purpose is chosen', () => {
    expect(checkBody(9, { ...full, purpose: '' })).toMatchObject({ purpose: 'miscellaneous', starts_at: '2026-12-03T10:30:00+05:00' })
    expect(checkBody(9, { ...full, date: '' })).toBeNull()
    expect(clashKey(9, { ...full, date: '' })).toBe('')
  })

  it('asks again only when who, when or how long changes', () => {
    const k = clashKey(9, full)
    expect(k).not.toBe('')
    expect(clashKey(9, { ...full, judge: 'someone', notes: 'x', purpose: 'bail' })).toBe(k)
    expect(clashKey(9, { ...full, time: '11:00' })).not.toBe(k)
    expect(clashKey(9, { ...full, prosecutor_id: 3 })).not.toBe(k)
    expect(clashKey(9, { ...full, duration_minutes: '30' })).not.toBe(k)
  })

  it('turns the check’s answer into what to show', () => {
    expect(clashState([])).toEqual({ kind: 'clear' })
    expect(clashState([{ hearing_id: 1 }])).toEqual({ kind: 'clash', conflicts: [{ hearing_id: 1 }] })
    expect(clashState(undefined)).toEqual({ kind: 'failed' })
  })

  it('marks the shown hearings whose prosecutor is elsewhere at the same time', () => {
    const h = (id: number, p: number | null, s: string, e: string) => ({
      id,
      prosecutor_id: p,
      starts_at: `2026-12-03T${s}:00Z`,
      ends_at: `2026-12-03T${e}:00Z`,
    })
    const ids = clashingIds([
      h(1, 7, '05:00', '06:00'),
      h(2, 7, '06:00', '07:00'), // back to back with 1: no clash
      h(3, 7, '06:30', '07:30'), // overlaps 2
      h(4, 8, '05:00', '09:00'), // another prosecutor
      h(5, null, '05:00', '06:00'), // nobody attending: never a clash
      h(6, 8, '08:30', '09:30'), // overlaps 4 (a long one started earlier)
    ])
    expect([...ids].sort()).toEqual([2, 3, 4, 6])
  })
})

describe('the outcome form', () => {
  const reasons = [
    { code: 'PROSECUTION_SOUGHT_TIME', label: 'Prosecution sought time', label_ur: null, attributed_to: 'prosecution', active: true },
    { code: 'ODD', label: 'Odd', label_ur: null, attributed_to: 'nobody', active: true },
  ]

  it('prefills the side from the reason list', () => {
    expect(defaultSide('PROSECUTION_SOUGHT_TIME', reasons)).toBe('prosecution')
    expect(defaultSide('ODD', reasons)).toBe('')
    expect(defaultSide('UNKNOWN', reasons)).toBe('')
  })

  it("words a reason in the reader's language, falling back to English and then the code", () => {
    const urdu = { reason: 'WITNESS_ABSENT', label: 'Prosecution witness absent', label_ur: 'استغاثہ کا گواہ غیر حاضر' }
    expect(reasonInWords(urdu, 'ur')).toBe('استغاثہ کا گواہ غیر حاضر')
    expect(reasonInWords(urdu, 'en')).toBe('Prosecution witness absent')
    expect(reasonInWords(reasons[0]!, 'ur')).toBe('Prosecution sought time')
    expect(reasonInWords({ reason: 'RETIRED', label: null, label_ur: null }, 'ur')).toBe('RETIRED')
    expect(reasonInWords({ code: 'TYPED' }, 'en')).toBe('TYPED')
  })

  it('needs an outcome, and a reason for an adjournment', () => {
    expect(outcomeErrors(blankOutcome())).toEqual({ outcome: 'outcome.required' })
    expect(outcomeErrors({ ...blankOutcome(), outcome: 'adjourned' })).toEqual({ adjournment: 'outcome.reasonRequired' })
    expect(outcomeErrors({ ...blankOutcome(), outcome: 'held', next_time: '11:00' })).toEqual({ next_date: 'outcome.nextDateForTime' })
    expect(outcomeBody(blankOutcome())).toBeNull()
  })

  it('sends only what the outcome takes', () => {
    const adjourned = {
      ...blankOutcome(),
      outcome: 'adjourned' as const,
      reason: 'PROSECUTION_SOUGHT_TIME',
      attributed_to: 'prosecution' as const,
      next_date: '2026-12-05',
      next_time: '11:00',
      witnesses: [31],
    }
    expect(outcomeBody(adjourned)).toEqual({
      outcome: 'adjourned',
      adjournment: { reason: 'PROSECUTION_SOUGHT_TIME', attributed_to: 'prosecution' },
      next_date: '2026-12-05',
      next_time: '11:00',
      witnesses_examined: [31],
    })
    // a decision takes no next date and no adjournment, whatever is left in the form
    expect(outcomeBody({ ...adjourned, outcome: 'decided' })).toEqual({ outcome: 'decided', witnesses_examined: [31] })
    expect(takesNextDate('decided')).toBe(false)
    expect(takesNextDate('not_taken_up')).toBe(true)
  })

  it('is offered once the hearing has begun and has no outcome yet', () => {
    const now = new Date('2026-12-03T06:00:00Z')
    expect(canRecordOutcome({ starts_at: '2026-12-03T05:00:00Z', outcome: null }, now)).toBe(true)
    expect(canRecordOutcome({ starts_at: '2026-12-03T07:00:00Z', outcome: null }, now)).toBe(false)
    expect(canRecordOutcome({ starts_at: '2026-12-03T05:00:00Z', outcome: 'held' }, now)).toBe(false)
  })
})

describe('due dates, tasks and the workload', () => {
  it('shows days left, due today and overdue', () => {
    expect(dueBadge('2026-12-01', '2026-12-03')).toEqual({ key: 'overdue', n: 2, tone: 'error' })
    expect(dueBadge('2026-12-03', '2026-12-03')).toEqual({ key: 'today', n: 0, tone: 'warn' })
    expect(dueBadge('2026-12-05', '2026-12-03')).toEqual({ key: 'left', n: 2, tone: 'warn' })
    expect(dueBadge('2027-01-03', '2026-12-31')).toEqual({ key: 'left', n: 3, tone: 'warn' })
    expect(dueBadge('2027-01-10', '2026-12-31')).toEqual({ key: 'left', n: 10, tone: 'ok' })
    expect(dueBadge('2026-12-01', '2026-12-03', false)).toEqual({ key: 'closed', n: 0, tone: 'neutral' })
    expect(dueBadge(null, '2026-12-03').key).toBe('none')
    expect(isOverdue('2026-12-02', '2026-12-03')).toBe(true)
    expect(isOverdue('2026-12-03', '2026-12-03')).toBe(false)
    expect(isOverdue('2026-12-02', '2026-12-03', false)).toBe(false)
  })

  it('groups consecutive rows with the same due date', () => {
    const rows = [{ d: 'a' }, { d: 'a' }, { d: 'b' }, { d: 'a' }]
    expect(groupRuns(rows, (r) => r.d).map((g) => [g.key, g.rows.length])).toEqual([
      ['a', 2],
      ['b', 1],
      ['a', 1],
    ])
  })

  it('ticks one checklist item without touching the others', () => {
    const list = [
      { text: 'one', done: false },
      { text: 'two', done: false },
    ]
    const next = tick(list, 1, true)
    expect(next).toEqual([
      { text: 'one', done: false },
      { text: 'two', done: true },
    ])
    expect(list[1]!.done).toBe(false)
    expect(progress(next)).toEqual({ done: 1, total: 2 })
    expect(cleanChecklist([{ text: '  a ', done: false }, { text: '   ', done: false }])).toEqual([{ text: 'a', done: false }])
  })

  it('sorts the board by a figure, ties by name', () => {
    const row = (id: number, name: string, load: number, open: number, assignable = true) => ({
      prosecutor_id: id,
      name,
      assignable,
      weighted_load: load,
      open_cases: open,
      lead_cases: 0,
      associate_cases: 0,
      dormant_cases: 0,
      hearings_next_7_days: 0,
      overdue_tasks: 0,
    })
    const rows = [row(1, 'Zara', 5, 3), row(2, 'Ali', 5, 4), row(3, 'Bilal', 2, 9), row(4, 'Dp', 0, 0, false), row(5, 'Me', 0, 0)]
    expect(sortRows(rows, 'weighted_load', true).map((r) => r.prosecutor_id)).toEqual([2, 1, 3, 4, 5])
    expect(sortRows(rows, 'open_cases', false).map((r) => r.prosecutor_id)).toEqual([4, 5, 1, 2, 3])
    // targets of a bulk move: assignable, not the one giving up cases, not the caller; least loaded first
    expect(targetsFor(rows, 1, 5).map((r) => r.prosecutor_id)).toEqual([3, 2])
  })

  it('merges the people a picker offers, the caller first', () => {
    expect(
      mergeChoices(
        [
          [
            { id: 3, name: 'Zed' },
            { id: 2, name: 'Amna' },
          ],
          [
            { id: 2, name: 'Amna' },
            { id: 7, name: 'Bilal' },
          ],
        ],
        { id: 7, name: 'Me' },
      ),
    ).toEqual([
      { id: 7, name: 'Me' },
      { id: 2, name: 'Amna' },
      { id: 3, name: 'Zed' },
    ])
    expect(badgeText(5)).toBe('5')
    expect(badgeText(120)).toBe('99+')
  })
})

describe('filters in the URL', () => {
  it('calendar: defaults left out of the URL, the API asked for whole days', () => {
    const f = parseCalendarQuery({}, '2026-12-03', 'me')
    expect(f).toEqual({ view: 'week', date: '2026-12-03', who: 'me', court: undefined, district: undefined })
    expect(toCalendarQuery(f, '2026-12-03', 'me')).toEqual({})
    const g = parseCalendarQuery({ view: 'month', date: '2026-02-30', who: '12', court: '4' }, '2026-12-03', 'me')
    expect(g).toMatchObject({ view: 'month', date: '2026-12-03', who: 12, court: 4 })
    expect(toCalendarQuery(g, '2026-12-03', 'me')).toEqual({ view: 'month', who: '12', court: '4' })
    expect(calendarApiQuery(f, 1, 200)).toEqual({
      from: '2026-11-30T00:00:00+05:00',
      to: '2026-12-07T00:00:00+05:00',
      limit: 200,
      offset: 0,
      sort: 'starts_at',
      prosecutor_id: 'me',
    })
    // everyone's: narrowed to my district unless a court or a district is chosen
    expect(calendarApiQuery({ ...f, who: 'all' }, 1, 200)).toMatchObject({ district_id: 1 })
    expect(calendarApiQuery({ ...f, who: 'all', court: 4 }, 1, 200)).not.toHaveProperty('district_id')
    expect(calendarApiQuery({ ...f, who: 'all' }, null, 200)).not.toHaveProperty('district_id')
  })

  it('tasks: open and mine by default; status any shows every status', () => {
    const f = parseTaskQuery({})
    expect(f).toEqual({ who: 'me', status: 'open', overdue: false, district: undefined, sort: 'due_date', offset: 0 })
    expect(toTaskQuery(f)).toEqual({})
    expect(taskApiQuery(f, 50)).toEqual({ limit: 50, offset: 0, sort: 'due_date', assignee_id: 'me', status: 'open' })
    const g = parseTaskQuery({ who: 'all', status: 'any', overdue: 'true', sort: 'bogus', offset: '50' })
    expect(g).toMatchObject({ who: 'all', status: '', overdue: true, sort: 'due_date', offset: 50 })
    expect(toTaskQuery(g)).toEqual({ who: 'all', status: 'any', overdue: 'true', offset: '50' })
    expect(taskApiQuery(g, 50)).toEqual({ limit: 50, offset: 50, sort: 'due_date', overdue: true })
  })

  it('deadlines: open, soonest first and grouped by default', () => {
    const f = parseDeadlineQuery({})
    expect(f).toMatchObject({ status: 'open', overdue: false, desc: false, grouped: true })
    expect(toDeadlineQuery(f)).toEqual({})
    expect(hasDeadlineFilters(f)).toBe(false)
    const g = parseDeadlineQuery({ overdue: 'true', district: '3', due_from: '2026-01-01', due_to: 'nope', sort: '-due_date', group: 'false' })
    expect(g).toMatchObject({ overdue: true, district: 3, dueFrom: '2026-01-01', dueTo: '', desc: true, grouped: false })
    expect(deadlineApiQuery(g, 50)).toEqual({ limit: 50, offset: 0, sort: '-due_date', status: 'open', overdue: true, district_id: 3, due_from: '2026-01-01' })
    expect(toDeadlineQuery(g)).toEqual({ overdue: 'true', district: '3', due_from: '2026-01-01', sort: '-due_date', group: 'false' })
    expect(hasDeadlineFilters(g)).toBe(true)
  })
})
