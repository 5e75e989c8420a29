/**
 * After a 412 on a case edit: what changed on the server since the version the user edited, and
 * how to put the user's edits on top of the latest version (fields the user did not touch take the
 * server's new value; fields the user changed keep the user's value).
 */
export type Values = Record<string, unknown>

export interface Change {
  field: string
  before: unknown
  after: unknown
  /** the user changed this field too: their value and the other person's collide */
  mine: unknown
  clash: boolean
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

export function diff(fields: readonly string[], base: Values, latest: Values, draft: Values): Change[] {
  return fields
    .filter((f) => !same(base[f], latest[f]))
    .map((f) => ({
      field: f,
      before: base[f],
      after: latest[f],
      mine: draft[f],
      clash: !same(draft[f], base[f]) && !same(draft[f], latest[f]),
    }))
}

/** The draft to show after choosing "re-apply my edits". */
export function rebase(fields: readonly string[], base: Values, latest: Values, draft: Values): Values {
  const out: Values = {}
  for (const f of fields) out[f] = same(draft[f], base[f]) ? latest[f] : draft[f]
  return out
}

/** Only the fields that differ from the base version: the PATCH body. */
export function changedFields(fields: readonly string[], base: Values, draft: Values): Values {
  const out: Values = {}
  for (const f of fields) if (!same(draft[f], base[f])) out[f] = draft[f]
  return out
}
