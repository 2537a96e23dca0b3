// Frozen layers (nodes[].frozen): no gradient, no optimizer state, bit-identical after training,
// the backward walk stops below the lowest trainable parameter, BatchNorm on running statistics;
// the same in a single step, a looped step (Scan) and a sharded step (two threads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import { buildInferenceModel } from '../../engine/graph/compile.ts';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { freezeUpTo, frozenCut, headDense, replaceHead, setFrozen } from '../../engine/graph/finetune.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { ort } from '../../engine/train/ort.ts';
import { openStepRunner, type StepRunner } from '../../engine/train/step.ts';
import { convNet, poolNet } from '../fixtures/nets.ts';

const gradNodes = (doc: NetworkDocument, o = {}) => buildTrainingGraph(doc, o).model.graph.nodes.filter((n) => n.name?.startsWith('grad/'));
/** The document nodes a gradient node belongs to (its name is grad/<node>/...). */
const gradOwners = (doc: NetworkDocument) => new Set(gradNodes(doc).map((n) => n.name!.split('/')[1]));

test('frozen weights get no gradient, no optimizer state and no update; the backward walk stops below the lowest trainable layer', () => {
  const all = convNet();
  const full = buildTrainingGraph(all);
  assert.ok(gradOwners(all).has('c1'), 'unfrozen: the first conv has gradient nodes');

  // Everything below the head frozen: only the head's backward is left.
  const head = freezeUpTo(all, 'gap');
  const tg = buildTrainingGraph(head);
  assert.deepEqual([...gradOwners(head)].sort(), ['fc']);
  assert.deepEqual(tg.trainable.map((w) => w.name).sort(), ['fc.B', 'fc.W']);
  assert.deepEqual(tg.slots.map((s) => s.param).sort(), ['fc.B', 'fc.W'], 'momentum only for the head');
  for (const k of tg.next.keys()) assert.ok(k.startsWith('fc.'), `${k} is updated`);
  assert.ok(tg.fixed.includes('c1.W') && tg.fixed.includes('bn.running_mean'), 'frozen weights and BatchNorm statistics are fed, not updated');
  // The whole step is the frozen forward plus the head-only step on its output.
  const headOnly = buildTrainingGraph(head, { lower: { from: 'gap' } });
  const forwardBelow = tg.model.graph.nodes.filter((n) => !n.name?.startsWith('grad/') && ['c1', 'bn', 'r1', 'p1', 'c2', 'a2', 'c3', 'a3', 'p2', 'gap'].includes(n.name!.split('/')[0]));
  assert.equal(tg.model.graph.nodes.length, headOnly.model.graph.nodes.length + forwardBelow.length);
  assert.ok(tg.model.graph.nodes.length < full.model.graph.nodes.length - 20, `${tg.model.graph.nodes.length} nodes frozen vs ${full.model.graph.nodes.length}`);

  // Frozen up to the first pool: the walk stops at c2, the lowest trainable layer.
  const low = freezeUpTo(all, 'p1');
  const owners = gradOwners(low);
  for (const id of ['c1', 'bn', 'r1', 'p1']) assert.ok(!owners.has(id), `no backward through ${id}`);
  for (const id of ['c2', 'c3', 'fc']) assert.ok(owners.has(id), `backward through ${id}`);

  // A frozen layer between trainable ones passes gradients on but gets none itself.
  const mid = setFrozen(all, 'c2', true);
  const m = buildTrainingGraph(mid, { gradients: true, optimizer: 'none' });
  assert.ok(!m.gradOutputs.has('c2.W') && m.gradOutputs.has('c1.W') && m.gradOutputs.has('bn.gamma'));
  assert.ok(gradOwners(mid).has('c2'), 'the data gradient still flows through the frozen conv');

  assert.throws(() => buildTrainingGraph(freezeUpTo(all, 'fc')), /nothing to train/);
});

function batch(step: StepRunner, n: number, seed: number) {
  const rng = new Rng(seed);
  const per = step.inputShape.reduce((a, b) => a * b, 1);
  return { x: Float32Array.from({ length: n * per }, () => rng.next() * 2 - 1), y: BigInt64Array.from({ length: n }, () => BigInt(rng.int(3))) };
}

async function trainFew(doc: NetworkDocument, opts: { group?: number; shards?: 1 | 2 }) {
  const step = await openStepRunner(doc, { threads: 2, seed: 5, blocked: false, ...opts });
  try {
    const before = new Map([...step.values].map(([k, v]) => [k, v.slice()]));
    const n = doc.training.batchSize;
    const k = step.group > 1 ? 3 : 1;
    const losses: number[] = [];
    for (let i = 0; i < 6 / k; i++) {
      const bs = Array.from({ length: k }, (_, j) => batch(step, n, 10 + i * k + j));
      const x = new Float32Array(bs.reduce((a, b) => a + b.x.length, 0));
      const y = new BigInt64Array(k * n);
      bs.forEach((b, j) => (x.set(b.x, j * b.x.length), y.set(b.y, j * n)));
      for (const r of await step.runGroup(x, y, k, n, Array(k).fill(0.05), step.masks(n, new Rng(i), k))) losses.push(r.loss);
    }
    const after = new Map([...step.values].map(([k, v]) => [k, v.slice()]));
    return { before, after, losses, graph: step.graph, parallel: step.kind === 'sharded', group: step.group };
  } finally {
    await step.release();
  }
}

for (const [name, opts] of [['one step per run', { group: 1, shards: 1 }], ['looped steps (Scan)', { group: 3, shards: 1 }], ['sharded steps (two threads)', { shards: 2 }]] as const) {
  test(`${name}: frozen weights and statistics stay bit-identical while the others move`, async () => {
    const doc = freezeUpTo(convNet(), 'p1');
    const r = await trainFew(doc, opts);
    if ('shards' in opts && opts.shards === 2) assert.ok(r.parallel, 'sharded');
    if (opts.group === 3) assert.equal(r.group, 3);
    for (const [k, v] of r.before) {
      const frozen = ['c1.', 'bn.'].some((p) => k.startsWith(p));
      const same = Buffer.from(v.buffer).equals(Buffer.from(r.after.get(k)!.buffer));
      if (frozen) assert.ok(same, `${k} is frozen but changed`);
      else assert.ok(!same, `${k} is trainable but did not change`);
    }
    assert.ok(![...r.after.keys()].some((k) => k.startsWith('c1.W.') || k.startsWith('bn.gamma.')), 'no optimizer state for frozen weights');
    assert.ok(r.losses.every(Number.isFinite));
  });
}

test('the three step kinds train a frozen net alike', async () => {
  const doc = freezeUpTo(convNet(), 'p1');
  const a = await trainFew(doc, { group: 1, shards: 1 });
  const b = await trainFew(doc, { group: 3, shards: 1 });
  const c = await trainFew(doc, { shards: 2 });
  for (let i = 0; i < a.losses.length; i++) {
    assert.ok(Math.abs(a.losses[i] - b.losses[i]) < 1e-5 * Math.abs(a.losses[i]) + 1e-6, `looped step ${i}: ${a.losses[i]} vs ${b.losses[i]}`);
    assert.ok(Math.abs(a.losses[i] - c.losses[i]) < 1e-4 * Math.abs(a.losses[i]) + 1e-5, `sharded step ${i}: ${a.losses[i]} vs ${c.losses[i]}`);
  }
});

test('a frozen BatchNorm uses its running statistics: the training loss equals the inference model loss', async () => {
  // bn frozen with a trainable conv above it (primitive ops, gradients pass) and with c1 frozen too (fused).
  for (const doc of [setFrozen(convNet(), 'bn', true), freezeUpTo(convNet(), 'bn')]) {
    const step = await openStepRunner(doc, { threads: 1, seed: 2, optimizer: 'none', gradients: true, blocked: false });
    try {
      const rng = new Rng(9);
      for (const k of ['bn.running_mean', 'bn.running_var', 'bn.gamma', 'bn.beta']) {
        const v = step.values.get(k)!;
        for (let i = 0; i < v.length; i++) v[i] = k.endsWith('var') ? 0.5 + rng.next() : rng.next() - 0.5;
      }
      const n = 4;
      const { x, y } = batch(step, n, 3);
      const { loss } = await step.evaluate(x, y, n);
      const inf = await ort.InferenceSession.create(encodeModel(buildInferenceModel(doc, step.modelValues(), { classNames: [] })));
      const probs = (await inf.run({ input: new ort.Tensor('float32', x, [n, ...step.inputShape]) })).probs.data as Float32Array;
      let ce = 0;
      for (let i = 0; i < n; i++) ce -= Math.log(probs[i * 3 + Number(y[i])]);
      assert.ok(Math.abs(loss - ce / n) < 1e-5, `training loss ${loss} vs inference ${ce / n}`);
      await inf.release();
    } finally {
      await step.release();
    }
  }
});

test('replace head and the frozen cut', () => {
  const doc = poolNet();
  assert.equal(headDense(doc), 'fc');
  const { doc: re, head } = replaceHead(freezeUpTo(doc, 'fc'), 7);
  const h = re.nodes.find((n) => n.id === head)!;
  assert.equal(h.params.units, 7);
  assert.ok(!h.frozen, 'the new head trains');
  assert.ok(re.edges.some((e) => e.target === head) && re.edges.some((e) => e.source === head));
  assert.equal(inferShapes(re).shapes.get('out')![0], 7);
  // Everything below the head frozen (Tanh, pool and Flatten have no parameters): the cut is the Flatten.
  assert.equal(frozenCut(re, inferShapes(re)), 'f');
  assert.equal(frozenCut(freezeUpTo(doc, 'c1'), inferShapes(freezeUpTo(doc, 'c1'))), 'f', 'layers without parameters join the frozen part');
  assert.equal(frozenCut(doc, inferShapes(doc)), null, 'nothing frozen: no cut');
});
