/**
 * The notifications bell's state: the unread count, polled every minute and on every navigation
 * (cheap: the API answers it from an index), and the latest notifications when the list is open.
 * One poller per page, however many components read the count.
 */
import { reactive } from 'vue'
import { api } from '../api/client'

export const POLL_MS = 60_000

export const bell = reactive({
  unread: 0,
  /** the last poll failed (offline): the count shown is the last one known */
  stale: false,
})

let seq = 0

export async function refreshUnread(): Promise<void> {
  const mine = ++seq
  try {
    const { data } = await api.GET('/api/v1/notifications/unread-count')
    if (mine !== seq) return
    if (data) {
      bell.unread = data.unread
      bell.stale = false
    } else bell.stale = true
  } catch {
    if (mine === seq) bell.stale = true
  }
}

export function setUnread(n: number): void {
  seq++
  bell.unread = Math.max(0, n)
  bell.stale = false
}

/** Poll the count now and every `every` ms while the page is visible; returns the stop function. */
export function startPolling(every = POLL_MS): () => void {
  void refreshUnread()
  const timer = setInterval(() => {
    if (typeof document === 'undefined' || document.visibilityState !== 'hidden') void refreshUnread()
  }, every)
  const onVisible = () => {
    if (document.visibilityState === 'visible') void refreshUnread()
  }
  document.addEventListener('visibilitychange', onVisible)
  return () => {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisible)
  }
}

/** "9+" beyond nine, so the badge stays small. */
export const badgeText = (n: number) => (n > 99 ? '99+' : String(n))
