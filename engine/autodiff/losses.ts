// Loss heads: each emits the loss (a batch mean, as PyTorch's defaults), the count of correct
// predictions, and the gradient of the loss with respect to the head's input (the seed of backprop).
import { BATCH, type GraphBuilder } from '../onnx/builder.ts';

export interface LossOutputs {
  loss: string;
  correct: string;
  dLogits: string;
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

export const LOSS_HEADS = {
  /** Softmax cross-entropy, fused: dLogits = (softmax − onehot) / N, stable for any logits. */
  cross_entropy(g: GraphBuilder, logits: string, labels: string, classes: number): LossOutputs {
    const onehot = oneHot(g, labels, classes);
    const logp = g.op('LogSoftmax', [logits], { axis: { i: 1 } }, [BATCH, classes]);
    const nll = g.op('ReduceSum', [g.op('Mul', [onehot, logp]), g.constI64([1])], { keepdims: { i: 0 } }, [BATCH]);
    const loss = g.op('Neg', [g.op('ReduceMean', [nll], { keepdims: { i: 0 } }, [])], {}, [], 'loss');
    const probs = g.op('Exp', [logp]);
    const dLogits = g.op('Div', [g.op('Sub', [probs, onehot]), batchSize(g, logits)], {}, [BATCH, classes]);
    return { loss, correct: correctCount(g, logits, labels), dLogits };
  },
  /** Mean squared error against one-hot targets, averaged over every element. */
  mse(g: GraphBuilder, scores: string, labels: string, classes: number): LossOutputs {
    const diff = g.op('Sub', [scores, oneHot(g, labels, classes)], {}, [BATCH, classes]);
    const loss = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { keepdims: { i: 0 } }, [], 'loss');
    const count = g.op('Cast', [g.op('Size', [scores], {}, [])], { to: { i: 1 } }, []);
    const dLogits = g.op('Div', [g.op('Mul', [diff, g.constF([2])]), count], {}, [BATCH, classes]);
    return { loss, correct: correctCount(g, scores, labels), dLogits };
  },
};
