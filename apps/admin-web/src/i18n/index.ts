import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { es } from './locales/es';
import { it } from './locales/it';
import { ptBR } from './locales/pt-BR';
import { ru } from './locales/ru';
import { zhCN } from './locales/zh-CN';

/** The languages of the UI: i18next code → its own name. */
export const LANGUAGES = { en: 'English', 'pt-BR': 'Português (Brasil)', es: 'Español', it: 'Italiano', 'zh-CN': '简体中文', ru: 'Русский' } as const;
export type Language = keyof typeof LANGUAGES;

/** Every language's dictionary; each must hold every key of the English one (test/i18n-keys.e2e.spec.ts checks). */
export const DICTIONARIES: Record<Language, typeof en> = { en, 'pt-BR': ptBR, es, it, 'zh-CN': zhCN, ru };

const STORAGE_KEY = 'portrait.language';

function initialLanguage(): Language {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  if (stored && stored in LANGUAGES) return stored as Language;
  const browser = typeof navigator === 'undefined' ? '' : navigator.language;
  return (Object.keys(LANGUAGES) as Language[]).find((code) => browser === code || browser.split('-')[0] === code.split('-')[0]) ?? 'en';
}

void i18n.use(initReactI18next).init({
  resources: Object.fromEntries(Object.entries(DICTIONARIES).map(([code, dictionary]) => [code, { translation: dictionary }])),
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});

/** Switches the UI language and remembers the choice in this browser. */
export function chooseLanguage(language: Language): void {
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
  void i18n.changeLanguage(language);
}

export default i18n;
