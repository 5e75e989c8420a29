/** Tasks: the checklist, and what a status change means. */

export interface ChecklistItem {
  text: string
  done: boolean
}

/** The checklist with item `i` ticked or unticked (a new array: the PATCH body). */
export function tick(list: readonly ChecklistItem[], i: number, done: boolean): ChecklistItem[] {
  return list.map((item, k) => (k === i ? { ...item, done } : { ...item }))
}

export function progress(list: readonly ChecklistItem[]): { done: number; total: number } {
  return { done: list.filter((x) => x.done).length, total: list.length }
}

/** The items typed in the form, blanks dropped and text trimmed. */
export function cleanChecklist(list: readonly ChecklistItem[]): ChecklistItem[] {
  return list.map((x) => ({ text: x.text.trim(), done: x.done })).filter((x) => x.text)
}
