import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { en } from '../src/i18n/locales/en';
import { es } from '../src/i18n/locales/es';
import { it as italian } from '../src/i18n/locales/it';
import { ptBR } from '../src/i18n/locales/pt-BR';
import { ru } from '../src/i18n/locales/ru';
import { zhCN } from '../src/i18n/locales/zh-CN';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every key of a dictionary, dotted, with its text. */
function flatten(dictionary: object, prefix = ''): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [key, value] of Object.entries(dictionary)) {
    if (typeof value === 'object' && value !== null) for (const [k, v] of flatten(value as object, `${prefix}${key}.`)) keys.set(k, v);
    else keys.set(`${prefix}${key}`, value as string);
  }
  return keys;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : []));
}

describe('the UI languages', () => {
  const reference = flatten(en);
  const languages = { 'pt-BR': ptBR, es, it: italian, 'zh-CN': zhCN, ru };

  it.each(Object.entries(languages))('%s has every English key, no other, each translated with the same placeholders', (_code, dictionary) => {
    const keys = flatten(dictionary);
    expect([...keys.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, text] of keys) {
      expect([key, typeof text === 'string' && text.trim().length > 0]).toEqual([key, true]);
      expect([key, placeholders(text)]).toEqual([key, placeholders(reference.get(key)!)]);
    }
  });

  it('every key the screens ask for by name exists', () => {
    const asked = new Set<string>();
    for (const file of sourceFiles(src)) for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) asked.add(match[1]!);
    expect(asked.size).toBeGreaterThan(50);
    expect([...asked].filter((key) => !reference.has(key))).toEqual([]);
  });
});
