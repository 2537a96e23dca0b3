// The Learn panel: for the selected layer, a short explanation and a live view computed by the
// engine on this network and an image of the chosen dataset (engine/session/learn.ts), then the
// gradient by nudging one of its weights and the mini-batch view.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import type { Analysis } from '../../../engine/graph/infer.ts';
import { isSuperseded, type LearnLayerResult } from '../../../engine/protocol.ts';
import type { EditorState } from '../../store/editor-store.ts';
import type { TrainStore } from '../../store/train-store.ts';
import { engineText } from '../../i18n/errors.ts';
import { useEditor } from '../context.ts';
import { ActivationCurve } from './ActivationCurve.tsx';
import { BatchesView } from './BatchesView.tsx';
import { BatchNormView } from './BatchNormView.tsx';
import { ConvFlashlight } from './ConvFlashlight.tsx';
import { DenseUnit } from './DenseUnit.tsx';
import { DropoutView } from './DropoutView.tsx';
import { FlattenView } from './FlattenView.tsx';
import { NudgeView } from './NudgeView.tsx';
import { OutputLoss } from './OutputLoss.tsx';
import { AddView, ConcatView, PadView } from './MergeViews.tsx';
import { GapView, PoolView } from './PoolView.tsx';

const KNOWN = new Set(['Conv2D', 'Dense', 'ReLU', 'LeakyReLU', 'ELU', 'Sigmoid', 'Tanh', 'GELU', 'Clip', 'PReLU', 'Softmax', 'MaxPool2D', 'AvgPool2D', 'GlobalAvgPool', 'Flatten', 'Dropout', 'BatchNorm', 'Output', 'Input', 'Add', 'Concat', 'Pad']);

export function LearnPanel({ state, analysis, train }: { state: EditorState; analysis: Analysis; train: TrainStore }) {
  // The panel follows the toolbar's language selector (one language control for the whole app).
  const { t, i18n } = useTranslation('learn');
  const { store, client } = useEditor();
  const tr = useSyncExternalStore(train.subscribe, train.getState);
  const nodeId = state.selection.nodes.length === 1 ? state.selection.nodes[0] : null;
  const node = nodeId ? state.doc.nodes.find((n) => n.id === nodeId) : undefined;
  const dataDir = tr.dataDir;
  // The newest run of this document with a model: its trained values (engine/session/learn.ts matches them by name and shape).
  const run = state.path ? [...tr.runs].filter((r) => r.docPath === state.path && r.hasModel).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0] : undefined;
  const runId = run?.runId ?? null;
  const [opt, setOpt] = useState({ filter: 0, unit: 0, channel: 0 });
  const [res, setRes] = useState<LearnLayerResult | null>(null);
  /** The engine's error, shown through engineText in the UI's language. */
  const [err, setErr] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => setOpt({ filter: 0, unit: 0, channel: 0 }), [nodeId]);
  useEffect(() => {
    if (!nodeId || !dataDir || !analysis.ok) return;
    let live = true;
    setLoading(true);
    const timer = setTimeout(() => {
      client.learnLayer(store.doc, dataDir, nodeId, { docPath: state.path, runId, ...opt }).then(
        (r) => live && (setRes(r), setErr(null), setLoading(false)),
        (e: unknown) => live && !isSuperseded(e) && (setErr(e), setRes(null), setLoading(false)),
      );
    }, 150);
    return () => ((live = false), clearTimeout(timer));
  }, [nodeId, state.doc, dataDir, runId, opt.filter, opt.unit, opt.channel, analysis.ok]);

  const header = (
    <div className="learn-head">
      <h2>{node ? t('title', { label: node.label ?? node.id }) : t('tabLearn')}</h2>
    </div>
  );
  if (!node) return <div className="learn-panel">{header}<p className="help">{t('selectLayer')}</p></div>;
  const shown = res && res.nodeId === nodeId ? res : null;
  return (
    <div className="learn-panel" data-testid="learn-panel">
      {header}
      <p className="learn-explain" data-testid="learn-explain">{t(`kinds.${KNOWN.has(node.type) ? node.type : 'other'}`)}</p>
      {!dataDir && <p className="field-error">{t('needData')}</p>}
      {dataDir && !analysis.ok && <p className="field-error">{t('needValid')}</p>}
      {err != null && <p className="field-error" data-testid="learn-error">{t('error', { message: engineText(t, i18n, err) })}</p>}
      {loading && !shown && <p className="muted">{t('loading', { n: 16 })}</p>}
      {shown && (
        <>
          <p className="muted learn-source" data-testid="learn-weights" data-source={shown.weights.source}>{t(`weights.${shown.weights.source}`, { runId: shown.weights.runId ?? '', matched: shown.weights.matched, total: shown.weights.total })}</p>
          <div className="learn-image">
            <img src={shown.image.url} alt={shown.image.className} width={48} height={48} />
            <span className="muted">{t('image', { path: shown.image.path, className: shown.image.className })}<br />{t('shapes', { inShape: `[${shown.inShape.join(', ')}]`, outShape: `[${shown.outShape.join(', ')}]` })}</span>
          </div>
          <section className="learn-section">
            {shown.view.kind === 'conv' && <ConvFlashlight v={shown.view} onFilter={(filter) => setOpt((o) => ({ ...o, filter }))} />}
            {shown.view.kind === 'dense' && <DenseUnit v={shown.view} onUnit={(unit) => setOpt((o) => ({ ...o, unit }))} />}
            {shown.view.kind === 'activation' && <ActivationCurve v={shown.view} batch={shown.batch} />}
            {shown.view.kind === 'pool' && <PoolView v={shown.view} />}
            {shown.view.kind === 'gap' && <GapView v={shown.view} />}
            {shown.view.kind === 'flatten' && <FlattenView v={shown.view} inShape={shown.inShape} />}
            {shown.view.kind === 'dropout' && <DropoutView v={shown.view} />}
            {shown.view.kind === 'batchnorm' && <BatchNormView v={shown.view} />}
            {shown.view.kind === 'output' && <OutputLoss v={shown.view} />}
            {shown.view.kind === 'add' && <AddView v={shown.view} onChannel={(channel) => setOpt((o) => ({ ...o, channel }))} />}
            {shown.view.kind === 'concat' && <ConcatView v={shown.view} onChannel={(channel) => setOpt((o) => ({ ...o, channel }))} />}
            {shown.view.kind === 'pad' && <PadView v={shown.view} onChannel={(channel) => setOpt((o) => ({ ...o, channel }))} />}
          </section>
          <NudgeView params={shown.params} nodeId={shown.nodeId} dataDir={dataDir!} docPath={state.path} runId={runId} />
        </>
      )}
      {dataDir && analysis.ok && <BatchesView dataDir={dataDir} docPath={state.path} runId={runId} />}
    </div>
  );
}
