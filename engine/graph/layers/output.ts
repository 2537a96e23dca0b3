import { defineLayer } from '../layer.ts';
import { LOSS_NAMES } from '../losses.ts';

export const Output = defineLayer({
  type: 'Output',
  label: 'Output (loss)',
  category: 'output',
  help: 'The classifier head: one score per class, and the loss training minimizes. Cross-entropy applies softmax itself (mean over the batch); MSE compares the scores with one-hot targets (mean over all elements).',
  params: {
    loss: { kind: 'enum', default: 'cross_entropy', options: LOSS_NAMES, help: "'cross_entropy' (softmax + negative log-likelihood) or 'mse' against one-hot targets." },
  },
  inputs: () => 1,
  summary: (p) => [{ key: 'loss', params: { loss: p.loss } }],
  infer(_p, [x]) {
    if (x.length !== 1) return { problem: { code: 'rank', params: { form: 'output', shape: `[${x}]` }, message: `the output head needs one score per class (a vector), but gets an image of shape [${x}]: add Flatten and a Dense layer with one unit per class`, fix: { kind: 'insert-before', layer: 'Flatten' } } };
    if (x[0] < 2) return { problem: { code: 'classes', params: { units: x[0] }, message: 'the output head needs at least 2 classes (the Dense layer before it has 1 unit)' } };
    return { shape: x };
  },
  lower: (_ctx, _p, [x]) => x,
  flops: () => 0,
});
