// The Network panel's memory line: what training the document would hold (engine/graph/memory.ts,
// the same figure `netwright validate` prints and the engine checks before a run), and whether
// the engine will refuse it on this machine.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import type { Analysis } from '../../engine/graph/infer.ts';
import { estimateMemory, fmtBytes, memoryRefusalText } from '../../engine/graph/memory.ts';
import { engineText } from '../i18n/errors.ts';
import { useEditor } from './context.ts';

let limitOnce: Promise<number | null> | null = null;

export function MemoryEstimate({ doc, analysis }: { doc: NetworkDocument; analysis: Analysis }) {
  const { client } = useEditor();
  const { t, i18n } = useTranslation();
  const [limit, setLimit] = useState<number | null>(null);
  useEffect(() => {
    limitOnce ??= Promise.resolve().then(() => client.info()).then((i) => i.trainingMemoryLimit ?? null, () => null);
    void limitOnce.then(setLimit);
  }, []);
  const m = estimateMemory(doc, { analysis });
  const refused = memoryRefusalText(m, limit ?? Infinity);
  const refusal = refused && engineText(t, i18n, refused);
  return (
    <>
      <p data-testid="memory-estimate" title={t('memory.detail', { weights: fmtBytes(m.weights), gradients: fmtBytes(m.gradients), optimizer: m.optimizer, state: fmtBytes(m.optimizerState), forward: fmtBytes(m.activations.forward), backward: fmtBytes(m.activations.backward) })}>
        {t('memory.estimate', { size: fmtBytes(m.total), batch: m.batchSize })}
        {limit !== null && <span className="muted">{t('memory.limit', { size: fmtBytes(limit) })}</span>}
      </p>
      {refusal && <div className="problem problem-error" data-testid="memory-refusal">{t('memory.refused', { why: refusal })}</div>}
    </>
  );
}
