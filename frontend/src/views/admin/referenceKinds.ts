/**
 * The reference lists as data: columns, filters and editable fields per kind. The screens are
 * generic; adding a list is a row here (and its paths in the API).
 */
export type KindName = 'districts' | 'courts' | 'police-stations' | 'offences' | 'adjournment-reasons'

export type Tone = 'ok' | 'warn' | 'off' | 'neutral'

export interface ColumnDef {
  key: string
  /** how to show the value */
  show: 'text' | 'code' | 'district' | 'flag' | 'attributed'
  /** for `flag`: which values count as confirmed */
  okValues?: readonly string[]
}

export interface FieldDef {
  key: string
  input: 'text' | 'district' | 'select'
  /** for select: the allowed values; for text: suggestions (datalist) */
  options?: readonly string[]
  /** codes, sections: kept left-to-right */
  ltr?: boolean
  required?: boolean
  /** empty input is sent as null */
  nullable?: boolean
}

export interface KindDef {
  name: KindName
  /** i18n key under reference.kinds */
  label: string
  columns: readonly ColumnDef[]
  fields: readonly FieldDef[]
  filters: { district?: boolean; statute?: boolean }
  /** which column names a row in headings */
  titleKey: string
}

const STATUTES = ['PPC', 'ATA', 'CNSA', 'ARMS_ORD_1965', 'SINDH_ARMS_2013', 'KP_ARMS_2013', 'ESA_1908', 'CRPC'] as const
const YES_NO = ['yes', 'no', 'depends', 'check', 'n/a'] as const
export const ATTRIBUTED = ['prosecution', 'defence', 'court', 'police', 'witness', 'jail', 'forensic', 'other'] as const

export const KINDS: readonly KindDef[] = [
  {
    name: 'districts',
    label: 'districts',
    titleKey: 'name',
    filters: {},
    columns: [
      { key: 'code', show: 'code' },
      { key: 'name', show: 'text' },
      { key: 'division', show: 'text' },
      { key: 'province', show: 'text' },
      { key: 'status', show: 'flag', okValues: ['active'] },
    ],
    fields: [
      { key: 'code', input: 'text', ltr: true, required: true },
      { key: 'name', input: 'text', required: true },
      { key: 'province', input: 'text', required: true, options: ['Sindh', 'Khyber Pakhtunkhwa'] },
      { key: 'division', input: 'text', nullable: true },
      { key: 'status', input: 'text', options: ['active', 'new-2025', 'new-2026', 'notified-status-unclear'] },
    ],
  },
  {
    name: 'courts',
    label: 'courts',
    titleKey: 'name',
    filters: { district: true },
    columns: [
      { key: 'name', show: 'text' },
      { key: 'court_type', show: 'code' },
      { key: 'district_id', show: 'district' },
      { key: 'status', show: 'flag', okValues: ['active'] },
    ],
    fields: [
      { key: 'name', input: 'text', required: true },
      {
        key: 'court_type',
        input: 'text',
        ltr: true,
        required: true,
        options: ['high_court_bench', 'anti_terrorism', 'sessions', 'additional_sessions', 'special', 'judicial_magistrate'],
      },
      { key: 'district_id', input: 'district', nullable: true },
      {
        key: 'status',
        input: 'text',
        ltr: true,
        options: ['active', 'abolished-2025', 'new-2025', 'status-to-confirm', 'not-individually-sourced'],
      },
    ],
  },
  {
    name: 'police-stations',
    label: 'policeStations',
    titleKey: 'name',
    filters: { district: true },
    columns: [
      { key: 'name', show: 'text' },
      { key: 'district_id', show: 'district' },
      { key: 'police_district', show: 'text' },
      { key: 'district_basis', show: 'flag', okValues: ['source'] },
    ],
    fields: [
      { key: 'name', input: 'text', required: true },
      { key: 'district_id', input: 'district', required: true },
      { key: 'police_district', input: 'text', nullable: true },
      { key: 'district_basis', input: 'text', ltr: true, nullable: true, options: ['source', 'inferred'] },
    ],
  },
  {
    name: 'offences',
    label: 'offences',
    titleKey: 'section',
    filters: { statute: true },
    columns: [
      { key: 'statute', show: 'code' },
      { key: 'section', show: 'code' },
      { key: 'title', show: 'text' },
      { key: 'ata_scheduled', show: 'text' },
      { key: 'bailable', show: 'text' },
      { key: 'cognizable', show: 'text' },
      { key: 'compoundable', show: 'text' },
      { key: 'max_punishment', show: 'text' },
      { key: 'verification', show: 'flag', okValues: ['statute-text', 'case-law'] },
    ],
    fields: [
      { key: 'statute', input: 'text', ltr: true, required: true, options: STATUTES },
      { key: 'section', input: 'text', ltr: true, required: true },
      { key: 'title', input: 'text', required: true },
      { key: 'ata_scheduled', input: 'text', ltr: true, options: ['yes', 'no', 'depends', 'n/a'] },
      { key: 'bailable', input: 'text', ltr: true, options: YES_NO },
      { key: 'cognizable', input: 'text', ltr: true, options: YES_NO },
      { key: 'compoundable', input: 'text', ltr: true, options: ['yes', 'with permission', 'no', 'depends', 'check'] },
      { key: 'max_punishment', input: 'text', nullable: true },
      {
        key: 'verification',
        input: 'text',
        ltr: true,
        nullable: true,
        options: ['statute-text', 'case-law', 'statute-text-partial', 'schedule-recalled', 'principle', 'unconfirmed'],
      },
    ],
  },
  {
    name: 'adjournment-reasons',
    label: 'adjournmentReasons',
    titleKey: 'label',
    filters: {},
    columns: [
      { key: 'code', show: 'code' },
      { key: 'label', show: 'text' },
      { key: 'attributed_to', show: 'attributed' },
    ],
    fields: [
      { key: 'code', input: 'text', ltr: true, required: true },
      { key: 'label', input: 'text', required: true },
      { key: 'attributed_to', input: 'select', required: true, options: ATTRIBUTED },
    ],
  },
]

export const STATUTE_OPTIONS = STATUTES

export function kindDef(name: string): KindDef {
  return KINDS.find((k) => k.name === name) ?? KINDS[0]!
}

export function flagTone(col: ColumnDef, value: unknown): Tone {
  if (value === null || value === undefined || value === '') return 'neutral'
  return col.okValues?.includes(String(value)) ? 'ok' : 'warn'
}
