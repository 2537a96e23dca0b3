// The Train view's own lines in the UI's language: why the chosen dataset cannot be trained on
// (datasetBlock's `trainBlock.<code>`) and the run's log (an engine 'log' event with its code,
// a divergence with its event). English: the English texts, as the engine and the store wrote them.
import type { i18n as I18n, TFunction } from 'i18next';
import type { EngineText } from '../../engine/protocol.ts';
import type { DatasetBlock, LogLine } from '../store/train-store.ts';
import { engineText } from './errors.ts';

/** A dataset block's reason; `reportErrorText`: the report error's code + params (a 'report-error' block). */
export function blockText(t: TFunction, i18n: I18n, block: DatasetBlock, reportErrorText?: EngineText | null): string {
  if (block.code === 'report-error') return engineText(t, i18n, { message: block.message, text: reportErrorText });
  return t(`common:trainBlock.${block.code}`, block.params);
}

/** One line of the run's log. */
export function logText(t: TFunction, i18n: I18n, line: LogLine): string {
  const d = line.diverged;
  if (d) return t('common:train.diverged', { step: d.step, hint: `${engineText(t, i18n, d)}; ${engineText(t, i18n, { message: d.hint, text: d.hintText })}` });
  return engineText(t, i18n, line);
}
