import cronstrue from 'cronstrue/i18n';
import i18n from '../i18n';

const CRONSTRUE_LOCALES: Record<string, string> = { en: 'en', 'pt-BR': 'pt_BR', es: 'es', it: 'it', 'zh-CN': 'zh_CN', ru: 'ru' };

/** A cron expression in words in the chosen language ("Every 15 minutes"), or undefined when it is not one. */
export function describeCron(expression: string): string | undefined {
  try {
    return cronstrue.toString(expression, { locale: CRONSTRUE_LOCALES[i18n.language] ?? 'en', use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return undefined;
  }
}
