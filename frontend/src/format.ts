import { intlTag } from './i18n'

export function formatNumber(locale: string, value: number): string {
  return new Intl.NumberFormat(intlTag(locale)).format(value)
}

/** A date-time shown in Pakistan's zone (the API stores UTC). */
export function formatDateTime(locale: string, iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(intlTag(locale), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Asia/Karachi',
  }).format(d)
}

export function formatDate(locale: string, iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(intlTag(locale), {
    dateStyle: 'medium',
    timeZone: 'Asia/Karachi',
  }).format(d)
}
