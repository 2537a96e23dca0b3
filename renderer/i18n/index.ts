// The UI's languages: one i18next instance with ICU messages (plurals, numbers), English and
// Simplified Chinese. Each namespace is one JSON file per language under locales/; a key missing
// from either language fails test/renderer/i18n-keys.test.ts.
import i18next, { type i18n } from 'i18next';
import ICU from 'i18next-icu';
import { initReactI18next } from 'react-i18next';
import enCommon from './locales/en/common.json' with { type: 'json' };
import enCommands from './locales/en/commands.json' with { type: 'json' };
import enLearn from './locales/en/learn.json' with { type: 'json' };
import enErrors from './locales/en/errors.json' with { type: 'json' };
import zhCommon from './locales/zh-CN/common.json' with { type: 'json' };
import zhCommands from './locales/zh-CN/commands.json' with { type: 'json' };
import zhLearn from './locales/zh-CN/learn.json' with { type: 'json' };
import zhErrors from './locales/zh-CN/errors.json' with { type: 'json' };

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const NAMESPACES = ['common', 'commands', 'learn', 'errors'] as const;

export const RESOURCES = {
  en: { common: enCommon, commands: enCommands, learn: enLearn, errors: enErrors },
  'zh-CN': { common: zhCommon, commands: zhCommands, learn: zhLearn, errors: zhErrors },
} as const;

const STORAGE_KEY = 'netwright.lang';

/** The supported language closest to a locale tag ('zh', 'zh-Hans-CN', 'zh-CN' → zh-CN; anything else → en). */
export function pickLanguage(tag: string | null | undefined): Language | null {
  if (!tag) return null;
  const t = tag.toLowerCase();
  if (t.startsWith('zh')) return 'zh-CN';
  if (t.startsWith('en')) return 'en';
  return null;
}

/**
 * The language to start in. An explicit launch choice (`netwright serve --lang`, NETWRIGHT_LANG:
 * the page URL's `lang`) wins, then the user's saved choice (the in-app selector), then the
 * system locale the desktop app passes (`locale`), then the browser's languages; English last.
 */
export function initialLanguage(launch?: string | null, system?: string | null): Language {
  let saved: string | null = null;
  try { saved = globalThis.localStorage?.getItem(STORAGE_KEY) ?? null; } catch { /* storage off */ }
  const langs = (globalThis.navigator?.languages ?? []) as readonly string[];
  for (const c of [launch, saved, system, ...langs, globalThis.navigator?.language]) {
    const l = pickLanguage(c);
    if (l) return l;
  }
  return 'en';
}

/** The language the page was launched with: `?lang=` (explicit) and `?locale=` (the system's, from the desktop app). */
export function launchLanguage(search: string): { lang: string | null; locale: string | null } {
  const q = new URLSearchParams(search);
  return { lang: q.get('lang'), locale: q.get('locale') };
}

/** A ready i18next instance (synchronous: the resources are bundled). */
export function createI18n(language: Language, react = true): i18n {
  const inst = i18next.createInstance();
  inst.use(ICU);
  if (react) inst.use(initReactI18next);
  void inst.init({
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    ns: [...NAMESPACES],
    defaultNS: 'common',
    resources: RESOURCES as unknown as Record<string, Record<string, object>>,
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  return inst;
}

/** Switches the UI language at once (no reload) and remembers it for the next start. */
export function setLanguage(inst: i18n, language: Language): void {
  try { globalThis.localStorage?.setItem(STORAGE_KEY, language); } catch { /* storage off */ }
  void inst.changeLanguage(language);
  if (globalThis.document) globalThis.document.documentElement.lang = language;
  // The user's choice now outranks the launch's `?lang=`: a reload keeps what they picked.
  const loc = globalThis.location;
  if (loc && globalThis.history && new URLSearchParams(loc.search).has('lang')) {
    const u = new URL(loc.href);
    u.searchParams.set('lang', language);
    globalThis.history.replaceState(globalThis.history.state, '', u.toString());
  }
}
