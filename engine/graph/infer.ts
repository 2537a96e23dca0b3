// Shape inference over the whole document: every node gets its output shape, or a precise problem.
import { numel } from '../numel.ts';
import { checkParams, nodeParams, type DocNode, type NetworkDocument } from './document.ts';
import type { LayerDef, Params, Problem, Shape } from './layer.ts';
import { layerDef } from './registry.ts';
import { edgeProblem, nodeLabel as label } from './wiring.ts';

export interface LayerRow {
  nodeId: string;
  type: string;
  name: string;
  shape?: Shape;
  params: number;
  flops: number;
}

export interface Analysis {
  /** Nodes in evaluation order (those whose shape is known). */
  order: DocNode[];
  /** Output shape per node id (per sample, without the batch axis). */
  shapes: Map<string, Shape>;
  /** Shape carried by each edge id. */
  edgeShapes: Map<string, Shape>;
  /** Source node id for each input port of each node. */
  inputsOf: Map<string, (string | undefined)[]>;
  problems: Problem[];
  rows: LayerRow[];
  totals: { params: number; flops: number };
  inputId?: string;
  outputId?: string;
  /** True when there is nothing stopping compilation. */
  ok: boolean;
}

export function resolved(node: DocNode): { def: LayerDef; params: Params } {
  const def = layerDef(node.type);
  if (!def) throw new Error(`unknown layer type ${node.type}`);
  return { def, params: nodeParams(node) };
}

export function inferShapes(doc: NetworkDocument): Analysis {
  const problems: Problem[] = [];
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const broken = new Set<string>();
  for (const n of doc.nodes) {
    const ps = checkParams(n);
    problems.push(...ps);
    if (ps.length) broken.add(n.id);
  }

  const inputsOf = new Map<string, (string | undefined)[]>();
  const consumers = new Map<string, string[]>();
  for (const n of doc.nodes) {
    const def = layerDef(n.type);
    inputsOf.set(n.id, new Array(def && !broken.has(n.id) ? def.inputs(nodeParams(n)) : 0).fill(undefined));
    consumers.set(n.id, []);
  }
  const edgeOf = new Map<string, string>();
  for (const e of doc.edges) {
    const ports = broken.has(e.target) ? null : inputsOf.get(e.target) ?? null;
    const problem = edgeProblem(e, byId.get(e.source), byId.get(e.target), ports);
    if (problem) problems.push(problem);
    if (problem || !ports) continue;
    ports[e.targetPort] = e.source;
    consumers.get(e.source)!.push(e.target);
    edgeOf.set(`${e.source}>${e.target}:${e.targetPort}`, e.id);
  }

  const inputs = doc.nodes.filter((n) => n.type === 'Input');
  const outputs = doc.nodes.filter((n) => n.type === 'Output');
  if (inputs.length === 0) problems.push({ code: 'no-input', params: {}, message: 'the network has no Input layer' });
  if (inputs.length > 1) for (const n of inputs.slice(1)) problems.push({ nodeId: n.id, code: 'several-inputs', params: {}, message: 'only one Input layer is supported; remove this one' });
  if (outputs.length === 0) problems.push({ code: 'no-output', params: { form: 'head' }, message: 'the network has no output head (add an Output layer after the last Dense)' });
  if (outputs.length > 1) for (const n of outputs.slice(1)) problems.push({ nodeId: n.id, code: 'several-outputs', params: {}, message: 'only one output head is supported; remove this one' });

  // Cycles: Kahn's algorithm; whatever is left over sits on or behind a cycle.
  const indeg = new Map<string, number>();
  for (const n of doc.nodes) indeg.set(n.id, inputsOf.get(n.id)!.filter((s) => s !== undefined).length);
  const queue = doc.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  const topo: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    topo.push(id);
    for (const c of consumers.get(id)!) {
      indeg.set(c, indeg.get(c)! - 1);
      if (indeg.get(c) === 0) queue.push(c);
    }
  }
  const inCycle = new Set<string>();
  if (topo.length < doc.nodes.length) {
    const left = new Set(doc.nodes.map((n) => n.id).filter((id) => !topo.includes(id)));
    // Nodes on a cycle can reach themselves.
    for (const id of left) {
      const seen = new Set<string>();
      const stack = [...consumers.get(id)!];
      while (stack.length) {
        const x = stack.pop()!;
        if (x === id) {
          inCycle.add(id);
          break;
        }
        if (seen.has(x) || !left.has(x)) continue;
        seen.add(x);
        stack.push(...consumers.get(x)!);
      }
    }
    for (const id of inCycle) problems.push({ nodeId: id, code: 'cycle', params: { form: 'loop', layer: label(byId.get(id)!), path: [...inCycle].join(' → ') }, message: `${label(byId.get(id)!)} is part of a cycle (${[...inCycle].join(' → ')}); networks must flow one way` });
  }

  // Parts not connected to the Input/Output.
  const main = inputs[0] ?? outputs[0];
  if (main) {
    const seen = new Set<string>([main.id]);
    const stack = [main.id];
    while (stack.length) {
      const id = stack.pop()!;
      for (const nb of [...consumers.get(id)!, ...inputsOf.get(id)!.filter((s): s is string => !!s)]) {
        if (!seen.has(nb)) {
          seen.add(nb);
          stack.push(nb);
        }
      }
    }
    for (const n of doc.nodes) {
      if (!seen.has(n.id)) problems.push({ nodeId: n.id, code: 'disconnected', params: { form: 'part', layer: label(n) }, message: `${label(n)} is not connected to the network (several unconnected parts)` });
    }
    if (inputs[0] && outputs[0] && !seen.has(outputs[0].id)) {
      problems.push({ nodeId: outputs[0].id, code: 'disconnected', params: { form: 'output' }, message: 'the output head is not connected to the Input' });
    }
  }

  const shapes = new Map<string, Shape>();
  const edgeShapes = new Map<string, Shape>();
  const order: DocNode[] = [];
  const rows: LayerRow[] = [];
  let totalParams = 0;
  let totalFlops = 0;
  for (const id of topo) {
    const n = byId.get(id)!;
    if (broken.has(id)) continue;
    const { def, params } = resolved(n);
    const srcs = inputsOf.get(id)!;
    const missing = srcs.findIndex((s) => s === undefined);
    if (missing >= 0) {
      problems.push({ nodeId: id, code: 'unconnected-port', params: { form: srcs.length > 1 ? 'port' : 'only', port: missing + 1, layer: label(n) }, message: srcs.length > 1 ? `input ${missing + 1} of ${label(n)} is not connected` : `${label(n)} has no input connected` });
      continue;
    }
    const ins = srcs.map((s) => shapes.get(s!));
    if (ins.some((s) => !s)) continue; // an upstream node is broken and already reported
    const r = def.infer(params, ins as Shape[]);
    if ('problem' in r) {
      problems.push({ nodeId: id, ...r.problem });
      continue;
    }
    shapes.set(id, r.shape);
    order.push(n);
    srcs.forEach((s, port) => {
      const eid = edgeOf.get(`${s}>${id}:${port}`);
      if (eid) edgeShapes.set(eid, shapes.get(s!)!);
    });
    const nparams = (def.weights?.(params, ins as Shape[], r.shape) ?? []).reduce((a, w) => a + numel(w.shape), 0);
    const flops = def.flops(params, ins as Shape[], r.shape);
    totalParams += nparams;
    totalFlops += flops;
    rows.push({ nodeId: id, type: n.type, name: n.label ?? n.id, shape: r.shape, params: nparams, flops });
  }

  // A layer whose result reaches no output is wasted work: say so, but do not block training.
  const output = outputs[0];
  if (output && shapes.has(output.id)) {
    const live = new Set<string>([output.id]);
    const stack = [output.id];
    while (stack.length) for (const s of inputsOf.get(stack.pop()!)!) if (s && !live.has(s)) live.add(s), stack.push(s);
    for (const n of order) {
      if (!live.has(n.id) && !problems.some((p) => p.nodeId === n.id)) {
        problems.push({ nodeId: n.id, code: 'dead-end', severity: 'warning', params: { layer: label(n) }, message: `${label(n)} does not lead to the output head; its result is unused` });
      }
    }
  }

  const ok = !problems.some((p) => p.severity !== 'warning') && !!output && shapes.has(output.id);
  return { order, shapes, edgeShapes, inputsOf, problems, rows, totals: { params: totalParams, flops: totalFlops }, inputId: inputs[0]?.id, outputId: output?.id, ok };
}
