// What a layer module declares. Every layer kind is one module implementing LayerDef;
// registry.ts lists them. Pure: no Node, no ONNX Runtime, so the renderer can import it.
import type { GraphBuilder } from '../onnx/builder.ts';
import type { ProblemParams } from './problem-codes.ts';
import type { SummaryPart } from './summary.ts';

/** A per-sample shape: [C, H, W] for images, [F] for vectors (the batch axis is implicit). */
export type Shape = number[];

export type ParamValue = number | boolean | string;

export type ParamSpec =
  | { kind: 'int'; default: number; min: number; max: number; help: string }
  | { kind: 'float'; default: number; min: number; max: number; help: string }
  | { kind: 'bool'; default: boolean; help: string }
  | { kind: 'enum'; default: string; options: readonly string[]; help: string };

export type Params = Record<string, ParamValue>;

/** The value type a spec declares: a number, a boolean, or one of an enum's options. */
type ValueOf<P extends ParamSpec> = P extends { kind: 'enum'; options: readonly (infer O)[] } ? O : P extends { kind: 'bool' } ? boolean : number;
/** A layer's params, typed from its params spec (every key present: nodeParams fills the defaults). */
export type ParamsOf<S extends Record<string, ParamSpec>> = { [K in keyof S]: ValueOf<S[K]> };

export type Category = 'input' | 'convolution' | 'pooling' | 'activation' | 'dense' | 'regularization' | 'merge' | 'output';

/** A problem as data, so the canvas can badge the node and offer the fix. */
export interface Problem {
  nodeId?: string;
  param?: string;
  edgeId?: string;
  code: string;
  /** English, for the CLI and logs; the UI shows `engine.<code>` with `params` in its language (graph/problem-codes.ts). */
  message: string;
  params?: ProblemParams;
  /** Warnings do not stop training; errors do. */
  severity?: 'error' | 'warning';
  /** A one-click fix the editor can offer. */
  fix?: { kind: 'insert-before'; layer: string } | { kind: 'set-param'; param: string; value: ParamValue };
}

export type InferResult = { shape: Shape } | { problem: Omit<Problem, 'nodeId'> };

export type InitKind = 'he' | 'glorot' | 'zeros' | 'ones';

export interface WeightSpec {
  name: string;
  shape: number[];
  /** 'fan' weights use He or Glorot depending on the activation that follows the layer; `constant`: every value (PReLU's 0.25). */
  init: 'fan' | 'zeros' | 'ones' | { constant: number };
  fanIn: number;
  fanOut: number;
}

/** Non-trainable state carried between steps (BatchNorm running statistics). */
export interface StateSpec {
  name: string;
  shape: number[];
  init: 'zeros' | 'ones';
}

export interface LowerContext {
  g: GraphBuilder;
  mode: 'train' | 'infer';
  /**
   * Train mode, in a frozen node (nodes[].frozen) that gradients still pass through: run as in
   * inference (BatchNorm on its running statistics, Dropout off), in ops autodiff can differentiate.
   */
  frozen?: boolean;
  /** Tensor name holding weight `name` of this node. */
  weight(name: string): string;
  /** Tensor names for state `name`: its current value, and where the updated value must be written (train mode). */
  state(name: string): { value: string; update(newValue: string): void };
  /** Train mode: a graph input holding a dropout mask (0 or 1/(1-p)) with this per-sample shape. */
  dropoutMask(shape: Shape, rate: number): string;
}

export interface LayerDef<S extends Record<string, ParamSpec> = Record<string, ParamSpec>> {
  type: string;
  label: string;
  category: Category;
  help: string;
  params: S;
  /** Number of input ports (Input has none). */
  inputs(p: ParamsOf<S>): number;
  /** The canvas node's line as parts (graph/summary.ts), e.g. "32 · 3x3 · s1 · same" in English. */
  summary(p: ParamsOf<S>): SummaryPart[];
  infer(p: ParamsOf<S>, inputs: Shape[]): InferResult;
  weights?(p: ParamsOf<S>, inputs: Shape[], out: Shape): WeightSpec[];
  states?(p: ParamsOf<S>, inputs: Shape[], out: Shape): StateSpec[];
  /** Emits ONNX nodes; returns the output tensor name. Shapes include the batch axis. */
  lower(ctx: LowerContext, p: ParamsOf<S>, inputs: string[], inShapes: Shape[], out: Shape): string;
  /** Floating-point operations per sample, forward pass (a multiply-add counts 2). */
  flops(p: ParamsOf<S>, inputs: Shape[], out: Shape): number;
  /** A ReLU-family activation: the weighted layer feeding it gets He initialization. */
  reluFamily?: boolean;
  /** Layers that pass the init decision through (BatchNorm, Dropout, pooling). */
  transparent?: boolean;
}

/** A layer module's definition, its params typed from its own spec (`p.filters` is a number, `p.padding` one of its options). */
export function defineLayer<const S extends Record<string, ParamSpec>>(def: LayerDef<S>): LayerDef {
  return def as unknown as LayerDef;
}

export const isImage = (s: Shape): boolean => s.length === 3;
export const fmtShape = (s: Shape): string => ['N', ...s].join(' x ');

/** Every parameter of `def`: the value given, else the spec's default. The one place defaults are filled in. */
export function withDefaults(def: LayerDef, given: Readonly<Params> = {}): Params {
  const out: Params = {};
  for (const [k, spec] of Object.entries(def.params)) out[k] = given[k] ?? spec.default;
  return out;
}

export function num(p: Params, k: string): number {
  return p[k] as number;
}
export function str(p: Params, k: string): string {
  return p[k] as string;
}

/** Elements of a shape (the one numel helper, re-exported for the renderer, which imports only graph/). */
export { numel } from '../numel.ts';
