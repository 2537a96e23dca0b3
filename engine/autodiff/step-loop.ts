// Several training steps in one session run: the step graph becomes the body of an ONNX Scan
// over a stack of batches. Parameters, optimizer slots and states are the scan's state, so
// between steps they stay inside ONNX Runtime; only the last step's values come out. (Scan, not
// Loop: Scan hands the body each batch as a view of the stack, where a Loop body would Gather a
// copy, 25 µs a step for the MLP.)
//
// Why: onnxruntime-node copies every output of a run into a fresh JavaScript buffer, even one
// it was handed to write into. For the MLP that is two 800 KB copies a step (the first layer's
// weights and momentum), with page faults on the fresh memory: about 0.3 ms of a 0.8 ms step
// (bench/README.md). A scan of k steps pays that once.
import type { Dim, GraphIR, ModelIR, ValueInfo } from '../onnx/model.ts';
import type { TrainingGraph } from './training-graph.ts';

/** Prefix of every tensor name inside the loop body (ONNX names must not shadow the outer graph's). */
const IN = 'step/';

/**
 * The training step `t` as a Scan of k steps, k being the first dimension of `labels`.
 * Inputs: `input` [k, N, ...], `labels` [k, N], each scalar input (lr, ...) as [k], each dropout
 * mask as [k, N, ...], and every carried value under its own name. Outputs: `loss` and `correct`
 * as [k] (one per step), and each carried value's new value under the same name as in `t`.
 */
export function loopedStep(t: TrainingGraph): ModelIR {
  const step = t.model.graph;
  const carried = [...t.next.keys()];
  // Frozen weights and states (t.fixed) are the same every step: the body reads them from the
  // outer graph under their own names, neither carried nor stacked.
  const fixed = new Set(t.fixed);
  // Inputs that take one slice per step (batch, labels, scalars, masks), stacked along a new first axis.
  const stacked = step.inputs.map((i) => i.name).filter((n) => !t.next.has(n) && !fixed.has(n));
  const info = new Map(step.inputs.map((i) => [i.name, i]));
  const rn = (n: string) => (n && !fixed.has(n) ? IN + n : n);

  const body: GraphIR = {
    name: 'training step',
    inputs: [...carried, ...stacked].map((k) => ({ ...info.get(k)!, name: rn(k) })),
    outputs: [
      ...carried.map((k) => outputInfo(step, t.next.get(k)!, rn)),
      outputInfo(step, 'loss', rn),
      outputInfo(step, 'correct', rn),
    ],
    initializers: step.initializers.map((i) => ({ ...i, name: rn(i.name) })),
    nodes: step.nodes.map((n) => ({ ...n, inputs: n.inputs.map(rn), outputs: n.outputs.map(rn), name: n.name && rn(n.name) })),
  };

  const k = 'k';
  const outer: GraphIR = {
    name: step.name.replace('(training step)', '(training steps)'),
    inputs: step.inputs.map((i): ValueInfo => (t.next.has(i.name) || fixed.has(i.name) ? i : { ...i, shape: [k, ...i.shape] })),
    outputs: [...carried.map((c) => outputInfo(step, t.next.get(c)!)), ...['loss', 'correct'].map((o) => ({ ...outputInfo(step, o), shape: [k] as Dim[] }))],
    initializers: [],
    nodes: [
      {
        op: 'Scan',
        inputs: [...carried, ...stacked],
        outputs: [...carried.map((c) => t.next.get(c)!), 'loss', 'correct'],
        attrs: { body: { g: body }, num_scan_inputs: { i: stacked.length } },
        name: 'steps',
      },
    ],
  };
  return { ...t.model, graph: outer, metadata: { ...t.model.metadata, 'netwright.graph': 'training-steps' } };
}

function outputInfo(g: GraphIR, name: string, rn: (n: string) => string = (n) => n): ValueInfo {
  const o = g.outputs.find((v) => v.name === name);
  if (!o) throw new Error(`the step graph has no output ${name}`);
  return { ...o, name: rn(o.name) };
}
