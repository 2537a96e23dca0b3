// An engine error or a skipped file's reason in the UI's language: `errors:<code>` with its
// params (engine/graph/error-codes.ts), a param that is itself a coded message translated first.
// A text's `problems` (a document's or a network's graph problems) fill its {problems} in, each
// problem as `engine.<code>` (problems.ts); a code `engine.<code>` itself (a layer that does not fit,
// inside an import refusal) is looked up in the same `common` texts.
// English, an error without a code, or a code this build has no text for: the engine's own
// English message, as the CLI prints it. Every panel shows engine errors through this.
import type { i18n as I18n, TFunction } from 'i18next';
import { problemLine, skipText } from '../../engine/graph/error-codes.ts';
import type { CodedMessage, EngineText } from '../../engine/protocol.ts';
import { problemText } from './problems.ts';

/** Whatever carries an engine message: an EngineError, an 'error' or 'diverged' event, a status. */
export interface HasText { message: string; text?: EngineText | null }

const keyOf = (code: string): string => (code.startsWith('engine.') ? `common:${code}` : `errors:${code}`);

function translate(t: TFunction, i18n: I18n, text: EngineText, message: string): string {
  const key = keyOf(text.code);
  if (!i18n.exists(key)) return message;
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(text.params)) params[k] = typeof v === 'object' && v ? translate(t, i18n, v, (v as CodedMessage).message) : v;
  if (text.problems) params.problems = text.problems.map((p) => problemLine(p, problemText(t, i18n, p))).join('\n');
  try {
    const s = t(key, params);
    return typeof s === 'string' && s ? s : message;
  } catch {
    return message;
  }
}

/** The message of `e` (an Error, a HasText, a CodedMessage, a string) in the UI's language. */
export function engineText(t: TFunction, i18n: I18n, e: unknown): string {
  if (typeof e === 'string') return e;
  const m = e as (Partial<HasText> & Partial<EngineText>) | null;
  const message = typeof m?.message === 'string' ? m.message : String(e);
  // A HasText carries `text`; a CodedMessage is the text itself (code + params beside the message).
  const text = m?.text ?? (typeof m?.code === 'string' && m.params && typeof m.params === 'object' ? { code: m.code, params: m.params, ...(m.problems ? { problems: m.problems } : {}) } : undefined);
  if (i18n.language.startsWith('en') || !text || typeof text.code !== 'string' || !text.params) return message;
  return translate(t, i18n, text, message);
}

/** A skipped file's reason (from the report, or a key of its skippedByReason) in the UI's language. */
export function skipReasonText(t: TFunction, i18n: I18n, s: { reason: string; text?: EngineText } | string): string {
  const reason = typeof s === 'string' ? s : s.reason;
  const text = (typeof s === 'string' ? undefined : s.text) ?? skipText(reason);
  return engineText(t, i18n, { message: reason, text });
}
