// The selected layer: every parameter with its range, validated as typed; its shapes and problems.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { problemText } from '../i18n/problems.ts';
import type { Analysis } from '../../engine/graph/infer.ts';
import { fmtShape, withDefaults, type ParamSpec, type ParamValue } from '../../engine/graph/layer.ts';
import { layerDef } from '../../engine/graph/registry.ts';
import { headDense } from '../../engine/graph/finetune.ts';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { trainedTotals, type EditorState } from '../store/editor-store.ts';
import { useEditor } from './context.ts';
import { short } from './format.ts';
import { fixLabel } from './LayerNode.tsx';
import { MemoryEstimate } from './MemoryEstimate.tsx';

/** A typed number, or why not (an `inspector.` key). */
function checkNumber(text: string, spec: Extract<ParamSpec, { kind: 'int' | 'float' }>): { value: number } | { error: 'enterNumber' | 'notNumber' | 'wholeNumber' | 'between' } {
  if (text.trim() === '') return { error: 'enterNumber' };
  const v = Number(text);
  if (!Number.isFinite(v)) return { error: 'notNumber' };
  if (spec.kind === 'int' && !Number.isInteger(v)) return { error: 'wholeNumber' };
  if (v < spec.min || v > spec.max) return { error: 'between' };
  return { value: v };
}

function NumberField({ nodeId, name, spec, value }: { nodeId: string; name: string; spec: Extract<ParamSpec, { kind: 'int' | 'float' }>; value: number }) {
  const { store } = useEditor();
  const { t } = useTranslation();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value, nodeId]);
  const r = checkNumber(text, spec);
  return (
    <>
      <input
        id={`param-${name}`}
        name={name}
        type="number"
        inputMode={spec.kind === 'int' ? 'numeric' : 'decimal'}
        min={spec.min}
        max={spec.max}
        step={spec.kind === 'int' ? 1 : 'any'}
        value={text}
        aria-invalid={'error' in r}
        onChange={(e) => {
          setText(e.target.value);
          const c = checkNumber(e.target.value, spec);
          if ('value' in c) store.setParam(nodeId, name, c.value, { merge: true });
        }}
        onBlur={() => (store.endMerge(), setText(String(store.node(nodeId)?.params[name] ?? value)))}
      />
      {'error' in r && <div className="field-error">{t(`inspector.${r.error}`, { min: spec.min, max: spec.max })}</div>}
    </>
  );
}

/** "Replace head": the last Dense gets as many fresh units as the dataset has classes. */
function ReplaceHead({ doc }: { doc: NetworkDocument }) {
  const { store, notify } = useEditor();
  const { t } = useTranslation();
  const head = headDense(doc);
  const units = Number(doc.nodes.find((n) => n.id === head)?.params.units ?? 10);
  const [text, setText] = useState(String(units));
  useEffect(() => setText(String(units)), [units, head]);
  if (!head) return null;
  const classes = Number(text);
  const ok = Number.isInteger(classes) && classes >= 1 && classes <= 100000;
  return (
    <div className="field replace-head" title={t('inspector.replaceHeadTitle')}>
      <label htmlFor="replace-head-classes">{t('inspector.classes')}</label>
      <input id="replace-head-classes" aria-label={t('inspector.classesAria')} type="number" min={1} value={text} onChange={(e) => setText(e.target.value)} />
      <button
        className="replace-head-button"
        disabled={!ok}
        onClick={() => {
          const id = store.replaceHead(classes);
          if (id) notify(t('inspector.newHead', { id, classes }));
        }}
      >
        {t('inspector.replaceHead')}
      </button>
    </div>
  );
}

/** Fine-tuning controls of a layer with parameters: its frozen flag and "Freeze up to here". */
function FreezeControls({ nodeId, frozen }: { nodeId: string; frozen: boolean }) {
  const { store } = useEditor();
  const { t } = useTranslation();
  return (
    <div className="field freeze" title={t('inspector.frozenTitle')}>
      <label htmlFor="node-frozen">{t('inspector.frozen')}</label>
      <input id="node-frozen" name="frozen" type="checkbox" checked={frozen} onChange={(e) => store.setFrozen(nodeId, e.target.checked)} />
      <button className="freeze-up-to" onClick={() => store.freezeUpTo(nodeId)} title={t('inspector.freezeUpToTitle')}>
        {t('inspector.freezeUpTo')}
      </button>
    </div>
  );
}

export function Inspector({ state, analysis }: { state: EditorState; analysis: Analysis }) {
  const { store } = useEditor();
  const { t, i18n } = useTranslation();
  const sel = state.selection.nodes;
  if (sel.length !== 1) {
    const nodeProblems = analysis.problems.filter((p) => !p.nodeId);
    const used = trainedTotals(analysis);
    return (
      <div className="inspector">
        <h2>{t('inspector.network')}</h2>
        <label className="field">
          <span>{t('inspector.name')}</span>
          <input value={state.doc.name} onChange={(e) => store.setName(e.target.value)} onBlur={() => store.endMerge()} />
        </label>
        <p className="muted">{sel.length > 1 ? t('inspector.selected', { count: sel.length }) : t('inspector.selectHint')}</p>
        <p data-testid="network-params">
          {t('inspector.totals', { params: used.params, flops: short(used.flops) })}
        </p>
        {used.unused.params > 0 && (
          <div className="problem problem-warning" data-testid="unused-params">
            {t('inspector.unused', { params: used.unused.params, layers: used.unused.layers.join(', ') })}
          </div>
        )}
        <MemoryEstimate doc={state.doc} analysis={analysis} />
        {nodeProblems.map((p, i) => (
          <div key={i} className={`problem problem-${p.severity ?? 'error'}`}>{problemText(t, i18n, p)}</div>
        ))}
        {analysis.ok && <p className="ok">{t('inspector.ready')}</p>}
        <h3>{t('inspector.fineTune')}</h3>
        <ReplaceHead doc={state.doc} />
      </div>
    );
  }
  const node = state.doc.nodes.find((n) => n.id === sel[0]);
  const def = node && layerDef(node.type);
  if (!node || !def) return <div className="inspector" />;
  const problems = analysis.problems.filter((p) => p.nodeId === node.id);
  const ins = (analysis.inputsOf.get(node.id) ?? []).map((s) => (s ? analysis.shapes.get(s) : undefined));
  const out = analysis.shapes.get(node.id);
  const row = analysis.rows.find((r) => r.nodeId === node.id);
  return (
    <div className="inspector" data-node={node.id}>
      <h2>
        {t(`layer.${def.type}.label`, { defaultValue: def.label })} <span className="muted">{node.id}</span>
      </h2>
      <p className="help">{t(`layer.${def.type}.help`, { defaultValue: def.help })}</p>
      <label className="field">
        <span>{t('inspector.label')}</span>
        <input value={node.label ?? ''} placeholder={node.id} onChange={(e) => store.setLabel(node.id, e.target.value)} onBlur={() => store.endMerge()} />
      </label>
      {node.type !== 'Input' && node.type !== 'Output' && <FreezeControls nodeId={node.id} frozen={node.frozen === true} />}
      {headDense(state.doc) === node.id && <ReplaceHead doc={state.doc} />}
      {Object.entries(def.params).map(([name, spec]) => {
        const v: ParamValue = withDefaults(def, node.params)[name];
        const bad = problems.find((p) => p.param === name);
        const help = t(`layer.${def.type}.param.${name}`, { defaultValue: spec.help });
        return (
          <div key={name} className={`field${bad ? ' field-bad' : ''}`} title={help}>
            <label htmlFor={`param-${name}`} title={name}>
              {t(`paramName.${name}`, { defaultValue: name })}
              {(spec.kind === 'int' || spec.kind === 'float') && <span className="range"> {spec.min}–{spec.max}</span>}
            </label>
            {spec.kind === 'bool' ? (
              <input id={`param-${name}`} name={name} type="checkbox" checked={v === true} onChange={(e) => store.setParam(node.id, name, e.target.checked)} />
            ) : spec.kind === 'enum' ? (
              <select id={`param-${name}`} name={name} value={String(v)} onChange={(e) => store.setParam(node.id, name, e.target.value)}>
                {spec.options.map((o) => (
                  <option key={o} value={o}>{t(`option.${name}.${o}`, { defaultValue: o })}</option>
                ))}
              </select>
            ) : (
              <NumberField nodeId={node.id} name={name} spec={spec} value={Number(v)} />
            )}
            <div className="field-help">{help}</div>
          </div>
        );
      })}
      <h3>{t('inspector.shapes')}</h3>
      <table className="shapes">
        <tbody>
          {ins.map((s, i) => (
            <tr key={i}>
              <th>{ins.length > 1 ? t('inspector.inN', { n: i + 1 }) : t('inspector.in')}</th>
              <td>{s ? fmtShape(s) : '—'}</td>
            </tr>
          ))}
          <tr>
            <th>{t('inspector.out')}</th>
            <td className="out-shape">{out ? fmtShape(out) : '—'}</td>
          </tr>
          {row && (
            <tr>
              <th>{t('inspector.params')}</th>
              <td>
                {t('inspector.rowCost', { params: row.params, flops: short(row.flops) })}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {problems.map((p, i) => (
        <div key={i} className={`problem problem-${p.severity ?? 'error'}`}>
          {problemText(t, i18n, p)}
          {p.fix && (
            <button className="fix" onClick={() => store.applyFix(p)}>
              {fixLabel(p, t)}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
