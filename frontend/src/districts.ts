/** The district list, loaded once per page load (about 70 rows) and shared by every screen. */
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { api } from './api/client'
import type { District } from './api/types'

const districts = ref<District[]>([])
const loaded = ref(false)
let loading: Promise<void> | null = null

export function loadDistricts(force = false): Promise<void> {
  if (loaded.value && !force) return Promise.resolve()
  if (!loading) {
    loading = (async () => {
      const all: District[] = []
      let offset = 0
      // the API caps a page at 200; keep asking until the total is reached
      for (;;) {
        const { data } = await api.GET('/api/v1/reference/districts', {
          params: { query: { limit: 200, offset } },
        })
        if (!data) break
        all.push(...data.items)
        offset += data.items.length
        if (!data.items.length || offset >= data.total) break
      }
      districts.value = all
      loaded.value = true
    })()
      .catch(() => undefined)
      .finally(() => {
        loading = null
      })
  }
  return loading
}

export function useDistricts() {
  void loadDistricts()
  const { locale } = useI18n({ useScope: 'global' })
  const byId = computed(() => new Map(districts.value.map((d) => [d.id, d])))
  /** the district's name in the current language (the Urdu name when there is one) */
  function label(d: District): string {
    return locale.value === 'ur' && d.name_ur ? d.name_ur : d.name
  }
  const sorted = computed(() =>
    [...districts.value].sort((a, b) => a.province.localeCompare(b.province) || a.name.localeCompare(b.name)),
  )
  function districtName(id: number | null | undefined): string {
    if (id === null || id === undefined) return ''
    const d = byId.value.get(id)
    return d ? label(d) : `#${id}`
  }
  return { districts, sorted, byId, loaded, districtName, label }
}
