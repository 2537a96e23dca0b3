// Recognizes the repeated units of well-known image classifiers in a document so the editor can
// show each as one collapsed block: ResNet basic blocks and bottlenecks (convs with BatchNorm
// and ReLU between them, a residual Add, optionally a 1x1 downsample conv on the skip, then a
// ReLU) and MobileNetV2 inverted residuals (1x1 expand, depthwise, 1x1 linear projection, each
// with BatchNorm, ReLU6 (Clip) after the first two, and a residual Add when shapes allow).
// Pure: reads the graph's structure and params, never shapes; BatchNorm is optional everywhere
// (exporters that fold it into the conv still match).
import { nodeParams, type DocBlock, type DocNode, type NetworkDocument } from './document.ts';

type Doc = Pick<NetworkDocument, 'nodes' | 'edges' | 'blocks'>;

const ACTIVATIONS = new Set(['ReLU', 'Clip', 'ReLU6']);

class Graph {
  readonly byId: Map<string, DocNode>;
  /** Producer per input port of each node. */
  private readonly producers = new Map<string, string[]>();
  private readonly consumers = new Map<string, string[]>();

  constructor(doc: Doc) {
    this.byId = new Map(doc.nodes.map((n) => [n.id, n]));
    for (const e of doc.edges) {
      if (!this.byId.has(e.source) || !this.byId.has(e.target)) continue;
      const p = this.producers.get(e.target) ?? [];
      p[e.targetPort] = e.source;
      this.producers.set(e.target, p);
      this.consumers.set(e.source, [...(this.consumers.get(e.source) ?? []), e.target]);
    }
  }

  type = (id: string | undefined) => (id ? this.byId.get(id)?.type : undefined);
  params = (id: string) => nodeParams(this.byId.get(id)!);
  /** The producers of a node's inputs (ports without a wire left out). */
  inputs = (id: string) => (this.producers.get(id) ?? []).filter((x): x is string => !!x);
  /** The single producer of a one-input node, or undefined. */
  input = (id: string) => {
    const xs = this.inputs(id);
    return xs.length === 1 ? xs[0] : undefined;
  };
  outs = (id: string) => this.consumers.get(id) ?? [];
  /** Feeds exactly one node: it can sit inside a chain. */
  private = (id: string) => this.outs(id).length === 1;

  isConv(id: string | undefined, o: { depthwise?: boolean; kernel?: number } = {}): id is string {
    if (!id || this.type(id) !== 'Conv2D') return false;
    const p = this.params(id);
    const g = Number(p.groups);
    if (o.depthwise !== undefined && o.depthwise !== (g > 1 && g === Number(p.filters))) return false;
    if (!o.depthwise && g !== 1) return false;
    return o.kernel === undefined || Number(p.kernel) === o.kernel;
  }
  isAct = (id: string | undefined): id is string => !!id && ACTIVATIONS.has(this.type(id) ?? '');
}

/** Walking backward from `id`: a Conv (matching `o`) with an optional BatchNorm after it, every node private. */
function unitBack(g: Graph, id: string, o: Parameters<Graph['isConv']>[1] = {}): { nodes: string[]; from: string } | null {
  let conv = id;
  const nodes: string[] = [];
  if (g.type(id) === 'BatchNorm') {
    const p = g.input(id);
    if (!p || !g.private(p)) return null;
    nodes.push(id);
    conv = p;
  }
  if (!g.isConv(conv, o)) return null;
  const from = g.input(conv);
  if (!from) return null;
  return { nodes: [conv, ...nodes], from };
}

/** Walking forward from a conv: the conv and its BatchNorm (when it is the conv's only consumer). */
function unitForward(g: Graph, conv: string): string[] {
  const next = g.outs(conv);
  return next.length === 1 && g.type(next[0]) === 'BatchNorm' && g.inputs(next[0]).length === 1 ? [conv, next[0]] : [conv];
}

interface Found {
  kind: 'BasicBlock' | 'Bottleneck' | 'InvertedResidual';
  nodes: string[];
}

/**
 * The residual branch ending in `end`, back to `x`: units (conv [+ BN]) separated by private
 * ReLUs. Returns the nodes in forward order and the number of convs, or null.
 */
function branchBack(g: Graph, end: string, x: string): { nodes: string[]; convs: number } | null {
  const out: string[][] = [];
  let at = end;
  for (let convs = 1; convs <= 3; convs++) {
    if (!g.private(at)) return null;
    const u = unitBack(g, at);
    if (!u) return null;
    out.unshift(u.nodes);
    if (u.from === x) return { nodes: out.flat(), convs };
    if (!g.isAct(u.from) || !g.private(u.from)) return null;
    out.unshift([u.from]);
    const before = g.input(u.from);
    if (!before) return null;
    at = before;
  }
  return null;
}

function resnetAt(g: Graph, add: string): Found | null {
  if (g.type(add) !== 'Add') return null;
  const ins = g.inputs(add);
  if (ins.length !== 2 || !g.private(add)) return null;
  const relu = g.outs(add)[0];
  if (!g.isAct(relu) || g.inputs(relu).length !== 1) return null;
  for (const [main, skip] of [[ins[0], ins[1]], [ins[1], ins[0]]]) {
    // Identity skip: the block's input feeds the Add directly.
    const id = branchBack(g, main, skip);
    if (id && id.convs >= 2) return { kind: id.convs === 3 ? 'Bottleneck' : 'BasicBlock', nodes: [...id.nodes, add, relu] };
    // Downsample skip: a private 1x1 conv (+ BN) from the block's input.
    if (!g.private(skip)) continue;
    const ds = unitBack(g, skip, { kernel: 1 });
    if (!ds || !g.private(ds.nodes[0])) continue;
    const br = branchBack(g, main, ds.from);
    if (br && br.convs >= 2) return { kind: br.convs === 3 ? 'Bottleneck' : 'BasicBlock', nodes: [...br.nodes, ...ds.nodes, add, relu] };
  }
  return null;
}

function invertedAt(g: Graph, dw: string): Found | null {
  if (!g.isConv(dw, { depthwise: true })) return null;
  // Forward: depthwise [BN] act, 1x1 projection [BN].
  const mid = unitForward(g, dw);
  const last = mid.at(-1)!;
  if (!g.private(last)) return null;
  const act = g.outs(last)[0];
  if (!g.isAct(act) || !g.private(act)) return null;
  const proj = g.outs(act)[0];
  if (!g.isConv(proj, { kernel: 1 }) || g.inputs(proj).length !== 1) return null;
  const tail = unitForward(g, proj);
  // Backward: an optional 1x1 expansion [BN] act before the depthwise conv.
  let nodes = [...mid, act, ...tail];
  let x = g.input(dw);
  const a0 = x;
  if (a0 && g.isAct(a0) && g.private(a0)) {
    const before = g.input(a0);
    const exp = before && g.private(before) ? unitBack(g, before, { kernel: 1 }) : null;
    if (exp && g.private(exp.nodes[0])) {
      nodes = [...exp.nodes, a0, ...nodes];
      x = exp.from;
    }
  }
  // An Add of the block's input and the projection closes a residual.
  const end = tail.at(-1)!;
  const next = g.outs(end);
  if (x && next.length === 1 && g.type(next[0]) === 'Add') {
    const ins = g.inputs(next[0]);
    if (ins.length === 2 && ins.includes(end) && ins.includes(x)) nodes.push(next[0]);
  }
  return { kind: 'InvertedResidual', nodes };
}

/** Kahn's order, ties broken by document order: blocks are numbered from the input down. */
function topoOrder(doc: Doc): Map<string, number> {
  const index = new Map(doc.nodes.map((n, i) => [n.id, i]));
  const indeg = new Map(doc.nodes.map((n) => [n.id, 0]));
  const outs = new Map<string, string[]>();
  for (const e of doc.edges) {
    if (!index.has(e.source) || !index.has(e.target)) continue;
    indeg.set(e.target, indeg.get(e.target)! + 1);
    outs.set(e.source, [...(outs.get(e.source) ?? []), e.target]);
  }
  const ready = doc.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const order = new Map<string, number>();
  while (ready.length) {
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const id = ready.shift()!;
    order.set(id, order.size);
    for (const t of outs.get(id) ?? []) {
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) ready.push(t);
    }
  }
  for (const n of doc.nodes) if (!order.has(n.id)) order.set(n.id, order.size + index.get(n.id)!);
  return order;
}

/** The name the exporter gave the module, when all of the block's nodes share one (torchvision: layer1.0, features.3). */
function moduleName(nodes: DocNode[]): string | null {
  const patterns = [/layer(\d+)[._/-](\d+)(?!\d)/, /features[._/-](\d+)(?!\d)/];
  for (const re of patterns) {
    const names = nodes.map((n) => {
      const m = re.exec(n.label ?? '') ?? re.exec(n.id);
      return m ? (m.length === 3 ? `layer${m[1]}.${m[2]}` : `features.${m[1]}`) : null;
    });
    if (names[0] && names.every((x) => x === names[0])) return names[0];
  }
  return null;
}

/**
 * The ResNet and MobileNetV2 blocks of a document that are not already (partly) in one of its
 * blocks, collapsed, in order from the input, named after the exporter's module when the nodes
 * carry it (`layer1.0`), else by kind and number (`BasicBlock 1`, `InvertedResidual 3`).
 */
export function recognizeBlocks(doc: Doc): DocBlock[] {
  const g = new Graph(doc);
  const order = topoOrder(doc);
  const claimed = new Set((doc.blocks ?? []).flatMap((b) => b.nodes));
  const found: Found[] = [];
  const take = (f: Found | null) => {
    if (!f || f.nodes.some((n) => claimed.has(n)) || new Set(f.nodes).size !== f.nodes.length) return;
    for (const n of f.nodes) claimed.add(n);
    found.push(f);
  };
  const byOrder = [...doc.nodes].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  for (const n of byOrder) if (n.type === 'Add') take(resnetAt(g, n.id));
  for (const n of byOrder) if (n.type === 'Conv2D') take(invertedAt(g, n.id));
  found.sort((a, b) => Math.min(...a.nodes.map((x) => order.get(x)!)) - Math.min(...b.nodes.map((x) => order.get(x)!)));

  const ids = new Set((doc.blocks ?? []).map((b) => b.id));
  const counts = new Map<string, number>();
  const names = new Set((doc.blocks ?? []).map((b) => b.name));
  return found.map((f) => {
    const k = (counts.get(f.kind) ?? 0) + 1;
    counts.set(f.kind, k);
    const members = [...f.nodes].sort((a, b) => order.get(a)! - order.get(b)!);
    let name = moduleName(members.map((x) => g.byId.get(x)!)) ?? `${f.kind} ${k}`;
    if (names.has(name)) name = `${f.kind} ${k}`;
    names.add(name);
    let i = ids.size + 1;
    while (ids.has(`block${i}`)) i++;
    const id = `block${i}`;
    ids.add(id);
    return { id, name, nodes: members, collapsed: true };
  });
}

/**
 * The document with its recognized blocks added, collapsed; with `compact`, the layers below
 * each block move up by the room it no longer needs (as the editor does when it collapses one),
 * so the collapsed graph has no gaps and expanding a block in the editor restores the layout.
 */
export function withRecognizedBlocks<D extends Doc>(doc: D, o: { compact?: boolean } = {}): D {
  const found = recognizeBlocks(doc);
  if (!found.length) return doc;
  let out: D = { ...doc, blocks: [...(doc.blocks ?? []), ...found] };
  if (o.compact) for (const b of found) out = shiftBelowBlock(out, b, -1);
  return out;
}

// ---- canvas geometry of blocks (positions only; the editor shares these) ----

/** Estimated heights on the canvas (px): a layer node, a collapsed block node. */
export const LAYER_HEIGHT = 64;
export const BLOCK_HEIGHT = 84;

/** Bounding box of a block's members' positions (top-left corners). */
export function blockBox(doc: Pick<Doc, 'nodes'>, b: Pick<DocBlock, 'nodes'>): { x: number; y: number; maxX: number; maxY: number } {
  const set = new Set(b.nodes);
  let x = Infinity, y = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const n of doc.nodes) {
    if (!set.has(n.id)) continue;
    x = Math.min(x, n.position.x);
    y = Math.min(y, n.position.y);
    maxX = Math.max(maxX, n.position.x);
    maxY = Math.max(maxY, n.position.y);
  }
  return Number.isFinite(x) ? { x, y, maxX, maxY } : { x: 0, y: 0, maxX: 0, maxY: 0 };
}

/** How much taller a block is expanded than collapsed (estimated, px; 0 when not). */
export function expandedExtra(doc: Pick<Doc, 'nodes'>, b: Pick<DocBlock, 'nodes'>): number {
  const box = blockBox(doc, b);
  return Math.max(0, Math.round(box.maxY - box.y + LAYER_HEIGHT - BLOCK_HEIGHT));
}

/** Nodes reachable forward from `from` (not included themselves). */
export function downstream(doc: Pick<Doc, 'edges'>, from: Set<string>): Set<string> {
  const out = new Map<string, string[]>();
  for (const e of doc.edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length) for (const t of out.get(stack.pop()!) ?? []) if (!from.has(t) && !seen.has(t)) (seen.add(t), stack.push(t));
  return seen;
}

/**
 * Moves the layers below a block (everything its members feed, outside it) up (`dir` -1: it
 * collapses) or down (+1: it expands) by the height it gains expanded.
 */
export function shiftBelowBlock<D extends Doc>(doc: D, b: Pick<DocBlock, 'nodes'>, dir: 1 | -1): D {
  const dy = expandedExtra(doc, b) * dir;
  if (!dy) return doc;
  const below = downstream(doc, new Set(b.nodes));
  if (!below.size) return doc;
  return { ...doc, nodes: doc.nodes.map((n) => (below.has(n.id) ? { ...n, position: { x: n.position.x, y: n.position.y + dy } } : n)) };
}
