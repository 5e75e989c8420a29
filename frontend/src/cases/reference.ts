/** Police stations and courts (a few hundred rows each), loaded once per page load and shared. */
import { computed, ref } from 'vue'
import { api } from '../api/client'
import type { Court, PoliceStation } from '../api/types'

const stations = ref<PoliceStation[]>([])
const courts = ref<Court[]>([])
let stationsLoading: Promise<void> | null = null
let courtsLoading: Promise<void> | null = null
let stationsLoaded = false
let courtsLoaded = false

async function all<T>(fetchPage: (offset: number) => Promise<{ items: T[]; total: number } | undefined>): Promise<T[]> {
  const out: T[] = []
  let offset = 0
  for (;;) {
    const page = await fetchPage(offset)
    if (!page) break
    out.push(...page.items)
    offset += page.items.length
    if (!page.items.length || offset >= page.total) break
  }
  return out
}

export function loadStations(): Promise<void> {
  if (stationsLoaded) return Promise.resolve()
  stationsLoading ??= all(async (offset) => {
    const { data } = await api.GET('/api/v1/reference/police-stations', { params: { query: { limit: 200, offset } } })
    return data
  })
    .then((rows) => {
      stations.value = rows
      stationsLoaded = true
    })
    .catch(() => undefined)
    .finally(() => {
      stationsLoading = null
    })
  return stationsLoading
}

export function loadCourts(): Promise<void> {
  if (courtsLoaded) return Promise.resolve()
  courtsLoading ??= all(async (offset) => {
    const { data } = await api.GET('/api/v1/reference/courts', { params: { query: { limit: 200, offset } } })
    return data
  })
    .then((rows) => {
      courts.value = rows
      courtsLoaded = true
    })
    .catch(() => undefined)
    .finally(() => {
      courtsLoading = null
    })
  return courtsLoading
}

export function useStations() {
  void loadStations()
  const byId = computed(() => new Map(stations.value.map((s) => [s.id, s])))
  function inDistrict(districtId: number | null | undefined): PoliceStation[] {
    const rows = districtId == null ? stations.value : stations.value.filter((s) => s.district_id === districtId)
    return [...rows].sort((a, b) => a.name.localeCompare(b.name))
  }
  function stationName(id: number | null | undefined): string {
    if (id == null) return ''
    return byId.value.get(id)?.name ?? `#${id}`
  }
  return { stations, byId, inDistrict, stationName }
}

export function useCourts() {
  void loadCourts()
  const byId = computed(() => new Map(courts.value.map((c) => [c.id, c])))
  function inDistrict(districtId: number | null | undefined): Court[] {
    const rows = districtId == null ? courts.value : courts.value.filter((c) => c.district_id === districtId)
    return [...rows].sort((a, b) => a.name.localeCompare(b.name))
  }
  function courtName(id: number | null | undefined): string {
    if (id == null) return ''
    return byId.value.get(id)?.name ?? `#${id}`
  }
  return { courts, byId, inDistrict, courtName }
}

/** A fresh key for a POST, so a retry after a dropped connection creates nothing twice. */
export function idempotencyKey(): string {
  const c = globalThis.crypto
  if (c && 'randomUUID' in c) return c.randomUUID()
  return `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}
