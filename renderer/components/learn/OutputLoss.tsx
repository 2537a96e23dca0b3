// The output head: the real scores of one image, softmax's probabilities, and the loss for its
// true class (or MSE against the one-hot target).
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { mseLoss, softmaxLoss } from '../../../engine/graph/learn-math.ts';
import { fmt } from './draw.ts';

export function OutputLoss({ v }: { v: Extract<LearnView, { kind: 'output' }> }) {
  const { t } = useTranslation('learn');
  const { probs, loss } = softmaxLoss(v.scores, v.label);
  const name = (k: number) => v.classNames[k] ?? String(k);
  return (
    <div data-testid="learn-output">
      <p>{t('output.true', { name: name(v.label) })}</p>
      <table className="learn-table">
        <thead><tr><th /><th>{t('output.logits')}</th>{v.loss === 'cross_entropy' && <th>{t('output.probs')}</th>}</tr></thead>
        <tbody>
          {v.scores.map((s, k) => (
            <tr key={k} className={k === v.label ? 'learn-true' : ''}>
              <td>{name(k)}</td><td>{fmt(s)}</td>
              {v.loss === 'cross_entropy' && <td><span className="learn-bar" style={{ width: `${probs[k] * 90}px` }} /> {fmt(probs[k])}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="learn-sum" data-testid="learn-loss">
        {v.loss === 'cross_entropy' ? t('output.ce', { name: name(v.label), p: fmt(probs[v.label]), loss: fmt(loss) }) : t('output.mse', { loss: fmt(mseLoss(v.scores, v.label)) })}
      </p>
    </div>
  );
}
