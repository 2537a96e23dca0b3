// One training step as one ONNX graph: batch, labels, parameters, optimizer state and
// learning rate in; loss, correct count, updated parameters and state out.
import { BATCH, GraphBuilder } from '../onnx/builder.ts';
import { OPSET, type ModelIR } from '../onnx/model.ts';
import { lowerForward, type Forward, type LowerOptions, type WeightInfo } from '../graph/compile.ts';
import type { NetworkDocument, TrainingSettings } from '../graph/document.ts';
import { buildGradients } from './backward.ts';
import { LOSSES } from '../graph/losses.ts';
import { NCHWC_DOMAIN } from './nchwc.ts';
import { blockedConvs, poolBeforeRelu } from './rewrite.ts';
import { emitOptimizer, type SlotInfo } from './optimizers.ts';
import { CodedError, said } from '../graph/error-codes.ts';

export interface TrainingGraph {
  model: ModelIR;
  forward: Forward;
  slots: SlotInfo[];
  scalars: string[];
  /** Graph output name carrying the new value of each parameter, slot and state. */
  next: Map<string, string>;
  /** With `gradients`: output name carrying dLoss/dParam. */
  gradOutputs: Map<string, string>;
  /** The parameters the step updates: every weight of a node that is not frozen. */
  trainable: WeightInfo[];
  /**
   * Inputs fed every step but never updated: the weights and states of frozen nodes. Not in
   * `next`; a looped step reads them from the outer graph (step-loop.ts).
   */
  fixed: string[];
}

export interface TrainingGraphOptions {
  /** Also output every parameter's gradient (gradient checks). */
  gradients?: boolean;
  /** 'none': gradients only, no update (for checks). */
  optimizer?: TrainingSettings | 'none';
  /**
   * A scalar input `grad_scale` multiplies the loss gradient: a shard of n_i samples out of a
   * batch of n feeds n_i/n, so the shards' gradients sum to the whole batch's (parallel.ts).
   */
  shardScale?: boolean;
  /**
   * ONNX Runtime's NCHWc block size on this CPU (ort.ts, nchwcBlockSize): convolutions then run
   * in its blocked layout (rewrite.ts, blockedConvs). The step can only run on its CPU provider.
   */
  nchwc?: number;
  /** Passed to lowerForward: `from` trains only what lies below a node (cached features). */
  lower?: LowerOptions;
}

/** Makes tensor `t` the graph output `name` (renamed in place, not copied). */
function outputAs(g: GraphBuilder, t: string, name: string): string {
  const out = g.rename(t, name);
  if (out !== name) throw new Error(`output name ${name} is taken`);
  g.output(out);
  return out;
}

export function buildTrainingGraph(doc: NetworkDocument, opts: TrainingGraphOptions = {}): TrainingGraph {
  const f = lowerForward(doc, 'train', undefined, opts.lower);
  const { g } = f;
  poolBeforeRelu(g);
  const labels = g.input('labels', 'int64', [BATCH]);
  const head = LOSSES[f.loss].head(g, f.logits, labels, f.classes);
  // Frozen weights are not differentiated: the backward walk (backward.ts) only visits nodes
  // that depend on a trainable parameter, so it stops below the lowest one.
  const trainable = f.weights.filter((w) => !w.frozen);
  if (f.weights.length && !trainable.length) throw new CodedError('every layer with parameters is frozen: there is nothing to train (unfreeze at least the last Dense layer)', said('nothing-to-train'));
  const fixed = [...f.weights.filter((w) => w.frozen), ...f.states.filter((s) => !s.updated)].map((w) => w.name);
  const params = trainable.map((w) => w.name);
  const seed = opts.shardScale ? g.op('Mul', [head.dLogits, g.input('grad_scale', 'float32', [])], {}, g.shape(head.dLogits)) : head.dLogits;
  const grads = buildGradients(g, new Map([[f.logits, seed]]), params, opts.nchwc ?? 0);
  if (opts.nchwc) blockedConvs(g, opts.nchwc);

  g.output(head.loss);
  g.output(head.correct);
  const next = new Map<string, string>();
  const named = (t: string, name: string) => outputAs(g, t, name);
  const gradOutputs = new Map<string, string>();
  if (opts.gradients) {
    for (const p of params) {
      grads.set(p, named(grads.get(p)!, `grad:${p}`));
      gradOutputs.set(p, grads.get(p)!);
    }
  }

  const settings = opts.optimizer ?? doc.training;
  let slots: SlotInfo[] = [];
  let scalars: string[] = [];
  if (settings !== 'none') {
    const opt = emitOptimizer(g, settings, trainable, grads);
    for (const p of params) next.set(p, named(opt.updated.get(p)!, `${p}:next`));
    for (const s of opt.slots) next.set(s.name, named(opt.slotUpdates.get(s.name)!, `${s.name}:next`));
    slots = opt.slots;
    scalars = opt.scalars;
  }
  for (const s of f.states) if (s.updated) next.set(s.name, named(s.updated, `${s.name}:next`));

  const model: ModelIR = { graph: g.graph(`${doc.name} (training step)`), opset: OPSET, metadata: { 'netwright.graph': 'training-step' } };
  // Blocked convolutions (rewrite.ts) and blocked weight gradients (conv-grad.ts) use ONNX Runtime's own operator set.
  if (g.nodes.some((n) => n.domain === NCHWC_DOMAIN)) model.domains = { [NCHWC_DOMAIN]: 1 };
  return { model, forward: f, slots, scalars, next, gradOutputs, trainable, fixed };
}

/**
 * The optimizer on its own, over every parameter as one flat vector of `size` values (the
 * update is elementwise, so one vector is as exact as many and costs a few nodes instead of a
 * few per tensor): `params`, its slots (`params.m`, `params.v`) and the gradients of `shards`
 * batch shards (`grad<i>`) in, their sum taken as the batch's gradient; `params:next` and
 * `params.<slot>:next` out, with the same scalar inputs as the full training step.
 */
export function buildUpdateGraph(settings: TrainingSettings, size: number, shards: number): { model: ModelIR; slots: SlotInfo[]; scalars: string[]; next: Map<string, string> } {
  const g = new GraphBuilder();
  const flat = { name: 'params', shape: [size] };
  g.input(flat.name, 'float32', flat.shape);
  const parts = Array.from({ length: shards }, (_, i) => g.input(`grad${i}`, 'float32', flat.shape));
  const grads = new Map([[flat.name, shards === 1 ? parts[0] : g.op('Sum', parts, {}, flat.shape)]]);
  const opt = emitOptimizer(g, settings, [flat], grads);
  const next = new Map<string, string>();
  const named = (t: string, name: string) => outputAs(g, t, name);
  next.set(flat.name, named(opt.updated.get(flat.name)!, `${flat.name}:next`));
  for (const s of opt.slots) next.set(s.name, named(opt.slotUpdates.get(s.name)!, `${s.name}:next`));
  const model: ModelIR = { graph: g.graph('optimizer step'), opset: OPSET, metadata: { 'netwright.graph': 'optimizer-step' } };
  return { model, slots: opt.slots, scalars: opt.scalars, next };
}
