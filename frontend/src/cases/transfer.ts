/**
 * Uploads with progress (XMLHttpRequest: fetch reports no upload progress) and downloads through
 * the authorised endpoint (bearer header → blob → save), never a token in a URL.
 */
import { apiBase, getAccessToken, refresh } from '../auth/session'

export interface UploadResult {
  status: number
  body: unknown
}

export function upload(
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `${apiBase()}${path}`)
    const token = getAccessToken()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => {
      let body: unknown = null
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        body = null
      }
      if (xhr.status >= 200 && xhr.status < 300) onProgress(1)
      resolve({ status: xhr.status, body })
    }
    xhr.onerror = () => reject(new Error('network'))
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(form)
  })
}

/** Upload, refreshing the token once if it had expired meanwhile. */
export async function uploadWithAuth(
  path: string,
  makeForm: () => FormData,
  onProgress: (fraction: number) => void,
  headers: Record<string, string> = {},
): Promise<UploadResult> {
  const first = await upload(path, makeForm(), onProgress, headers)
  if (first.status !== 401) return first
  if (!(await refresh())) return first
  onProgress(0)
  return upload(path, makeForm(), onProgress, headers)
}

/** The file name from a Content-Disposition header (RFC 6266, filename* preferred). */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''))
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition)
  return plain?.[1]?.trim() || fallback
}

export async function download(path: string, fallbackName: string): Promise<{ ok: boolean; status: number }> {
  const get = () =>
    fetch(`${apiBase()}${path}`, {
      headers: getAccessToken() ? { Authorization: `Bearer ${getAccessToken()}` } : {},
    })
  let res = await get()
  if (res.status === 401 && (await refresh())) res = await get()
  if (!res.ok) return { ok: false, status: res.status }
  const blob = await res.blob()
  const name = filenameFrom(res.headers.get('Content-Disposition'), fallbackName)
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return { ok: true, status: res.status }
}
