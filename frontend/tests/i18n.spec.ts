import { afterEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import LangSwitch from '../src/components/LangSwitch.vue'
import en from '../src/i18n/en'
import ur from '../src/i18n/ur'
import { applyDocumentLocale, LOCALE_KEY, makeI18n, storedLocale } from '../src/i18n'

/** Every leaf path of a message tree (arrays count as leaves with their length). */
function keys(tree: unknown, prefix = ''): string[] {
  if (Array.isArray(tree)) return [`${prefix}[${tree.length}]`]
  if (tree && typeof tree === 'object') {
    return Object.entries(tree).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
  }
  return [prefix]
}

function leaves(tree: unknown, prefix = ''): [string, unknown][] {
  if (Array.isArray(tree)) return tree.flatMap((v, i) => leaves(v, `${prefix}[${i}]`))
  if (tree && typeof tree === 'object') {
    return Object.entries(tree).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
  }
  return [[prefix, tree]]
}

describe('messages', () => {
  it('every key in en exists in ur and vice versa', () => {
    const enKeys = keys(en).sort()
    const urKeys = keys(ur).sort()
    expect(urKeys.filter((k) => !enKeys.includes(k))).toEqual([])
    expect(enKeys.filter((k) => !urKeys.includes(k))).toEqual([])
  })

  it('no message is empty, and Urdu messages are not left in English', () => {
    for (const [path, value] of leaves(ur)) {
      expect(typeof value, path).toBe('string')
      expect((value as string).length, path).toBeGreaterThan(0)
    }
    const enLeaves = new Map(leaves(en))
    // the few strings that are meant to read the same in both (codes, punctuation, the switch's target)
    const same = new Set(['users.noDistrict'])
    for (const [path, value] of leaves(ur)) {
      if (same.has(path)) continue
      expect(value, `ur.${path} is still English`).not.toBe(enLeaves.get(path))
    }
  })

  it('every role has a name and a day panel in both languages', () => {
    for (const role of Object.keys(en.roles)) {
      expect(en.home.day).toHaveProperty(role)
      expect(ur.home.day).toHaveProperty(role)
    }
  })
})

describe('language switch', () => {
  afterEach(() => {
    localStorage.clear()
    applyDocumentLocale('en')
  })

  it('switches to Urdu: dir=rtl, lang=ur, the button then offers English, and the choice is kept', async () => {
    applyDocumentLocale('en')
    const i18n = makeI18n('en')
    const wrapper = mount(LangSwitch, { global: { plugins: [i18n] } })
    const button = wrapper.get('button')
    expect(button.text()).toBe('اردو')
    expect(document.documentElement.dir).toBe('ltr')

    await button.trigger('click')

    expect(document.documentElement.dir).toBe('rtl')
    expect(document.documentElement.lang).toBe('ur')
    expect(button.text()).toBe('English')
    expect(localStorage.getItem(LOCALE_KEY)).toBe('ur')
    expect(storedLocale()).toBe('ur')

    await button.trigger('click')
    expect(document.documentElement.dir).toBe('ltr')
    expect(document.documentElement.lang).toBe('en')
    expect(button.text()).toBe('اردو')
    expect(storedLocale()).toBe('en')
  })

  it('ignores a stored value that is not a known language', () => {
    localStorage.setItem(LOCALE_KEY, 'fr')
    expect(storedLocale()).toBe('en')
  })
})
