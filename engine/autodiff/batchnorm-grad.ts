// The gradient of ONNX BatchNormalization, as the BatchNorm layer emits it in a training step
// (engine/graph/layers/batch-norm.ts): in training mode (training_mode 1, momentum 0, so its
// second and third outputs are the batch mean and the biased batch variance), or in inference
// mode (a frozen BatchNorm on its running statistics, which gradients still pass through).
//
// Training mode, per channel, over the M = N·H·W values the statistics average:
//   x̂ = (x − μ)/σ, σ = √(var + ε), y = γ·x̂ + β
//   dβ = Σ dy, dγ = Σ dy·x̂, dx = (γ/σ)·(dy − dβ/M − x̂·dγ/M)
// The batch statistics' own dependence on x is folded into dx, so their outputs take no
// gradient; the mean and variance inputs (multiplied by momentum 0) get a zero one. Written as primitives and differentiated op by op, the same step took 4-5 Mul, 7 Div,
// 4 ReduceSum, 2 Neg and 2 Expand over the whole tensor per BatchNorm (bench/README.md); here
// there are 3 affine passes (ONNX Runtime's BatchNormalization in inference mode, one pass per
// channel plane), one Mul, one Add and two ReduceSums.
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Dim, NodeIR } from '../onnx/model.ts';
import type { GradContext } from './rules.ts';

const intAttr = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { i: number } | undefined)?.i ?? d;
const floatAttr = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { f: number } | undefined)?.f ?? d;

/**
 * a·t + b per channel (a, b: [C]) in one pass: BatchNormalization in inference mode with mean 0,
 * variance 1 and ε 0 (√1 is exact, so the values are those of a Mul then an Add).
 */
export function channelAffine(g: GraphBuilder, t: string, a: string, b: string | null, c: number): string {
  const zeros = g.constF(new Array(c).fill(0), [c]);
  const ones = g.constF(new Array(c).fill(1), [c]);
  return g.op('BatchNormalization', [t, a, b ?? zeros, zeros, ones], { epsilon: { f: 0 } }, g.shape(t));
}

export function batchNormGrad(c: GradContext): (string | null)[] {
  const { g, node: n } = c;
  const [x, gamma] = n.inputs;
  const dy = c.dy[0];
  if (!dy) throw new Error('BatchNormalization: no gradient for its output');
  if (c.dy.slice(1).some((d) => d)) throw new Error('BatchNormalization: its batch statistics take no gradient (they feed the running averages only)');
  const xs = g.shape(x);
  const ch = xs[1] as number;
  const eps = floatAttr(n, 'epsilon', 1e-5);
  const training = intAttr(n, 'training_mode', 0) === 1;
  if (!training && (c.needs[3] || c.needs[4])) throw new Error('BatchNormalization in inference mode: its mean and variance inputs must be constants or running statistics');
  const mean = training ? n.outputs[1] : n.inputs[3];
  const variance = training ? n.outputs[2] : n.inputs[4];
  if (!mean || !variance) throw new Error('BatchNormalization in training mode: its mean and variance outputs are needed for the gradient');
  const axes = g.constI64(xs.map((_, i) => i).filter((i) => i !== 1));
  const perChannel: Dim[] = [ch];
  const sum = (t: string) => g.op('ReduceSum', [t, axes], { keepdims: { i: 0 } }, perChannel);
  const [needX, needGamma, needBeta] = [0, 1, 2].map((i) => c.needs[i]);
  const ones = g.constF(new Array(ch).fill(1), [ch]);
  const zeros = g.constF(new Array(ch).fill(0), [ch]);
  // x̂, one pass: BatchNormalization with γ 1 and β 0 on the same statistics and ε.
  const xhat = needGamma || (training && needX) ? g.op('BatchNormalization', [x, ones, zeros, mean, variance], { epsilon: { f: eps } }, xs) : null;
  const dBeta = needBeta || (training && needX) ? sum(dy) : null;
  const dGamma = xhat ? sum(g.op('Mul', [dy, xhat], {}, xs)) : null;
  let dx: string | null = null;
  if (needX) {
    // k = γ/σ per channel.
    const k = g.op('Div', [gamma, g.op('Sqrt', [g.op('Add', [variance, g.constF([eps])], {}, perChannel)], {}, perChannel)], {}, perChannel);
    const scaled = channelAffine(g, dy, k, null, ch);
    if (!training) dx = scaled;
    else {
      // M = values per channel, for the batch this run has: −(k/M)·(dγ·x̂ + dβ).
      const m = g.op('Div', [g.op('Cast', [g.op('Size', [x], {}, [])], { to: { i: 1 } }, []), g.constF([ch])], {}, []);
      const kOverM = g.op('Neg', [g.op('Div', [k, m], {}, perChannel)], {}, perChannel);
      const a = g.op('Mul', [kOverM, dGamma!], {}, perChannel);
      const b = g.op('Mul', [kOverM, dBeta!], {}, perChannel);
      dx = g.op('Add', [scaled, channelAffine(g, xhat!, a, b, ch)], {}, xs);
    }
  }
  // Training mode with momentum 0: the outputs do not depend on the mean and variance inputs
  // (the layer computes them from γ and β, so they count as depending on a parameter).
  return [dx, needGamma ? dGamma : null, needBeta ? dBeta : null, ...[3, 4].map((i) => (c.needs[i] ? zeros : null))];
}
