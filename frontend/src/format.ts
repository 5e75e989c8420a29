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
    hourCycle: 'h23', // court times are 24-hour, as on the calendar and the hearing forms
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

/** A time of day in Pakistan's zone ('10:30'), 24-hour in both languages as courts write it. */
export function formatTime(locale: string, iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(intlTag(locale), {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Asia/Karachi',
  }).format(d)
}

/** A calendar date ('YYYY-MM-DD', no zone involved) in the locale's words. */
export function formatYmd(
  locale: string,
  ymd: string | null | undefined,
  style: 'medium' | 'long' | 'full' | 'weekday' | 'dayMonth' | 'monthYear' = 'medium',
): string {
  if (!ymd) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd)
  if (!m) return ymd
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  const opts: Intl.DateTimeFormatOptions =
    style === 'weekday'
      ? { weekday: 'short' }
      : style === 'dayMonth'
        ? { day: 'numeric', month: 'short' }
        : style === 'monthYear'
          ? { month: 'long', year: 'numeric' }
          : { dateStyle: style }
  return new Intl.DateTimeFormat(intlTag(locale), { ...opts, timeZone: 'UTC' }).format(d)
}

/** A hearing's date and court time: '30-Nov-2026 10:00' (24-hour, so Urdu text carries no AM/PM). */
export function formatWhen(locale: string, iso: string | null | undefined): string {
  if (!iso) return ''
  return `${formatDate(locale, iso)} ${formatTime(locale, iso)}`
}
