import { createApp } from 'vue'
import '@fontsource/noto-naskh-arabic/arabic-400.css'
import '@fontsource/noto-naskh-arabic/arabic-700.css'
import './styles/main.css'
import './styles/schedules.css'
import App from './App.vue'
import { makeRouter } from './router'
import { applyDocumentLocale, makeI18n, storedLocale } from './i18n'
import { onSignedOut } from './auth/session'
import { showFlash } from './flash'

const locale = storedLocale()
applyDocumentLocale(locale)

const i18n = makeI18n(locale)
const router = makeRouter()

router.afterEach((to, from) => {
  // move focus to the new page for keyboard and screen-reader users (not on first load)
  if (from.matched.length && to.path !== from.path) {
    requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }))
  }
})

onSignedOut((reason) => {
  if (reason === 'expired') {
    const here = router.currentRoute.value
    showFlash('app.sessionExpired', 'info', '/login')
    void router.push({
      name: 'login',
      query: here.meta.public ? {} : { next: here.fullPath },
    })
  }
})

createApp(App).use(i18n).use(router).mount('#app')
