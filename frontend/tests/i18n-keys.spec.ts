import { describe, expect, it } from 'vitest'
import en from '../src/i18n/en'
import ur from '../src/i18n/ur'
import { CASE_TABS } from '../src/cases/tabs'
import { VIEWS } from '../src/schedules/calendar'
import { OUTCOMES, PURPOSES, SIDES } from '../src/schedules/hearings'
import { DEADLINE_STATUSES, TASK_SORTS, TASK_STATUSES } from '../src/schedules/filters'
import { WORKLOAD_COLUMNS } from '../src/schedules/workload'
import { SECTIONS } from '../src/nav'
import { makeI18n } from '../src/i18n'

/** The message at a dotted path, or undefined. */
function at(tree: unknown, path: string): unknown {
  let node: unknown = tree
  for (const part of path.split('.')) {
    if (!node || typeof node !== 'object' || !(part in node)) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

// every source file, as text (Vite's raw import)
const sources = import.meta.glob(['../src/**/*.vue', '../src/**/*.ts', '!../src/api/schema.d.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>

describe('message keys used by the screens', () => {
  it('every literal key passed to t() exists in both languages', () => {
    const missing: string[] = []
    let checked = 0
    const pattern = /\bt\(\s*'([a-zA-Z][\w.-]*)'/g
    for (const [file, text] of Object.entries(sources)) {
      for (const m of text.matchAll(pattern)) {
        const key = m[1]!
        if (!key.includes('.')) continue
        checked++
        if (typeof at(en, key) !== 'string' || typeof at(ur, key) !== 'string') missing.push(`${file}: ${key}`)
      }
    }
    expect(missing).toEqual([])
    expect(checked).toBeGreaterThan(300) // the scan did find the screens' keys
  })

  it('every value of the vocabularies the screens show has a name in both languages', () => {
    const keys = [
      ...CASE_TABS.map((x) => `caseDetail.tab.${x}`),
      ...PURPOSES.map((x) => `hearings.purposes.${x}`),
      ...OUTCOMES.map((x) => `hearings.outcomes.${x}`),
      ...SIDES.map((x) => `hearings.sides.${x}`),
      ...VIEWS.map((x) => `calendar.views.${x}`),
      ...TASK_STATUSES.map((x) => `tasks.statuses.${x}`),
      ...DEADLINE_STATUSES.map((x) => `deadlines.statuses.${x}`),
      ...WORKLOAD_COLUMNS.map((x) => `workload.col.${x}`),
      ...['overdue', 'today', 'left', 'none', 'met', 'closed'].map((x) => `due.${x}`),
      ...SECTIONS.map((s) => `nav.${s.key}`),
    ]
    const figures = ['overdue-deadlines', 'hearings-without-prosecutor', 'cases-without-hearing', 'prosecution-adjournments', 'returns-to-police']
    for (const key of keys) {
      expect(typeof at(en, key), `en ${key}`).toBe('string')
      expect(typeof at(ur, key), `ur ${key}`).toBe('string')
    }
    // keys with dashes are looked up by the object, not a dotted path
    for (const f of figures) {
      expect(typeof en.dashboard.figures[f as keyof typeof en.dashboard.figures]).toBe('string')
      expect(typeof ur.dashboard.hints[f as keyof typeof ur.dashboard.hints]).toBe('string')
    }
    for (const s of TASK_SORTS) expect(typeof en.tasks.sorts[s]).toBe('string')
  })

  it('dashed keys resolve through t() (figures, sorts)', () => {
    const { t } = makeI18n('ur').global
    expect(t('dashboard.figures.overdue-deadlines')).toBe(ur.dashboard.figures['overdue-deadlines'])
    expect(t('tasks.sorts.-due_date')).toBe(ur.tasks.sorts['-due_date'])
  })
})
