// The editor's state for one open document: the document, its analysis (shape inference, cached
// per document version), the selection, the file it came from, and undo/redo. Pure TypeScript:
// no DOM, no React, so node:test can drive it. Every edit is one function that returns a new
// document; history keeps whole documents (they share everything an edit did not touch).
import { FORMAT, FORMAT_VERSION, documentSchema, parseDocument, type DocEdge, type DocNode, type NetworkDocument } from '../../engine/graph/document.ts';
import { blockConnected, nodeParams, type DocBlock } from '../../engine/graph/document.ts';
import { shiftBelowBlock as shiftBelow } from '../../engine/graph/blocks.ts';
import { inferShapes, type Analysis } from '../../engine/graph/infer.ts';
import { withDefaults, type ParamValue, type Problem } from '../../engine/graph/layer.ts';
import { layerDef } from '../../engine/graph/registry.ts';
import { isAbsolutePath, rebaseRelative } from '../../engine/graph/relative-path.ts';
import { newWireProblem } from '../../engine/graph/wiring.ts';
import { freezeUpTo, replaceHead, setFrozen } from '../../engine/graph/finetune.ts';

export interface Selection {
  nodes: string[];
  edges: string[];
}

export interface EditorState {
  doc: NetworkDocument;
  selection: Selection;
  /** File the document was opened from or last saved to. */
  path: string | null;
  /** True when the document differs from what was last opened or saved. */
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
  /** The edit undo would revert, e.g. set-param filters (shown as `history.<key>`: renderer/i18n/actions.ts). */
  undoAction?: EditAction;
  redoAction?: EditAction;
  /** Counts documents loaded (new, open, template, restore): views that belong to a document reset on it. */
  loads: number;
}

/** Every kind of undoable edit: the Undo/Redo buttons show `history.<key>` in the UI's language. */
export const HISTORY_KEYS = [
  'add', 'insert', 'connect', 'delete-layers', 'delete-connection', 'move', 'auto-layout', 'set-param', 'rename-layer',
  'freeze', 'unfreeze', 'freeze-up-to', 'replace-head', 'rename-network', 'training-settings', 'paste',
  'group', 'ungroup', 'collapse', 'expand', 'collapse-blocks', 'expand-blocks', 'rename-block',
] as const;
export type HistoryKey = (typeof HISTORY_KEYS)[number];

/** What one undoable edit did: its key and values (`type`: a layer kind, `param`: a parameter name, `count`, `name`). */
export interface EditAction {
  key: HistoryKey;
  params?: { type?: string; param?: string; count?: number; name?: string };
}

/** Why grouping was refused: `groupRefusal.<key>` in the UI's language; `refused` is the English text. */
export type GroupRefusal = { refused: string; key: 'too-few' | 'in-block' | 'not-connected'; params?: { layer: string; block: string } };

interface Entry {
  doc: NetworkDocument;
  action: EditAction;
}

/** A piece of a document on the clipboard. */
export interface Fragment {
  nodes: DocNode[];
  edges: DocEdge[];
}

export const NODE_SPACING = 90;
/** A layer's box on the canvas as the store reckons it (nodes are 180 px wide; a badge makes them taller). */
export const NODE_BOX = { width: 180, height: 80 };
const GAP = 30;
const HISTORY_LIMIT = 500;

/**
 * What training uses: the layers that lead to the output head. A branch that reaches no output is
 * never trained, so its parameters are counted apart (`unused`), not in the total.
 */
export function trainedTotals(a: Analysis): { params: number; flops: number; unused: { params: number; layers: string[] } } {
  const live = new Set<string>();
  if (a.outputId && a.shapes.has(a.outputId)) {
    const stack = [a.outputId];
    live.add(a.outputId);
    while (stack.length) for (const s of a.inputsOf.get(stack.pop()!) ?? []) if (s && !live.has(s)) live.add(s), stack.push(s);
  }
  const out = { params: 0, flops: 0, unused: { params: 0, layers: [] as string[] } };
  for (const r of a.rows) {
    if (live.has(r.nodeId) || !a.outputId) (out.params += r.params), (out.flops += r.flops);
    else if (r.params > 0) (out.unused.params += r.params), out.unused.layers.push(r.name);
  }
  return out;
}

export function emptyDocument(name = 'untitled'): NetworkDocument {
  return documentSchema.parse({ format: FORMAT, version: FORMAT_VERSION, name, nodes: [], edges: [] });
}

export class EditorStore {
  private past: Entry[] = [];
  private future: Entry[] = [];
  private saved: NetworkDocument;
  /** Consecutive edits with the same merge key (typing into one field) make one undo step. */
  private mergeKey: string | null = null;
  private listeners = new Set<() => void>();
  private cache: { doc: NetworkDocument; analysis: Analysis } | null = null;
  private state: EditorState;
  /** How long the last shape inference took (ms), for the benchmark. */
  lastAnalysisMs = 0;

  constructor(doc: NetworkDocument = emptyDocument(), path: string | null = null) {
    this.saved = doc;
    this.state = { doc, selection: { nodes: [], edges: [] }, path, dirty: false, canUndo: false, canRedo: false, loads: 0 };
  }

  // ---- reading ----

  getState = (): EditorState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  get doc(): NetworkDocument {
    return this.state.doc;
  }

  /** Shape inference of the current document (computed once per document version). */
  analysis(): Analysis {
    if (this.cache?.doc !== this.state.doc) {
      const t0 = performance.now();
      this.cache = { doc: this.state.doc, analysis: inferShapes(this.state.doc) };
      this.lastAnalysisMs = performance.now() - t0;
    }
    return this.cache.analysis;
  }

  node(id: string): DocNode | undefined {
    return this.state.doc.nodes.find((n) => n.id === id);
  }

  /** Why a connection cannot be made (the engine's wiring rule and message), or null when it can. Checked while the user drags a wire. */
  /** Why a wire from `source` into input `port` of `target` cannot be added (the engine's problem), or null. */
  connectionProblem(source: string, target: string, port: number): Problem | null {
    return newWireProblem(this.state.doc, { source, target, targetPort: port });
  }

  private paramsOf(n: DocNode) {
    return nodeParams(n);
  }

  // ---- history ----

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  private set(patch: Partial<EditorState>): void {
    const next = { ...this.state, ...patch };
    next.dirty = next.doc !== this.saved;
    next.canUndo = this.past.length > 0;
    next.canRedo = this.future.length > 0;
    next.undoAction = this.past.at(-1)?.action;
    next.redoAction = this.future.at(-1)?.action;
    this.state = next;
    this.emit();
  }

  /** Records an edit: the current document goes on the undo stack. */
  private commit(action: EditAction, doc: NetworkDocument, opts: { merge?: string; selection?: Selection } = {}): void {
    if (doc === this.state.doc) return;
    doc = tidyBlocks(doc);
    if (!(opts.merge && opts.merge === this.mergeKey && this.past.length)) {
      this.past.push({ doc: this.state.doc, action });
      if (this.past.length > HISTORY_LIMIT) this.past.shift();
    }
    this.mergeKey = opts.merge ?? null;
    this.future = [];
    const ids = new Set(doc.nodes.map((n) => n.id));
    const eids = new Set(doc.edges.map((e) => e.id));
    const sel = opts.selection ?? this.state.selection;
    this.set({ doc, selection: { nodes: sel.nodes.filter((x) => ids.has(x)), edges: sel.edges.filter((x) => eids.has(x)) } });
  }

  undo(): void {
    const e = this.past.pop();
    if (!e) return;
    this.future.push({ doc: this.state.doc, action: e.action });
    this.mergeKey = null;
    this.set({ doc: e.doc, selection: this.keepSelection(e.doc) });
  }

  redo(): void {
    const e = this.future.pop();
    if (!e) return;
    this.past.push({ doc: this.state.doc, action: e.action });
    this.mergeKey = null;
    this.set({ doc: e.doc, selection: this.keepSelection(e.doc) });
  }

  private keepSelection(doc: NetworkDocument): Selection {
    const ids = new Set(doc.nodes.map((n) => n.id));
    const eids = new Set(doc.edges.map((e) => e.id));
    return { nodes: this.state.selection.nodes.filter((x) => ids.has(x)), edges: this.state.selection.edges.filter((x) => eids.has(x)) };
  }

  /** Ends typing-merge: the next edit is its own undo step. */
  endMerge(): void {
    this.mergeKey = null;
  }

  // ---- documents and files ----

  /** Replaces the document (new, open, template): a fresh history, clean unless `dirty`. */
  load(doc: NetworkDocument, path: string | null, o: { dirty?: boolean } = {}): void {
    this.past = [];
    this.future = [];
    this.mergeKey = null;
    this.saved = o.dirty ? emptyDocument() : doc;
    this.set({ doc, path, selection: { nodes: [], edges: [] }, loads: this.state.loads + 1 });
  }

  /** Parses a file's text and loads it; returns the load problems (none when it opened). */
  open(text: string, path: string | null): Problem[] {
    const r = parseDocument(text);
    if (!r.ok) return r.problems;
    this.load(r.doc, path);
    return [];
  }

  serialize(doc: NetworkDocument = this.state.doc): string {
    return `${JSON.stringify(doc, null, 2)}\n`;
  }

  /**
   * The document as it must be written to `path`: a relative `weights` file (an imported model's)
   * is rewritten to be found from `path`'s folder too (Save as into another folder).
   */
  docFor(path: string): NetworkDocument {
    const { doc, path: from } = this.state;
    if (!doc.weights || !from || from === path || !isAbsolutePath(from) || !isAbsolutePath(path)) return doc;
    return { ...doc, weights: rebaseRelative(doc.weights, from, path) };
  }

  /** The document as it was serialized has been written to `path`. */
  markSaved(path: string, doc: NetworkDocument = this.state.doc): void {
    this.saved = doc;
    const weights = doc.weights;
    if (weights !== this.state.doc.weights) {
      // Save as moved the weights reference: the open document and its history follow it.
      const fix = (e: Entry) => (e.doc.weights ? { ...e, doc: { ...e.doc, weights } } : e);
      this.past = this.past.map(fix);
      this.future = this.future.map(fix);
      this.set({ path, doc: { ...this.state.doc, weights } });
    } else this.set({ path });
  }

  // ---- selection (not an edit: no undo step) ----

  select(selection: Selection): void {
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (same(selection.nodes, this.state.selection.nodes) && same(selection.edges, this.state.selection.edges)) return;
    this.set({ selection });
  }

  selectAll(): void {
    this.set({ selection: { nodes: this.state.doc.nodes.map((n) => n.id), edges: this.state.doc.edges.map((e) => e.id) } });
  }

  // ---- edits ----

  private freshId(base: string, taken: Set<string>): string {
    const stem = base.toLowerCase().replace(/[^a-z0-9]+/g, '') || 'node';
    for (let i = 1; ; i++) {
      const id = `${stem}${i}`;
      if (!taken.has(id)) return id;
    }
  }

  private freshEdgeId(taken: Set<string>): string {
    for (let i = this.state.doc.edges.length + 1; ; i++) if (!taken.has(`e${i}`)) return `e${i}`;
  }

  addNode(type: string, position: { x: number; y: number }): string {
    const def = layerDef(type);
    if (!def) throw new Error(`unknown layer type ${type}`);
    const id = this.freshId(type, new Set(this.state.doc.nodes.map((n) => n.id)));
    const params = withDefaults(def);
    const node: DocNode = { id, type, params, position: { x: Math.round(position.x), y: Math.round(position.y) } };
    this.commit({ key: 'add', params: { type } }, { ...this.state.doc, nodes: [...this.state.doc.nodes, node] }, { selection: { nodes: [id], edges: [] } });
    return id;
  }

  /** Connects `source` to input `port` of `target`; returns the edge id, or the reason it was refused. */
  connect(source: string, target: string, port = 0): { id: string } | { refused: string; problem: Problem } {
    const why = this.connectionProblem(source, target, port);
    if (why) return { refused: why.message, problem: why };
    const id = this.freshEdgeId(new Set(this.state.doc.edges.map((e) => e.id)));
    this.commit({ key: 'connect' }, { ...this.state.doc, edges: [...this.state.doc.edges, { id, source, target, targetPort: port }] });
    return { id };
  }

  /** Deletes nodes (with their edges) and edges. */
  remove(nodeIds: string[], edgeIds: string[] = []): void {
    const nodes = new Set(nodeIds);
    const edges = new Set(edgeIds);
    const doc = this.state.doc;
    const keptEdges = doc.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target));
    if (keptEdges.length === doc.edges.length && !doc.nodes.some((n) => nodes.has(n.id))) return;
    const what: EditAction = nodeIds.length ? { key: 'delete-layers', params: { count: nodeIds.length } } : { key: 'delete-connection' };
    this.commit(what, { ...doc, nodes: doc.nodes.filter((n) => !nodes.has(n.id)), edges: keptEdges }, { selection: { nodes: [], edges: [] } });
  }

  deleteSelection(): void {
    this.remove(this.state.selection.nodes, this.state.selection.edges);
  }

  /** Moves nodes (the end of a drag, or a layout): one undo step. */
  moveNodes(positions: Record<string, { x: number; y: number }>, key: 'move' | 'auto-layout' = 'move'): void {
    let changed = false;
    const nodes = this.state.doc.nodes.map((n) => {
      const p = positions[n.id];
      if (!p) return n;
      const pos = { x: Math.round(p.x), y: Math.round(p.y) };
      if (pos.x === n.position.x && pos.y === n.position.y) return n;
      changed = true;
      return { ...n, position: pos };
    });
    if (changed) this.commit({ key }, { ...this.state.doc, nodes });
  }

  /** Sets one parameter; consecutive changes of the same field merge into one undo step. */
  setParam(nodeId: string, param: string, value: ParamValue, o: { merge?: boolean } = {}): void {
    const n = this.node(nodeId);
    if (!n || n.params[param] === value) return;
    const nodes = this.state.doc.nodes.map((x) => (x.id === nodeId ? { ...x, params: { ...x.params, [param]: value } } : x));
    let edges = this.state.doc.edges;
    if (param === 'inputs' && typeof value === 'number') edges = edges.filter((e) => e.target !== nodeId || e.targetPort < value);
    this.commit({ key: 'set-param', params: { param } }, { ...this.state.doc, nodes, edges }, { merge: o.merge ? `${nodeId}.${param}` : undefined });
  }

  setLabel(nodeId: string, label: string): void {
    const n = this.node(nodeId);
    const next = label.trim() || undefined;
    if (!n || n.label === next) return;
    const nodes = this.state.doc.nodes.map((x) => {
      if (x.id !== nodeId) return x;
      const { label: _old, ...rest } = x;
      return next ? { ...rest, label: next } : rest;
    });
    this.commit({ key: 'rename-layer' }, { ...this.state.doc, nodes }, { merge: `${nodeId}.label` });
  }

  /** Fine-tuning: freezes or unfreezes one layer (nodes[].frozen). */
  setFrozen(nodeId: string, frozen: boolean): void {
    const n = this.node(nodeId);
    if (!n || (n.frozen === true) === frozen) return;
    this.commit({ key: frozen ? 'freeze' : 'unfreeze' }, setFrozen(this.state.doc, nodeId, frozen));
  }

  /** "Freeze up to here": the layer and every layer upstream of it, one undo step. */
  freezeUpTo(nodeId: string): void {
    if (!this.node(nodeId)) return;
    const doc = freezeUpTo(this.state.doc, nodeId);
    if (doc.nodes.every((n, i) => n === this.state.doc.nodes[i])) return;
    this.commit({ key: 'freeze-up-to' }, doc);
  }

  /**
   * "Replace head": the last Dense (feeding the Output) gets `classes` fresh units under a new
   * id (no imported weights apply to it), not frozen; selected afterwards. Returns its id, or
   * null when the network has no such Dense.
   */
  replaceHead(classes: number): string | null {
    let r;
    try {
      r = replaceHead(this.state.doc, classes);
    } catch {
      return null;
    }
    this.commit({ key: 'replace-head' }, r.doc, { selection: { nodes: [r.head], edges: [] } });
    return r.head;
  }

  setName(name: string): void {
    if (name === this.state.doc.name) return;
    this.commit({ key: 'rename-network' }, { ...this.state.doc, name }, { merge: 'doc.name' });
  }

  /** Training settings (optimizer, rate, schedule, batch, epochs, seed…): typing into one field is one undo step. */
  setTraining(patch: Partial<NetworkDocument['training']>): void {
    const training = { ...this.state.doc.training, ...patch };
    for (const k of Object.keys(patch) as (keyof typeof patch)[]) if (patch[k] === undefined) delete training[k];
    this.commit({ key: 'training-settings' }, { ...this.state.doc, training }, { merge: `training.${Object.keys(patch).join(',')}` });
  }

  /** Applies a problem's one-click fix. Returns false when the problem has none. */
  applyFix(problem: Problem): boolean {
    const fix = problem.fix;
    if (!fix || !problem.nodeId) return false;
    if (fix.kind === 'set-param') {
      this.setParam(problem.nodeId, fix.param, fix.value);
      return true;
    }
    return this.insertBefore(problem.nodeId, fix.layer) !== null;
  }

  /** Inserts a new layer on input 0 of `nodeId`, moving that node and everything below it down. */
  insertBefore(nodeId: string, type: string): string | null {
    const doc = this.state.doc;
    const target = this.node(nodeId);
    const def = layerDef(type);
    if (!target || !def) return null;
    const edge = doc.edges.find((e) => e.target === nodeId && e.targetPort === 0);
    const id = this.freshId(type, new Set(doc.nodes.map((n) => n.id)));
    const params = withDefaults(def);
    // Make room: the target and everything downstream of it move down one row.
    const below = new Set<string>([nodeId]);
    const stack = [nodeId];
    while (stack.length) {
      const x = stack.pop()!;
      for (const e of doc.edges) if (e.source === x && !below.has(e.target)) below.add(e.target), stack.push(e.target);
    }
    const nodes = doc.nodes.map((n) => (below.has(n.id) ? { ...n, position: { x: n.position.x, y: n.position.y + NODE_SPACING } } : n));
    nodes.push({ id, type, params, position: { ...target.position } });
    const taken = new Set(doc.edges.map((e) => e.id));
    const edges = doc.edges.filter((e) => e !== edge);
    if (edge) {
      const a = this.freshEdgeId(taken);
      taken.add(a);
      edges.push({ id: a, source: edge.source, target: id, targetPort: 0 });
    }
    edges.push({ id: this.freshEdgeId(taken), source: id, target: nodeId, targetPort: 0 });
    this.commit({ key: 'insert', params: { type } }, { ...doc, nodes, edges }, { selection: { nodes: [id], edges: [] } });
    return id;
  }

  /**
   * Adds a layer after `fromId` (the double-click with one layer selected). With one successor,
   * the new layer goes between them: wired in, the successor and everything below it one row down.
   * Otherwise (no successor, or a branch point) it goes below, wired from `fromId`, moved aside
   * until it covers no other layer. One undo step either way.
   */
  insertAfter(fromId: string, type: string): string | null {
    const doc = this.state.doc;
    const from = this.node(fromId);
    const def = layerDef(type);
    if (!from || !def || from.type === 'Output' || type === 'Input') return null;
    const id = this.freshId(type, new Set(doc.nodes.map((n) => n.id)));
    const params = withDefaults(def);
    const outs = doc.edges.filter((e) => e.source === fromId);
    const taken = new Set(doc.edges.map((e) => e.id));
    const edgeId = () => {
      const e = this.freshEdgeId(taken);
      taken.add(e);
      return e;
    };
    const ports = def.inputs(this.paramsOf({ id, type, params, position: from.position }));
    let nodes = doc.nodes;
    let edges = doc.edges;
    const pos = { x: from.position.x, y: from.position.y + NODE_SPACING };
    if (outs.length === 1 && type !== 'Output' && ports >= 1) {
      const next = outs[0];
      const below = new Set<string>([next.target]);
      const stack = [next.target];
      while (stack.length) {
        const x = stack.pop()!;
        for (const e of doc.edges) if (e.source === x && !below.has(e.target)) below.add(e.target), stack.push(e.target);
      }
      nodes = nodes.map((n) => (below.has(n.id) ? { ...n, position: { x: n.position.x, y: n.position.y + NODE_SPACING } } : n));
      edges = edges.filter((e) => e !== next);
      edges = [...edges, { id: edgeId(), source: fromId, target: id, targetPort: 0 }, { id: edgeId(), source: id, target: next.target, targetPort: next.targetPort }];
    } else {
      const clear = (p: { x: number; y: number }) => !nodes.some((n) => Math.abs(n.position.x - p.x) < NODE_BOX.width + GAP && Math.abs(n.position.y - p.y) < NODE_BOX.height);
      while (!clear(pos)) pos.x += NODE_BOX.width + GAP;
      if (ports >= 1) edges = [...edges, { id: edgeId(), source: fromId, target: id, targetPort: 0 }];
    }
    nodes = [...nodes, { id, type, params, position: pos }];
    this.commit({ key: 'add', params: { type } }, { ...doc, nodes, edges }, { selection: { nodes: [id], edges: [] } });
    return id;
  }

  /** The selected nodes and the edges between them. */
  copySelection(): Fragment | null {
    const ids = new Set(this.state.selection.nodes);
    if (!ids.size) return null;
    return {
      nodes: this.state.doc.nodes.filter((n) => ids.has(n.id)),
      edges: this.state.doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    };
  }

  /**
   * Where a fragment can go without covering any layer: beside it to the right (the nearest free
   * column), so copies and their badges never sit on top of other nodes.
   */
  freeOffset(f: Fragment): { x: number; y: number } {
    const others = this.state.doc.nodes;
    const xs = f.nodes.map((n) => n.position.x);
    const width = Math.max(...xs) - Math.min(...xs) + NODE_BOX.width;
    const hits = (dx: number, dy: number) =>
      f.nodes.some((a) =>
        others.some(
          (b) => Math.abs(a.position.x + dx - b.position.x) < NODE_BOX.width + GAP && Math.abs(a.position.y + dy - b.position.y) < NODE_BOX.height + GAP,
        ),
      );
    for (let dx = Math.min(width + GAP, NODE_BOX.width + GAP); dx < 40000; dx += 40) if (!hits(dx, 0)) return { x: dx, y: 0 };
    return { x: 40, y: 40 };
  }

  /** Pastes a fragment with fresh ids, shifted by `offset` (default: to free space); the pasted nodes become the selection. */
  paste(f: Fragment, offset?: { x: number; y: number }): string[] {
    if (!f.nodes.length) return [];
    offset ??= this.freeOffset(f);
    const doc = this.state.doc;
    const taken = new Set(doc.nodes.map((n) => n.id));
    const map = new Map<string, string>();
    const nodes = f.nodes.map((n) => {
      const id = this.freshId(n.type, taken);
      taken.add(id);
      map.set(n.id, id);
      return { ...n, id, params: { ...n.params }, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } };
    });
    const etaken = new Set(doc.edges.map((e) => e.id));
    const edges = f.edges
      .filter((e) => map.has(e.source) && map.has(e.target))
      .map((e) => {
        const id = this.freshEdgeId(etaken);
        etaken.add(id);
        return { ...e, id, source: map.get(e.source)!, target: map.get(e.target)! };
      });
    const ids = nodes.map((n) => n.id);
    this.commit({ key: 'paste', params: { count: nodes.length } }, { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] }, { selection: { nodes: ids, edges: [] } });
    return ids;
  }

  // ---- blocks (display only: docs/format.md, "Blocks") ----

  blockOf(nodeId: string): DocBlock | undefined {
    return this.state.doc.blocks?.find((b) => b.nodes.includes(nodeId));
  }

  /** The blocks with at least one selected node. */
  selectedBlocks(): DocBlock[] {
    const sel = new Set(this.state.selection.nodes);
    return (this.state.doc.blocks ?? []).filter((b) => b.nodes.some((id) => sel.has(id)));
  }

  /** Groups the selected layers into a new collapsed block: one undo step. */
  groupSelection(name?: string, defaultName: (k: number) => string = (k) => `Block ${k}`): { id: string } | GroupRefusal {
    const doc = this.state.doc;
    const ids = doc.nodes.map((n) => n.id).filter((id) => this.state.selection.nodes.includes(id));
    if (ids.length < 2) return { refused: 'select at least two connected layers to group', key: 'too-few' };
    for (const id of ids) {
      const b = this.blockOf(id);
      if (b) return { refused: `${this.node(id)?.label ?? id} is already in block “${b.name}”; ungroup it first`, key: 'in-block', params: { layer: this.node(id)?.label ?? id, block: b.name } };
    }
    if (!blockConnected(ids, doc.edges)) return { refused: 'the selected layers are not connected to each other', key: 'not-connected' };
    const blocks = doc.blocks ?? [];
    const takenIds = new Set(blocks.map((b) => b.id));
    const takenNames = new Set(blocks.map((b) => b.name));
    let i = 1;
    while (takenIds.has(`block${i}`)) i++;
    let k = 1;
    while (takenNames.has(defaultName(k))) k++;
    const block: DocBlock = { id: `block${i}`, name: name?.trim() || defaultName(k), nodes: ids, collapsed: true };
    const next = shiftBelow({ ...doc, blocks: [...blocks, block] }, block, -1);
    this.commit({ key: 'group' }, next, { selection: { nodes: ids, edges: [] } });
    return { id: block.id };
  }

  /** Removes a block (its layers stay, shown one by one again): one undo step. */
  ungroup(blockId: string): void {
    const doc = this.state.doc;
    const b = doc.blocks?.find((x) => x.id === blockId);
    if (!b) return;
    const opened = b.collapsed ? shiftBelow(doc, b, 1) : doc;
    this.commit({ key: 'ungroup', params: { count: 1 } }, withBlocks(opened, (opened.blocks ?? []).filter((x) => x.id !== blockId)), { selection: { nodes: [...b.nodes], edges: [] } });
  }

  /** Ungroups every block with a selected layer (one undo step); returns how many. */
  ungroupSelection(): number {
    const bs = this.selectedBlocks();
    if (!bs.length) return 0;
    let doc = this.state.doc;
    for (const b of bs) if (b.collapsed) doc = shiftBelow(doc, b, 1);
    const gone = new Set(bs.map((b) => b.id));
    this.commit({ key: 'ungroup', params: { count: bs.length } }, withBlocks(doc, (doc.blocks ?? []).filter((b) => !gone.has(b.id))));
    return bs.length;
  }

  /** Collapses or expands a block; the layers below it move to make (or take back) room. One undo step. */
  setBlockCollapsed(blockId: string, collapsed: boolean): void {
    const doc = this.state.doc;
    const b = doc.blocks?.find((x) => x.id === blockId);
    if (!b || b.collapsed === collapsed) return;
    const moved = shiftBelow(doc, b, collapsed ? -1 : 1);
    const blocks = (moved.blocks ?? []).map((x) => (x.id === blockId ? { ...x, collapsed } : x));
    this.commit({ key: collapsed ? 'collapse' : 'expand', params: { name: b.name } }, { ...moved, blocks });
  }

  /** Collapses the selected blocks, or expands them when they all are collapsed. */
  toggleSelectedBlocks(): void {
    const bs = this.selectedBlocks();
    if (!bs.length) return;
    const collapse = !bs.every((b) => b.collapsed);
    let doc = this.state.doc;
    for (const b of bs) {
      if (b.collapsed === collapse) continue;
      doc = shiftBelow(doc, b, collapse ? -1 : 1);
      doc = { ...doc, blocks: (doc.blocks ?? []).map((x) => (x.id === b.id ? { ...x, collapsed: collapse } : x)) };
    }
    this.commit({ key: collapse ? 'collapse-blocks' : 'expand-blocks' }, doc);
  }

  renameBlock(blockId: string, name: string): void {
    const next = name.trim();
    const b = this.state.doc.blocks?.find((x) => x.id === blockId);
    if (!b || !next || b.name === next) return;
    this.commit({ key: 'rename-block' }, { ...this.state.doc, blocks: this.state.doc.blocks!.map((x) => (x.id === blockId ? { ...x, name: next } : x)) }, { merge: `block.${blockId}.name` });
  }
}

/** After an edit: blocks lose nodes that are gone; a block left empty or in pieces is dropped. */
export function tidyBlocks(doc: NetworkDocument): NetworkDocument {
  if (!doc.blocks) return doc;
  const ids = new Set(doc.nodes.map((n) => n.id));
  let changed = false;
  const blocks: DocBlock[] = [];
  for (const b of doc.blocks) {
    const nodes = b.nodes.filter((id) => ids.has(id));
    if (nodes.length !== b.nodes.length) changed = true;
    if (!nodes.length || !blockConnected(nodes, doc.edges)) {
      changed = true;
      continue;
    }
    blocks.push(nodes.length === b.nodes.length ? b : { ...b, nodes });
  }
  return changed ? withBlocks(doc, blocks) : doc;
}

/** The document with these blocks; none: no `blocks` field. */
function withBlocks(doc: NetworkDocument, blocks: DocBlock[]): NetworkDocument {
  if (blocks.length) return { ...doc, blocks };
  const { blocks: _gone, ...rest } = doc;
  return rest;
}
