// Runs test/torch/reference.py (PyTorch on the same network, weights and batch) when Debian's
// python3-torch is installed; `.ci/run` installs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Forward } from '../../engine/graph/compile.ts';
import type { NetworkDocument, TrainingSettings } from '../../engine/graph/document.ts';
import { resolved } from '../../engine/graph/infer.ts';
import { num, str } from '../../engine/graph/layer.ts';
import { slide } from '../../engine/graph/layers/spatial.ts';

export const PYTHON = '/usr/bin/python3';

export function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

export interface TorchResult {
  loss: number;
  grads: Record<string, number[]>;
  states: Record<string, number[]>;
  after?: Record<string, number[]>;
}

export interface TorchJob {
  doc: NetworkDocument;
  forward: Forward;
  values: Map<string, Float32Array>;
  x: Float32Array;
  labels: BigInt64Array;
  n: number;
  masks: Record<string, { data: Float32Array; dims: number[] }>;
  optimizer?: TrainingSettings & { steps: number };
}

export function runTorch(job: TorchJob): TorchResult {
  const a = job.forward.analysis;
  const live = new Set(job.forward.weights.map((w) => w.nodeId));
  const nodes = a.order.map((n) => {
    const { def, params } = resolved(n);
    const inputs = a.inputsOf.get(n.id)!.map((s) => s!);
    let pads: number[] | undefined;
    if (['Conv2D', 'MaxPool2D', 'AvgPool2D'].includes(def.type)) {
      const x = a.shapes.get(inputs[0])!;
      const conv = def.type === 'Conv2D';
      const args = [num(params, conv ? 'kernel' : 'size'), num(params, 'stride'), conv ? num(params, 'dilation') : 1, str(params, 'padding'), num(params, 'pad'), !conv && params.ceil === true] as const;
      const h = slide(x[1], ...args);
      const w = slide(x[2], ...args);
      if (typeof h === 'string' || typeof w === 'string') throw new Error('bad window');
      pads = [h.padBegin, w.padBegin, h.padEnd, w.padEnd];
    }
    live.add(n.id);
    return { id: n.id, type: n.type, params, inputs, pads };
  });
  const shapes: Record<string, number[]> = {};
  const values: Record<string, number[]> = {};
  for (const w of [...job.forward.weights, ...job.forward.states]) {
    shapes[w.name] = w.shape;
    values[w.name] = Array.from(job.values.get(w.name)!);
  }
  const masks: Record<string, number[]> = {};
  const maskshapes: Record<string, number[]> = {};
  for (const [k, m] of Object.entries(job.masks)) {
    const nodeId = k.replace(/\.mask$/, '');
    masks[nodeId] = Array.from(m.data);
    maskshapes[nodeId] = m.dims;
  }
  const payload = {
    nodes,
    output: a.outputId,
    loss: job.forward.loss,
    params: job.forward.weights.map((w) => w.name),
    states: job.forward.states.map((s) => s.name),
    shapes,
    values,
    x: Array.from(job.x.subarray(0, job.n * a.shapes.get(a.inputId!)!.reduce((p, q) => p * q, 1))),
    xshape: [job.n, ...a.shapes.get(a.inputId!)!],
    labels: Array.from(job.labels.subarray(0, job.n), Number),
    masks,
    maskshapes,
    optimizer: job.optimizer,
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const r = spawnSync(PYTHON, [path.join(here, 'reference.py')], { input: JSON.stringify(payload), maxBuffer: 256 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`reference.py failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

/**
 * max |a − b| / max(max |b|, floor): the error relative to the tensor's scale. The floor keeps
 * tensors whose true value is zero (a bias right before BatchNorm has zero gradient) from
 * turning float rounding noise into a huge relative error.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-5): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, floor);
}
