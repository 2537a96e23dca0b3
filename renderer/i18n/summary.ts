// A canvas node's summary line in the UI's language: each part (engine/graph/summary.ts) as
// `nodeSummary.<key>` with its values, joined by " · ". English is the engine's own line.
import type { i18n as I18n, TFunction } from 'i18next';
import { partText, summaryText, type SummaryPart } from '../../engine/graph/summary.ts';

export function summaryLine(t: TFunction, i18n: I18n, parts: readonly SummaryPart[]): string {
  if (i18n.language.startsWith('en')) return summaryText(parts);
  return parts
    .map((part) => {
      const key = `nodeSummary.${part.key}`;
      if (!i18n.exists(key)) return partText(part);
      try {
        const s = t(key, (part.params ?? {}) as Record<string, unknown>);
        return typeof s === 'string' && s ? s : partText(part);
      } catch {
        return partText(part);
      }
    })
    .join(' · ');
}
