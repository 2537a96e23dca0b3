// An engine problem (shape inference, wiring, loading, the dataset report) in the UI's language:
// `engine.<code>` with its params; its English message when the code or params are unknown.
import type { i18n as I18n, TFunction } from 'i18next';

export interface Coded {
  code?: string;
  params?: Record<string, string | number | undefined>;
  message: string;
}

export function problemText(t: TFunction, i18n: I18n, p: Coded): string {
  // English is the engine's own wording (the same the CLI prints); other languages translate the code.
  if (i18n.language.startsWith('en') || !p.code || !p.params || !i18n.exists(`engine.${p.code}`)) return p.message;
  try {
    const s = t(`engine.${p.code}`, p.params as Record<string, unknown>);
    return typeof s === 'string' && s ? s : p.message;
  } catch {
    return p.message;
  }
}
