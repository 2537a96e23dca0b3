// Fine-tuning edits on a document, shared by the editor (renderer/store/editor-store.ts) and
// `netwright train --freeze / --replace-head` (engine/cli.ts): freeze a layer and everything
// upstream of it, give the last Dense as many fresh units as the dataset has classes, and find
// where the frozen part ends (engine/train/features.ts caches its output). Pure: no Node.
import type { NetworkDocument } from './document.ts';
import type { Analysis } from './infer.ts';
import { layerDef } from './registry.ts';

/** `id` and every node upstream of it, following edges backwards. */
export function upstream(doc: NetworkDocument, id: string): Set<string> {
  const ins = new Map<string, string[]>();
  for (const e of doc.edges) ins.set(e.target, [...(ins.get(e.target) ?? []), e.source]);
  const out = new Set<string>([id]);
  const stack = [id];
  while (stack.length) {
    for (const s of ins.get(stack.pop()!) ?? []) {
      if (!out.has(s)) {
        out.add(s);
        stack.push(s);
      }
    }
  }
  return out;
}

/** Freezes `id` and every node upstream of it (the Input and Output have nothing to freeze). */
export function freezeUpTo(doc: NetworkDocument, id: string): NetworkDocument {
  if (!doc.nodes.some((n) => n.id === id)) throw new Error(`no node "${id}" in the network`);
  const up = upstream(doc, id);
  return { ...doc, nodes: doc.nodes.map((n) => (up.has(n.id) && n.type !== 'Input' && n.type !== 'Output' && !n.frozen ? { ...n, frozen: true } : n)) };
}

/** Sets or clears one node's frozen flag (left out of the document when false). */
export function setFrozen(doc: NetworkDocument, id: string, frozen: boolean): NetworkDocument {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      if (n.id !== id) return n;
      const { frozen: _, ...rest } = n;
      return frozen ? { ...rest, frozen: true } : rest;
    }),
  };
}

/**
 * The head: the last Dense, the one feeding the Output (through layers without parameters,
 * e.g. Dropout or an activation). Null when there is none.
 */
export function headDense(doc: NetworkDocument): string | null {
  const out = doc.nodes.find((n) => n.type === 'Output');
  if (!out) return null;
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  let cur = doc.edges.find((e) => e.target === out.id)?.source;
  for (let hops = 0; cur && hops < 16; hops++) {
    const n = byId.get(cur);
    if (!n) return null;
    if (n.type === 'Dense') return n.id;
    const def = layerDef(n.type);
    // Only single-input layers without parameters lie between the head and the Output.
    if (!def || def.weights || def.inputs(n.params) !== 1) return null;
    cur = doc.edges.find((e) => e.target === n.id)?.source;
  }
  return null;
}

/**
 * Replace head: the last Dense gets `classes` units, not frozen, under a new id so that no
 * starting weights (document `weights`, keyed by node id) apply to it: it starts freshly
 * initialized. Returns the new document and the head's new id.
 */
export function replaceHead(doc: NetworkDocument, classes: number): { doc: NetworkDocument; head: string } {
  const id = headDense(doc);
  if (!id) throw new Error('no Dense layer feeds the Output: there is no head to replace');
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`cannot make a head of ${classes} classes`);
  const taken = new Set(doc.nodes.map((n) => n.id));
  let head = 'head';
  for (let i = 2; taken.has(head); i++) head = `head${i}`;
  const nodes = doc.nodes.map((n) => {
    if (n.id !== id) return n;
    const { frozen: _, ...rest } = n;
    return { ...rest, id: head, params: { ...n.params, units: classes } };
  });
  const edges = doc.edges.map((e) => (e.source === id || e.target === id ? { ...e, source: e.source === id ? head : e.source, target: e.target === id ? head : e.target } : e));
  return { doc: { ...doc, nodes, edges }, head };
}

/**
 * Where the cacheable part ends: the one node whose output is everything the trainable part
 * sees. Every node at or above it is frozen or has no parameters and no randomness (Dropout
 * counts only when frozen); it is not the Input itself. Null when there is no such single node.
 */
export function frozenCut(doc: NetworkDocument, a: Analysis): string | null {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const fixed = new Set<string>();
  for (const node of a.order) {
    const n = byId.get(node.id)!;
    const def = layerDef(n.type);
    if (!def || n.type === 'Output') continue;
    const srcs = a.inputsOf.get(n.id) ?? [];
    if (srcs.some((s) => !s || !fixed.has(s))) continue;
    const deterministic = n.frozen || (!def.weights && !def.states && n.type !== 'Dropout');
    if (n.type === 'Input' || deterministic) fixed.add(n.id);
  }
  // The fixed nodes that feed a node that is not fixed.
  const boundary = new Set<string>();
  for (const [id, srcs] of a.inputsOf) if (!fixed.has(id)) for (const s of srcs) if (s && fixed.has(s)) boundary.add(s);
  if (boundary.size !== 1) return null;
  const [cut] = boundary;
  return byId.get(cut)!.type === 'Input' ? null : cut;
}
