import { createI18n } from 'vue-i18n'
import en from './en'
import ur from './ur'

export const LOCALES = ['en', 'ur'] as const
export type Locale = (typeof LOCALES)[number]
export const LOCALE_KEY = 'cmms.locale'

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

export function storedLocale(): Locale {
  try {
    const value = globalThis.localStorage?.getItem(LOCALE_KEY)
    return isLocale(value) ? value : 'en'
  } catch {
    return 'en'
  }
}

export function directionOf(locale: Locale): 'rtl' | 'ltr' {
  return locale === 'ur' ? 'rtl' : 'ltr'
}

/** Reflect the language on <html>: lang for screen readers and fonts, dir for the layout. */
export function applyDocumentLocale(locale: Locale): void {
  const root = globalThis.document?.documentElement
  if (!root) return
  root.lang = locale
  root.dir = directionOf(locale)
}

export function persistLocale(locale: Locale): void {
  try {
    globalThis.localStorage?.setItem(LOCALE_KEY, locale)
  } catch {
    /* storage refused (private mode): the choice lasts for this page only */
  }
}

/** BCP 47 tag for Intl formatting: Pakistani conventions in both languages. */
export function intlTag(locale: string): string {
  return locale === 'ur' ? 'ur-PK' : 'en-PK'
}

export function makeI18n(locale: Locale = storedLocale()) {
  return createI18n({
    legacy: false,
    globalInjection: true,
    locale,
    fallbackLocale: 'en',
    messages: { en, ur },
    missingWarn: import.meta.env.DEV,
    fallbackWarn: false,
  })
}

export type AppI18n = ReturnType<typeof makeI18n>
