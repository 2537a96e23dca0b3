// Emits ONNX nodes with unique tensor names and tracks each tensor's shape, so that layer
// lowerings and gradient rules can be written as a few calls each.
import { type Attr, type Dim, type DType, type GraphIR, type NodeIR, type Tensor, type ValueInfo, floatTensor, int64Tensor } from './model.ts';

export const BATCH = 'N';

export class GraphBuilder {
  readonly nodes: NodeIR[] = [];
  readonly initializers: Tensor[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly shapes = new Map<string, Dim[]>();
  readonly dtypes = new Map<string, DType>();
  private used = new Set<string>();
  private consts = new Map<string, string>();
  /** Prefix for generated names, e.g. the document node being lowered. */
  scope = '';

  fresh(base: string): string {
    const stem = this.scope ? `${this.scope}/${base}` : base;
    let name = stem;
    for (let i = 1; this.used.has(name); i++) name = `${stem}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`tensor name ${name} used twice`);
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Dim[]): string {
    this.reserve(name);
    this.inputs.push({ name, dtype, shape });
    this.shapes.set(name, shape);
    this.dtypes.set(name, dtype);
    return name;
  }

  output(name: string, dtype: DType = 'float32'): void {
    const shape = this.shapes.get(name);
    this.outputs.push({ name, dtype: this.dtypes.get(name) ?? dtype, shape: shape ?? [] });
  }

  initializer(t: Tensor, reserved = false): string {
    if (!reserved) this.reserve(t.name);
    this.initializers.push(t);
    this.shapes.set(t.name, t.dims);
    this.dtypes.set(t.name, t.dtype);
    return t.name;
  }

  /** A float constant, shared between every use of the same values. */
  constF(values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    const key = `f:${dims}:${values}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.initializer(floatTensor(this.freshGlobal('c'), dims, values), true);
      this.consts.set(key, name);
    }
    return name;
  }

  constI64(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims}:${values}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.initializer(int64Tensor(this.freshGlobal('c'), dims, values), true);
      this.consts.set(key, name);
    }
    return name;
  }

  private freshGlobal(base: string): string {
    const s = this.scope;
    this.scope = '';
    const n = this.fresh(`const/${base}`);
    this.scope = s;
    return n;
  }

  /** Emits a node with `n` outputs; `shapes` gives their shapes when known. */
  opN(op: string, inputs: string[], n: number, attrs: Record<string, Attr> = {}, shapes?: (Dim[] | undefined)[], base?: string): string[] {
    const outs = Array.from({ length: n }, (_, i) => this.fresh(`${base ?? op}${n > 1 ? `.${i}` : ''}`));
    this.nodes.push({ op, inputs, outputs: outs, attrs, name: this.fresh(`node/${op}`) });
    outs.forEach((o, i) => {
      const s = shapes?.[i] ?? (i === 0 ? this.guessShape(op, inputs) : undefined);
      if (s) this.shapes.set(o, s);
    });
    return outs;
  }

  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, shape?: Dim[], base?: string): string {
    return this.opN(op, inputs, 1, attrs, [shape], base)[0];
  }

  /**
   * Gives the tensor `from` the name `to` (a graph output name) by renaming it everywhere,
   * instead of copying it through an Identity node. Falls back to Identity when `from` is
   * not a node output or is already an output under its own name.
   */
  rename(from: string, to: string): string {
    const producer = this.nodes.find((n) => n.outputs.includes(from));
    if (!producer || this.outputs.some((o) => o.name === from)) return this.op('Identity', [from], {}, this.shapes.get(from), to);
    this.reserve(to);
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => (i === from ? to : i));
      n.outputs = n.outputs.map((o) => (o === from ? to : o));
    }
    const sh = this.shapes.get(from);
    if (sh) this.shapes.set(to, sh);
    return to;
  }

  shape(name: string): Dim[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`shape of ${name} is not known`);
    return s;
  }

  private static readonly ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Sum', 'Greater', 'Equal']);
  private static readonly UNARY = new Set([
    'Relu', 'LeakyRelu', 'Elu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Sqrt', 'Neg', 'Identity', 'Softmax', 'LogSoftmax', 'Cast', 'Reciprocal', 'Not',
  ]);

  private guessShape(op: string, inputs: string[]): Dim[] | undefined {
    if (GraphBuilder.UNARY.has(op)) return this.shapes.get(inputs[0]);
    if (!GraphBuilder.ELEMENTWISE.has(op)) return undefined;
    const shapes = inputs.map((i) => this.shapes.get(i));
    if (shapes.some((s) => !s)) return undefined;
    return broadcastShapes(shapes as Dim[][]);
  }

  graph(name: string): GraphIR {
    return { name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers };
  }
}

export function broadcastShapes(shapes: Dim[][]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x !== 1) d = x;
    }
    out.push(d);
  }
  return out;
}
