// An undoable edit (editor-store.ts, EditAction) in the UI's language: `history.<key>`, with a
// layer kind shown by its translated label and a parameter by its translated name.
import type { TFunction } from 'i18next';
import type { EditAction } from '../store/editor-store.ts';

export function actionText(t: TFunction, a: EditAction): string {
  const p = a.params ?? {};
  return t(`history.${a.key}`, {
    ...p,
    layer: p.type ? t(`layer.${p.type}.label`, { defaultValue: p.type }) : '',
    param: p.param ? t(`paramName.${p.param}`, { defaultValue: p.param }) : '',
  });
}
