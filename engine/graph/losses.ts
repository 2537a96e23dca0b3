// The losses an Output head trains with, one record each: the training head (loss, correct
// count, and the gradient with respect to the logits that seeds backprop), how the inference
// model turns logits into its `probs` output, the tag naming those in an exported model's
// metadata, the loss evaluation computes back from `probs`, the loss of a uniform guess, and
// the same loss in PyTorch. Everything else (compile, autodiff, train, evaluate, export, the
// canvas) reads this table; adding a loss is one record here.
import { BATCH, type GraphBuilder } from '../onnx/builder.ts';

export const LOSS_NAMES = ['cross_entropy', 'mse'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** What a training head emits: the loss (a batch mean, as PyTorch's defaults), the count of correct predictions, dLoss/dLogits. */
export interface LossHead {
  loss: string;
  correct: string;
  dLogits: string;
}

export interface LossDef {
  name: LossName;
  /** In reports ("cross-entropy 0.3120"). */
  label: string;
  /** On the canvas node of the Output head. */
  summary: string;
  /** `netwright.output` in an exported model: what its `probs` output holds. */
  outputTag: 'softmax' | 'scores';
  head(g: GraphBuilder, logits: string, labels: string, classes: number): LossHead;
  /** The inference model's `probs` output from the logits. */
  probabilities(g: GraphBuilder, logits: string, classes: number): string;
  /** Evaluation: `total` plus one sample's loss, from its row `probs[off .. off + k)` of `probabilities`. */
  addLoss(total: number, probs: Float32Array, off: number, k: number, label: number): number;
  /** The loss of predicting 1/K for every class (what a divergence spike is measured against at least). */
  uniformLoss(classes: number): number;
  /** The same loss in the exported train.py and model.py. */
  pytorch: {
    /** model.py's docstring: what the logits are for. */
    about: string;
    /** Python expression: the loss summed over the batch, of `logits` and int64 labels `y`. */
    lossSum: string;
    /** Python expression: the exported model's `probs` from `logits`. */
    probs: string;
  };
}

function oneHot(g: GraphBuilder, labels: string, classes: number): string {
  return g.op('OneHot', [labels, g.constI64([classes], []), g.constF([0, 1])], { axis: { i: -1 } }, [BATCH, classes], 'onehot');
}

function correctCount(g: GraphBuilder, scores: string, labels: string): string {
  const pred = g.op('ArgMax', [scores], { axis: { i: 1 }, keepdims: { i: 0 } }, [BATCH]);
  const hit = g.op('Cast', [g.op('Equal', [pred, labels])], { to: { i: 1 } }, [BATCH]);
  return g.op('ReduceSum', [hit], { keepdims: { i: 0 } }, [], 'correct');
}

const batchSize = (g: GraphBuilder, x: string): string =>
  g.op('Cast', [g.op('Shape', [x], { start: { i: 0 }, end: { i: 1 } }, [1])], { to: { i: 1 } }, [1]);

export const LOSSES: Record<LossName, LossDef> = {
  cross_entropy: {
    name: 'cross_entropy',
    label: 'cross-entropy',
    summary: 'softmax cross-entropy',
    outputTag: 'softmax',
    /** Softmax cross-entropy, fused: dLogits = (softmax − onehot) / N, stable for any logits. */
    head(g, logits, labels, classes) {
      const onehot = oneHot(g, labels, classes);
      const logp = g.op('LogSoftmax', [logits], { axis: { i: 1 } }, [BATCH, classes]);
      const nll = g.op('ReduceSum', [g.op('Mul', [onehot, logp]), g.constI64([1])], { keepdims: { i: 0 } }, [BATCH]);
      const loss = g.op('Neg', [g.op('ReduceMean', [nll], { keepdims: { i: 0 } }, [])], {}, [], 'loss');
      const probs = g.op('Exp', [logp]);
      const dLogits = g.op('Div', [g.op('Sub', [probs, onehot]), batchSize(g, logits)], {}, [BATCH, classes]);
      return { loss, correct: correctCount(g, logits, labels), dLogits };
    },
    probabilities: (g, logits, classes) => g.op('Softmax', [logits], { axis: { i: 1 } }, [BATCH, classes], 'probs'),
    addLoss: (total, probs, off, _k, y) => total - Math.log(Math.max(probs[off + y], 1e-12)),
    uniformLoss: (classes) => Math.log(classes),
    pytorch: {
      about: 'cross-entropy loss: softmax gives the probabilities',
      lossSum: 'F.cross_entropy(logits, y, reduction="sum")',
      probs: 'torch.softmax(logits, 1)',
    },
  },
  mse: {
    name: 'mse',
    label: 'MSE',
    summary: 'MSE',
    outputTag: 'scores',
    /** Mean squared error against one-hot targets, averaged over every element. */
    head(g, scores, labels, classes) {
      const diff = g.op('Sub', [scores, oneHot(g, labels, classes)], {}, [BATCH, classes]);
      const loss = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { keepdims: { i: 0 } }, [], 'loss');
      const count = g.op('Cast', [g.op('Size', [scores], {}, [])], { to: { i: 1 } }, []);
      const dLogits = g.op('Div', [g.op('Mul', [diff, g.constF([2])]), count], {}, [BATCH, classes]);
      return { loss, correct: correctCount(g, scores, labels), dLogits };
    },
    probabilities: (g, scores, classes) => g.op('Identity', [scores], {}, [BATCH, classes], 'probs'),
    addLoss(total, probs, off, k, y) {
      for (let j = 0; j < k; j++) total += (probs[off + j] - (j === y ? 1 : 0)) ** 2 / k;
      return total;
    },
    uniformLoss: (classes) => (classes - 1) / classes ** 2,
    pytorch: {
      about: 'MSE loss against one-hot targets',
      lossSum: 'F.mse_loss(logits, F.one_hot(y, logits.shape[1]).to(logits.dtype), reduction="sum") / logits.shape[1]',
      probs: 'logits.clone()',
    },
  },
};

/** The loss of a model exported with `netwright.output` = `tag` (a model without the tag gives softmax probabilities). */
export function lossOfOutputTag(tag: string | undefined): LossName {
  return LOSS_NAMES.find((n) => LOSSES[n].outputTag === tag) ?? 'cross_entropy';
}
