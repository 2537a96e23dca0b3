// The editor window: toolbar, palette, canvas, inspector, summary; files and shortcuts.
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { EngineError, type EngineClient } from '../../engine/protocol.ts';
import { commandForKey, type CommandId } from '../commands.ts';
import { EditorStore, emptyDocument, type Fragment } from '../store/editor-store.ts';
import { TEMPLATES } from '../store/templates.ts';
import { TrainStore } from '../store/train-store.ts';
import { EvaluateView, ExportView, TryView } from './EvalViews.tsx';
import { TrainView } from './TrainView.tsx';
import { Canvas } from './Canvas.tsx';
import { Ctx, type EditorContext } from './context.ts';
import { ImportOnnxDialog } from './ImportOnnx.tsx';
import { FileDialog, HelpOverlay, QuestionDialog, type Question } from './Dialogs.tsx';
import { reloadKeepingWork, takeReopenPath, useCrashBackup } from './autosave.ts';
import { docKey, recallDataDir } from './dataset-choice.ts';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { useDesktopShell } from './desktop.ts';
import { Inspector } from './Inspector.tsx';
import { LearnPanel } from './learn/LearnPanel.tsx';
import { SideTabs } from './learn/SideTabs.tsx';
import { autoLayout } from './layout.ts';
import { Palette } from './Palette.tsx';
import { Summary } from './Summary.tsx';
import { LANGUAGES, setLanguage, type Language } from '../i18n/index.ts';
import { problemText } from '../i18n/problems.ts';
import { engineText } from '../i18n/errors.ts';
import { actionText } from '../i18n/actions.ts';

/** Set by vite's define: true only in the e2e tests' bundle. */
declare const __NETWRIGHT_TEST_HOOK__: boolean;

type View = 'design' | 'train' | 'evaluate' | 'try' | 'export';
const VIEWS: View[] = ['design', 'train', 'evaluate', 'try', 'export'];

type Dialog = { kind: 'open' } | { kind: 'import-onnx' } | { kind: 'save'; resolve(path: string | null): void } | { kind: 'help' } | null;

const basename = (p: string) => p.split(/[\\/]/).pop() ?? p;
const editable = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export function App({ client }: { client: EngineClient }) {
  const { t, i18n } = useTranslation();
  const store = useMemo(() => new EditorStore(emptyDocument(t('toolbar.untitled'))), []);
  const train = useMemo(() => new TrainStore(), []);
  const [view, setView] = useState<View>('design');
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const analysis = useMemo(() => store.analysis(), [store, state.doc]);
  const flow = useReactFlow();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  const [status, setStatus] = useState<{ message: string; kind: 'info' | 'error' } | null>(null);
  /** Why the wire being dragged cannot go to the port under the pointer (null: it can, or no drag). */
  const [wireHint, setWireHint] = useState<string | null>(null);
  /** The dataset named at launch (`serve --data`): the default for documents without a choice of their own. */
  const initialData = useRef<string | null>(null);
  const [showSummary, setShowSummary] = useState(true);
  /** The right-hand panel: the inspector or the Learn panel. */
  const [side, setSide] = useState<'inspector' | 'learn'>('inspector');
  const clipboard = useRef<Fragment | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const notify = useCallback((message: string, kind: 'info' | 'error' = 'info') => {
    setStatus({ message, kind });
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setStatus(null), kind === 'error' ? 6000 : 3000);
  }, []);
  /** A later good action clears an error still showing (a refused wire, a failed start). */
  const clearError = useCallback(() => setStatus((s) => (s?.kind === 'error' ? null : s)), []);
  const ctx = useMemo<EditorContext>(() => ({ store, client, notify, clearError, setWireHint }), [store, client, notify, clearError]);

  // Only in the e2e tests' bundle (engine/web/build.ts): the production build defines the flag
  // false and drops this, so the shipped page has no test hook.
  useEffect(() => {
    if (__NETWRIGHT_TEST_HOOK__) (window as unknown as { __netwright: unknown }).__netwright = { store, flow, train, client };
  }, [store, flow, train, client]);

  // Training events from the engine, the run in progress (if any), and the project the
  // engine was started with (npm start: the sample project and its dataset).
  // The dataset shown: the running run's (after a reload mid-run), else the one chosen for this
  // document (kept across reloads), else the one named at launch.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const off = client.onEvent((e) => train.handle(e));
    const reopen = takeReopenPath();
    void Promise.all([
      client.trainingStatus().catch(() => null),
      client.listRuns().catch(() => []),
      client.initialProject().catch(() => ({ doc: null, dataDir: null })),
      reopen ? client.openFile(reopen).catch(() => null) : Promise.resolve(null),
    ]).then(([st, runs, p, reopened]) => {
      if (st) train.loadStatus(st);
      train.setRuns(runs);
      initialData.current = p.dataDir;
      const doc = reopened ?? p.doc;
      if (doc && store.getState().doc.nodes.length === 0 && !store.getState().dirty) {
        store.open(doc.text, doc.path);
        fit();
      }
      const active = st && st.state !== 'idle' ? runs.find((r) => r.runId === st.runId) : undefined;
      train.setDataDir(active?.dataDir ?? recallDataDir(docKey(store.getState())) ?? p.dataDir);
      setReady(true);
    });
    return off;
  }, [client, train, store]);

  // Another document: the Train view is its own (no earlier run's curves), with its dataset.
  useEffect(() => {
    if (!ready || state.loads === 0) return;
    if (train.getState().runState !== 'idle') return;
    train.resetForDocument();
    train.setDataDir(recallDataDir(docKey(store.getState())) ?? initialData.current);
  }, [state.loads, ready]);

  // A refused wire's message goes with the next edit (a wire that worked, a move, a new layer).
  useEffect(() => setStatus((s) => (s?.kind === 'error' && s.message.startsWith(t('status.notConnected', { why: '' })) ? null : s)), [state.doc]);

  useEffect(() => {
    document.title = `${state.dirty ? '• ' : ''}${state.doc.name}${state.path ? ` (${basename(state.path)})` : ''} — Netwright`;
  }, [state.dirty, state.doc.name, state.path]);

  // Never lose unsaved changes by closing or reloading the tab.
  useEffect(() => {
    const h = (e: BeforeUnloadEvent) => {
      if (store.getState().dirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [store]);

  const ask = useCallback(
    (title: string, text: string, buttons: Question['buttons']) =>
      new Promise<string>((resolve) => setQuestion({ title, text, buttons, resolve: (v) => (setQuestion(null), resolve(v)) })),
    [],
  );

  const writeFile = useCallback(
    async (path: string, chosen: boolean): Promise<boolean> => {
      const doc = store.docFor(path);
      const text = store.serialize(doc);
      try {
        const r = await client.saveFile(path, text, { chosen }).catch(async (e: unknown) => {
          if (e instanceof EngineError && e.code === 'exists') {
            const v = await ask(t('question.replaceTitle'), t('question.replaceText', { name: basename(path) }), [
              { label: t('question.cancel'), value: 'cancel' },
              { label: t('question.replace'), value: 'replace', primary: true },
            ]);
            if (v === 'replace') return client.saveFile(path, text, { chosen, overwrite: true });
            return null;
          }
          throw e;
        });
        if (!r) return false;
        store.markSaved(r.path, doc);
        notify(t('status.saved', { path: r.path }));
        return true;
      } catch (e) {
        notify(t('status.notSaved', { error: engineText(t, i18n, e) }), 'error');
        return false;
      }
    },
    [store, client, ask, notify, t],
  );

  const saveAs = useCallback(async (): Promise<boolean> => {
    const path = await new Promise<string | null>((resolve) => setDialog({ kind: 'save', resolve }));
    setDialog(null);
    return path ? writeFile(path, true) : false;
  }, [writeFile]);

  const save = useCallback(async (): Promise<boolean> => {
    const p = store.getState().path;
    return p ? writeFile(p, false) : saveAs();
  }, [store, writeFile, saveAs]);

  /** Before replacing the document: true when it is safe to go on. */
  const confirmDiscard = useCallback(async (): Promise<boolean> => {
    const s = store.getState();
    if (!s.dirty) return true;
    const v = await ask(t('question.unsavedTitle'), t('question.unsavedText', { name: s.doc.name }), [
      { label: t('question.cancel'), value: 'cancel' },
      { label: t('question.dontSave'), value: 'discard' },
      { label: t('question.save'), value: 'save', primary: true },
    ]);
    if (v === 'save') return save();
    return v === 'discard';
  }, [store, ask, save, t]);

  useCrashBackup(client, store, state, ask, notify);
  const reload = useCallback(() => void reloadKeepingWork(client, store), [client, store]);

  // The canvas fits once the new nodes have been measured.
  const [fitRequest, setFitRequest] = useState(0);
  const fit = useCallback(() => setFitRequest((n) => n + 1), []);

  const newDoc = useCallback(async () => {
    if (await confirmDiscard()) (store.load(emptyDocument(t('toolbar.untitled')), null), fit());
  }, [confirmDiscard, store, fit, t]);

  const loadTemplate = useCallback(
    async (id: string) => {
      const tpl = TEMPLATES.find((x) => x.id === id);
      if (tpl && (await confirmDiscard())) {
        store.load(tpl.make(t(`template.${id}.name`)), null);
        fit();
      }
    },
    [confirmDiscard, store, fit, t],
  );

  const openPath = useCallback(
    async (path: string) => {
      setDialog(null);
      try {
        const f = await client.openFile(path);
        const problems = store.open(f.text, f.path);
        if (problems.length) notify(t('status.cannotOpen', { name: basename(path), error: problems.map((p) => problemText(t, i18n, p)).join('; ') }), 'error');
        else (notify(t('status.opened', { path: f.path })), fit());
      } catch (e) {
        notify(t('status.cannotOpen', { name: basename(path), error: engineText(t, i18n, e) }), 'error');
      }
    },
    [client, store, notify, fit, t, i18n],
  );

  const open = useCallback(async () => {
    if (await confirmDiscard()) setDialog({ kind: 'open' });
  }, [confirmDiscard]);

  const importOnnx = useCallback(async () => {
    if (await confirmDiscard()) setDialog({ kind: 'import-onnx' });
  }, [confirmDiscard]);

  /** Double-click in the palette: below the selected layer (wired to it), else in the middle of the view. */
  const addLayer = useCallback(
    (type: string) => {
      const s = store.getState();
      const from = s.selection.nodes.length === 1 ? store.node(s.selection.nodes[0]) : undefined;
      if (from && from.type !== 'Output' && type !== 'Input' && store.insertAfter(from.id, type)) return;
      const r = document.querySelector('.canvas')?.getBoundingClientRect();
      const c = flow.screenToFlowPosition(r ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : { x: 400, y: 300 });
      const pos = { x: c.x - 90, y: c.y - 25 };
      while (store.doc.nodes.some((n) => Math.abs(n.position.x - pos.x) < 30 && Math.abs(n.position.y - pos.y) < 30)) pos.y += 40;
      store.addNode(type, pos);
    },
    [store, flow],
  );

  const dropLayer = useCallback(
    (type: string, at: { x: number; y: number }) => {
      const p = flow.screenToFlowPosition(at);
      store.addNode(type, { x: p.x - 90, y: p.y - 20 });
    },
    [flow, store],
  );

  const layout = useCallback(async () => {
    const sizes = new Map(flow.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 200, height: n.measured?.height ?? 60 }]));
    store.moveNodes(await autoLayout(store.doc, sizes), 'auto-layout');
    fit();
  }, [flow, store, fit]);

  const copy = useCallback(() => {
    const f = store.copySelection();
    if (f) clipboard.current = f;
    return f;
  }, [store]);

  // One action per command of the registry (renderer/commands.ts): the native menu sends its id,
  // the key handler below looks the id up from the shortcut.
  const actions: Record<CommandId, () => void> = {
    new: () => void newDoc(),
    open: () => void open(),
    'import-onnx': () => void importOnnx(),
    save: () => void save(),
    'save-as': () => void saveAs(),
    undo: () => store.undo(),
    redo: () => store.redo(),
    cut: () => void (copy() && store.deleteSelection()),
    copy: () => void copy(),
    paste: () => void (clipboard.current && store.paste(clipboard.current)),
    duplicate: () => {
      const f = store.copySelection();
      if (f) store.paste(f);
    },
    delete: () => store.deleteSelection(),
    'select-all': () => store.selectAll(),
    'clear-selection': () => store.select({ nodes: [], edges: [] }),
    group: () => {
      const r = store.groupSelection(undefined, (k) => t('block.defaultName', { k }));
      notify('refused' in r ? t('status.notGrouped', { why: t(`groupRefusal.${r.key}`, r.params ?? {}) }) : t('status.grouped'), 'refused' in r ? 'error' : 'info');
    },
    ungroup: () => void (store.ungroupSelection() || notify(t('status.nothingToUngroup'), 'error')),
    'toggle-blocks': () => store.toggleSelectedBlocks(),
    'auto-layout': () => void layout(),
    'fit-view': fit,
    summary: () => setShowSummary((v) => !v),
    search: () => searchRef.current?.focus(),
    'train-start': () => setView('train'),
    'train-stop': () => void client.stopTraining().catch(() => undefined),
    shortcuts: () => setDialog({ kind: 'help' }),
    about: () => void client.info().then((i) => notify(t('status.about', { version: i.version }))),
  };
  const latestActions = useRef(actions);
  latestActions.current = actions;

  useDesktopShell(
    {
      commands: actions,
      openPath: (path: string) => void confirmDiscard().then((ok) => (ok ? openPath(path) : undefined)),
      engineLost: () => notify(t('status.engineLost'), 'error'),
    },
    state.dirty,
    state.doc.name,
  );

  // Shortcuts from the registry: 'global' ones also in text fields and on every view, 'design'
  // ones on the Design view outside text fields. A command without a key never matches.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (dialog || question) return;
      const c = commandForKey(e);
      if (!c) return;
      if (c.scope === 'design' && (editable(e.target) || view !== 'design')) return;
      // Copy and paste keep the browser's default too (nothing else listens to it on the canvas).
      if (c.id !== 'copy' && c.id !== 'paste' && c.id !== 'cut') e.preventDefault();
      latestActions.current[c.id]();
      // The e2e tests check each listed shortcut reaches its command (test bundle only).
      if (__NETWRIGHT_TEST_HOOK__) ((window as unknown as { __netwrightKeys?: string[] }).__netwrightKeys ??= []).push(c.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog, question, view]);

  const errors = analysis.problems.filter((p) => p.severity !== 'warning').length;
  const warnings = analysis.problems.length - errors;
  const global = analysis.problems.find((p) => !p.nodeId && !p.edgeId);
  return (
    <Ctx.Provider value={ctx}>
      <div className={`app${view === 'design' && side === 'learn' ? ' learn-open' : ''}`}>
        <header className="toolbar">
          <span className="brand">Netwright</span>
          <nav className="views" role="tablist">
            {VIEWS.map((v) => (
              <button key={v} role="tab" aria-selected={view === v} className={view === v ? 'on' : ''} onClick={() => setView(v)} data-view={v}>
                {t(`view.${v}`)}
              </button>
            ))}
          </nav>
          <span className="sep" />
          <button onClick={() => void newDoc()} title={t('toolbar.newTitle')}>{t('toolbar.new')}</button>
          <button onClick={() => void open()} title={t('toolbar.openTitle')}>{t('toolbar.open')}</button>
          <button onClick={() => void importOnnx()} title={t('toolbar.importOnnxTitle')}>{t('toolbar.importOnnx')}</button>
          <button onClick={() => void save()} title={t('toolbar.saveTitle')}>{t('toolbar.save')}</button>
          <button onClick={() => void saveAs()} title={t('toolbar.saveAsTitle')}>{t('toolbar.saveAs')}</button>
          <select aria-label={t('toolbar.templates')} value="" onChange={(e) => void loadTemplate(e.target.value)} title={t('toolbar.templatesTitle')}>
            <option value="" disabled>
              {t('toolbar.templatesPlaceholder')}
            </option>
            {TEMPLATES.map((x) => (
              <option key={x.id} value={x.id} title={t(`template.${x.id}.help`)}>
                {t(`template.${x.id}.label`)}
              </option>
            ))}
          </select>
          <span className="sep" />
          <button onClick={() => store.undo()} disabled={!state.canUndo} title={t('toolbar.undoTitle', { what: state.undoAction ? actionText(t, state.undoAction) : '' })}>
            {t('toolbar.undo')}
          </button>
          <button onClick={() => store.redo()} disabled={!state.canRedo} title={t('toolbar.redoTitle', { what: state.redoAction ? actionText(t, state.redoAction) : '' })}>
            {t('toolbar.redo')}
          </button>
          <span className="sep" />
          <button onClick={() => void layout()} title={t('toolbar.layoutTitle')}>{t('toolbar.layout')}</button>
          <button onClick={fit} title={t('toolbar.fitTitle')}>{t('toolbar.fit')}</button>
          <button onClick={() => setShowSummary((v) => !v)} title={t('toolbar.summaryTitle')} className={showSummary ? 'on' : ''}>
            {t('toolbar.summary')}
          </button>
          <button onClick={() => setDialog({ kind: 'help' })} title={t('toolbar.helpTitle')}>
            ?
          </button>
          <select className="language" aria-label={t('language.label')} title={t('language.label')} data-testid="language" value={i18n.language} onChange={(e) => setLanguage(i18n, e.target.value as Language)}>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>{t(`language.${l}`)}</option>
            ))}
          </select>
          <span className="doc-title" data-testid="doc-title">
            {state.dirty && <span className="dirty" title={t('toolbar.unsaved')}>● </span>}
            {state.doc.name}
            {state.path && <span className="muted"> — {state.path}</span>}
          </span>
        </header>
        {view === 'design' ? (
          <ErrorBoundary key="design" view={t('view.design')} onReload={reload}>
            <Palette onAdd={addLayer} onDrop={dropLayer} searchRef={searchRef} />
            <main className="main">
              <Canvas state={state} analysis={analysis} fitRequest={fitRequest} />
              {showSummary && <Summary analysis={analysis} onSelect={(id) => store.select({ nodes: [id], edges: [] })} />}
            </main>
            <aside className="side">
              <SideTabs side={side} onSide={setSide} />
              {side === 'learn' ? <LearnPanel state={state} analysis={analysis} train={train} /> : <Inspector state={state} analysis={analysis} />}
            </aside>
          </ErrorBoundary>
        ) : (
          <div className="views-area">
            <ErrorBoundary key={view} view={t(`view.${view}`)} onReload={reload}>
              {view === 'train' && <TrainView train={train} />}
              {view === 'evaluate' && <EvaluateView train={train} />}
              {view === 'try' && <TryView train={train} />}
              {view === 'export' && <ExportView train={train} />}
            </ErrorBoundary>
          </div>
        )}
        <footer className="statusbar">
          <span className={errors ? 'st-error' : 'st-ok'} data-testid="problem-count">
            {errors ? t('status.errors', { count: errors }) : analysis.ok ? t('status.readyToTrain') : t('status.noErrors')}
            {warnings ? t('status.warnings', { count: warnings }) : ''}
          </span>
          {global && <span className="st-global">{problemText(t, i18n, global)}</span>}
          <span>
            {t('status.counts', { layers: state.doc.nodes.length, connections: state.doc.edges.length })}
          </span>
          {wireHint ? (
            <span className="st-msg st-error" role="status" data-testid="wire-hint">{t('status.cannotConnect', { why: wireHint })}</span>
          ) : (
            status && <span className={`st-msg st-${status.kind}`} role="status">{status.message}</span>
          )}
        </footer>
        {dialog?.kind === 'open' && <FileDialog mode="open" initialName="" onPick={(p) => void openPath(p)} onClose={() => setDialog(null)} />}
        {dialog?.kind === 'save' && (
          <FileDialog
            mode="save"
            initialName={state.path ? basename(state.path) : `${state.doc.name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'network'}.json`}
            onPick={(p) => dialog.resolve(p)}
            onClose={() => dialog.resolve(null)}
          />
        )}
        {dialog?.kind === 'import-onnx' && (
          <ImportOnnxDialog
            onClose={() => setDialog(null)}
            onImported={(r) => {
              setDialog(null);
              const problems = store.open(r.text, r.path);
              if (problems.length) notify(t('status.cannotOpen', { name: basename(r.path), error: problems.map((p) => problemText(t, i18n, p)).join('; ') }), 'error');
              else (notify(t(r.open ? 'status.importedOpen' : 'status.imported', { layers: r.layers, params: r.params })), fit());
            }}
          />
        )}
        {dialog?.kind === 'help' && <HelpOverlay onClose={() => setDialog(null)} />}
        {question && <QuestionDialog q={question} />}
      </div>
    </Ctx.Provider>
  );
}
