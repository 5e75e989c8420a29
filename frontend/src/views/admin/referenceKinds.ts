/**
 * The reference lists as data: columns, filters and editable fields per kind. The screens are
 * generic; adding a list is an entry here plus its two paths in referenceApi.ts.
 * Field rules mirror the API's Create/Update schemas: `createOnly` fields (codes, statute and
 * section, province) are not in the Update schema and are shown read-only when editing.
 */
export type KindName =
  | 'districts'
  | 'courts'
  | 'police-stations'
  | 'offences'
  | 'adjournment-reasons'
  | 'holidays'
  | 'deadline-rules'

export type Tone = 'ok' | 'warn' | 'off' | 'neutral'

export interface ColumnDef {
  key: string
  show: 'text' | 'code' | 'district' | 'flag' | 'option' | 'bool' | 'localized'
  /** for `flag`: values that count as confirmed (shown green); others are flagged */
  okValues?: readonly string[]
  /** for `option`: i18n prefix of the value's label */
  optionLabel?: string
  /** for `localized`: the field holding the Urdu text */
  urKey?: string
  /** the column can be sorted by the API (its `sort` allow-list) */
  sortable?: boolean
}

export interface FieldDef {
  key: string
  input: 'text' | 'textarea' | 'select' | 'district' | 'checkbox' | 'number' | 'date'
  /** select: the allowed values; text: suggestions (datalist) */
  options?: readonly string[]
  optionLabel?: string
  ltr?: boolean
  /** Urdu text: typed right-to-left */
  urdu?: boolean
  required?: boolean
  /** empty input is sent as null */
  nullable?: boolean
  /** set when creating; not editable afterwards */
  createOnly?: boolean
  /** default for a new row */
  initial?: string | boolean
}

export interface FilterDef {
  /** the query parameter, in the URL and in the API call */
  key: string
  input: 'search' | 'district' | 'select' | 'boolean'
  options?: readonly string[]
  optionLabel?: string
  /** number-valued parameter */
  numeric?: boolean
}

export interface KindDef {
  name: KindName
  /** i18n key under reference.kinds */
  label: string
  columns: readonly ColumnDef[]
  fields: readonly FieldDef[]
  filters: readonly FilterDef[]
  /** which field names a row in headings */
  titleKey: string
}

export const PROVINCES = ['Sindh', 'Khyber Pakhtunkhwa'] as const
export const STATUTES = ['PPC', 'ATA', 'CNSA', 'ARMS_ORD_1965', 'SINDH_ARMS_2013', 'KP_ARMS_2013', 'ESA_1908', 'CRPC'] as const
export const CLASSIFICATION = ['yes', 'no', 'depends', 'check', 'with permission', 'n/a'] as const
export const ATTRIBUTED = ['prosecution', 'defence', 'court', 'police', 'witness', 'jail', 'forensic', 'other'] as const
export const COURT_TYPES = [
  'high_court_bench',
  'anti_terrorism',
  'sessions',
  'additional_sessions',
  'special',
  'judicial_magistrate',
] as const

const q: FilterDef = { key: 'q', input: 'search' }
const notes: FieldDef = { key: 'notes', input: 'textarea', nullable: true }
const source: FieldDef = { key: 'source', input: 'text', ltr: true, nullable: true }

export const KINDS: readonly KindDef[] = [
  {
    name: 'districts',
    label: 'districts',
    titleKey: 'name',
    filters: [q, { key: 'province', input: 'select', options: PROVINCES, optionLabel: 'reference.provinces' }],
    columns: [
      { key: 'code', show: 'code', sortable: true },
      { key: 'name', show: 'localized', sortable: true, urKey: 'name_ur' },
      { key: 'division', show: 'text' },
      { key: 'province', show: 'option', optionLabel: 'reference.provinces' },
      { key: 'status', show: 'flag', okValues: ['active'] },
    ],
    fields: [
      { key: 'code', input: 'text', ltr: true, required: true, createOnly: true },
      { key: 'name', input: 'text', required: true },
      { key: 'name_ur', input: 'text', urdu: true, nullable: true },
      { key: 'province', input: 'select', options: PROVINCES, optionLabel: 'reference.provinces', required: true, createOnly: true },
      { key: 'division', input: 'text', required: true },
      { key: 'status', input: 'text', ltr: true, initial: 'active', options: ['active', 'new-2025', 'new-2026', 'notified-status-unclear'] },
      notes,
      source,
    ],
  },
  {
    name: 'courts',
    label: 'courts',
    titleKey: 'name',
    filters: [
      q,
      { key: 'district_id', input: 'district', numeric: true },
      { key: 'court_type', input: 'select', options: COURT_TYPES, optionLabel: 'reference.courtTypes' },
      { key: 'province', input: 'select', options: PROVINCES, optionLabel: 'reference.provinces' },
    ],
    columns: [
      { key: 'name', show: 'text', sortable: true },
      { key: 'court_type', show: 'option', sortable: true, optionLabel: 'reference.courtTypes' },
      { key: 'district_id', show: 'district' },
      { key: 'division', show: 'text' },
      { key: 'status', show: 'flag', okValues: ['active'] },
    ],
    fields: [
      { key: 'name', input: 'text', required: true },
      { key: 'court_type', input: 'select', options: COURT_TYPES, optionLabel: 'reference.courtTypes', required: true },
      { key: 'province', input: 'select', options: PROVINCES, optionLabel: 'reference.provinces', required: true, createOnly: true },
      { key: 'division', input: 'text', nullable: true },
      { key: 'district_id', input: 'district', nullable: true },
      {
        key: 'status',
        input: 'text',
        ltr: true,
        initial: 'active',
        options: ['active', 'abolished-2025', 'new-2025', 'status-to-confirm', 'not-individually-sourced'],
      },
      notes,
      source,
    ],
  },
  {
    name: 'police-stations',
    label: 'policeStations',
    titleKey: 'name',
    filters: [q, { key: 'district_id', input: 'district', numeric: true }],
    columns: [
      { key: 'name', show: 'text', sortable: true },
      { key: 'district_id', show: 'district' },
      { key: 'police_district', show: 'text' },
      { key: 'district_basis', show: 'flag', okValues: ['source'] },
    ],
    fields: [
      { key: 'name', input: 'text', required: true },
      { key: 'district_id', input: 'district', required: true },
      { key: 'police_district', input: 'text', nullable: true },
      { key: 'district_basis', input: 'select', options: ['source', 'inferred'], initial: 'source' },
      notes,
      source,
    ],
  },
  {
    name: 'offences',
    label: 'offences',
    titleKey: 'section',
    filters: [
      q,
      { key: 'statute', input: 'select', options: STATUTES },
      { key: 'ata_scheduled', input: 'select', options: CLASSIFICATION },
    ],
    columns: [
      { key: 'statute', show: 'code', sortable: true },
      { key: 'section', show: 'code', sortable: true },
      { key: 'title', show: 'text' },
      { key: 'ata_scheduled', show: 'text' },
      { key: 'bailable', show: 'text' },
      { key: 'cognizable', show: 'text' },
      { key: 'compoundable', show: 'text' },
      { key: 'max_punishment', show: 'text' },
      { key: 'verification', show: 'flag', okValues: ['statute-text', 'case-law'] },
    ],
    fields: [
      { key: 'statute', input: 'text', ltr: true, required: true, createOnly: true, options: STATUTES },
      { key: 'section', input: 'text', ltr: true, required: true, createOnly: true },
      { key: 'title', input: 'text', required: true },
      { key: 'ata_scheduled', input: 'select', options: CLASSIFICATION, required: true },
      { key: 'bailable', input: 'select', options: CLASSIFICATION, required: true },
      { key: 'cognizable', input: 'select', options: CLASSIFICATION, required: true },
      { key: 'compoundable', input: 'select', options: CLASSIFICATION, required: true },
      { key: 'max_punishment', input: 'text', nullable: true },
      {
        key: 'verification',
        input: 'text',
        ltr: true,
        nullable: true,
        options: ['statute-text', 'case-law', 'statute-text-partial', 'case-law-partial', 'schedule-recalled', 'principle', 'unconfirmed'],
      },
      notes,
      source,
    ],
  },
  {
    name: 'adjournment-reasons',
    label: 'adjournmentReasons',
    titleKey: 'label',
    filters: [{ key: 'active', input: 'boolean' }],
    columns: [
      { key: 'code', show: 'code', sortable: true },
      { key: 'label', show: 'localized', urKey: 'label_ur' },
      { key: 'attributed_to', show: 'option', optionLabel: 'reference.attributed' },
      { key: 'active', show: 'bool' },
    ],
    fields: [
      { key: 'code', input: 'text', ltr: true, required: true, createOnly: true },
      { key: 'label', input: 'text', required: true },
      { key: 'label_ur', input: 'text', urdu: true, nullable: true },
      { key: 'attributed_to', input: 'select', options: ATTRIBUTED, optionLabel: 'reference.attributed', required: true },
      { key: 'active', input: 'checkbox', initial: true },
    ],
  },
  {
    name: 'holidays',
    label: 'holidays',
    titleKey: 'name',
    filters: [{ key: 'year', input: 'select', options: ['2025', '2026', '2027'], numeric: true }],
    columns: [
      { key: 'date', show: 'code', sortable: true },
      { key: 'name', show: 'text' },
      { key: 'kind', show: 'text' },
      { key: 'scope', show: 'text' },
      { key: 'status', show: 'flag', okValues: ['notified'] },
    ],
    fields: [
      { key: 'date', input: 'date', required: true },
      { key: 'name', input: 'text', required: true },
      { key: 'kind', input: 'text', ltr: true, initial: 'fixed', options: ['fixed', 'notified', 'lunar-estimated'] },
      {
        key: 'status',
        input: 'text',
        ltr: true,
        initial: 'notified',
        options: ['notified', 'annual-calendar (subject to moon sighting)', 'expected-not-notified', 'estimate'],
      },
      { key: 'scope', input: 'text', ltr: true, initial: 'federal', options: ['federal', 'federal-christians-only', 'banks-only', 'Sindh'] },
      notes,
      source,
    ],
  },
  {
    name: 'deadline-rules',
    label: 'deadlineRules',
    titleKey: 'code',
    filters: [],
    columns: [
      { key: 'code', show: 'code', sortable: true },
      { key: 'trigger_event', show: 'text' },
      { key: 'offset_days', show: 'code' },
      { key: 'offset_months', show: 'code' },
      { key: 'day_kind', show: 'option', optionLabel: 'reference.dayKinds' },
      { key: 'applies_to', show: 'text' },
      { key: 'legal_reference', show: 'text' },
      { key: 'confidence', show: 'flag', okValues: ['high'] },
    ],
    fields: [
      { key: 'code', input: 'text', ltr: true, required: true, createOnly: true },
      { key: 'trigger_event', input: 'text', ltr: true, required: true },
      { key: 'offset_days', input: 'number', nullable: true },
      { key: 'offset_months', input: 'number', nullable: true },
      { key: 'day_kind', input: 'select', options: ['calendar', 'working'], optionLabel: 'reference.dayKinds', initial: 'calendar' },
      { key: 'applies_to', input: 'text', required: true },
      { key: 'legal_reference', input: 'text', required: true },
      { key: 'confidence', input: 'text', ltr: true, initial: 'high', options: ['high', 'medium', 'low', 'not-found'] },
      { key: 'effective_from', input: 'date', nullable: true },
      { key: 'effective_to', input: 'date', nullable: true },
      notes,
      source,
    ],
  },
]

/** i18n keys cannot hold spaces or dots: the message key for an option value */
export function optionKey(value: string): string {
  return value.replace(/[^A-Za-z0-9_]/g, '_')
}

export function kindDef(name: string): KindDef {
  return KINDS.find((k) => k.name === name) ?? KINDS[0]!
}

export function flagTone(col: ColumnDef, value: unknown): Tone {
  if (value === null || value === undefined || value === '') return 'neutral'
  return col.okValues?.includes(String(value)) ? 'ok' : 'warn'
}
