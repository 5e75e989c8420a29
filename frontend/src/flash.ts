/**
 * One-line messages that survive a navigation ("that page is for administrators only", "user
 * created"). Each names the path it is meant for and is dropped when the user goes elsewhere.
 */
import { reactive } from 'vue'

export type FlashTone = 'info' | 'success' | 'error'

export const flash = reactive({
  /** an i18n key; empty = nothing to show */
  key: '' as string,
  params: {} as Record<string, string | number>,
  tone: 'info' as FlashTone,
  /** the path the message is for */
  path: '' as string,
})

export function showFlash(
  key: string,
  tone: FlashTone,
  path: string,
  params: Record<string, string | number> = {},
): void {
  flash.key = key
  flash.tone = tone
  flash.path = path
  flash.params = params
}

export function clearFlash(): void {
  flash.key = ''
  flash.params = {}
  flash.path = ''
}

/** Router hook: forget a message once the user navigates away from the page it was for. */
export function dropFlashUnlessFor(path: string): void {
  if (flash.key && flash.path !== path) clearFlash()
}
