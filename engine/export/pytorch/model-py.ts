// model.py: one nn.Module whose attributes are the document's node ids (made into Python names),
// built in __init__ and called in forward in the order shape inference evaluates them.
import type { NetworkDocument } from '../../graph/document.ts';
import { inferShapes, resolved, type Analysis } from '../../graph/infer.ts';
import { LOSSES, type LossName } from '../../graph/losses.ts';
import { nested, said } from '../../graph/error-codes.ts';
import { ExportRefusal, torchRow, type TorchRow } from './layers.ts';

const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda ' +
    'nonlocal not or pass raise return try while with yield match case').split(' '),
);
/** Names an nn.Module attribute must not shadow, and names forward uses itself. */
const RESERVED = new Set(
  ('self x torch nn F forward training train eval cuda cpu to type float double half parameters buffers children modules state_dict ' +
    'load_state_dict apply zero_grad register_buffer register_parameter add_module requires_grad_ named_parameters named_buffers ' +
    'named_modules named_children extra_repr input print super').split(' '),
);

export interface ModelNode {
  nodeId: string;
  type: string;
  /** The Python attribute / variable name. */
  name: string;
  row: TorchRow;
  /** Whether the layer is an nn.Module attribute (self.<name>). */
  hasModule: boolean;
}

export interface ModelSource {
  className: string;
  text: string;
  nodes: ModelNode[];
  analysis: Analysis;
  classes: number;
  loss: LossName;
  inputShape: number[];
}

/** A Python identifier from a node id: other characters become '_', never a keyword or a Module attribute. */
export function pythonName(id: string, taken: Set<string>): string {
  let s = id.replace(/[^A-Za-z0-9_]/g, '_');
  if (!s || /^[0-9]/.test(s)) s = `layer_${s}`;
  if (KEYWORDS.has(s) || RESERVED.has(s) || s.startsWith('__')) s = `${s}_`;
  let out = s;
  for (let i = 2; taken.has(out); i++) out = `${s}_${i}`;
  taken.add(out);
  return out;
}

export function className(docName: string): string {
  const words = docName.replace(/\(.*?\)/g, ' ').split(/[^A-Za-z0-9]+/).filter(Boolean);
  const s = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return !s ? 'Net' : /^[0-9]/.test(s) ? `Net${s}` : s === 'Model' || KEYWORDS.has(s) ? `${s}Net` : s;
}

const fmt = (s: number[]): string => s.join('x');

export function modelSource(doc: NetworkDocument): ModelSource {
  const analysis = inferShapes(doc);
  if (!analysis.ok) {
    const errs = analysis.problems.filter((p) => p.severity !== 'warning');
    const problems = errs.map((p) => `  - ${p.nodeId ? `[${p.nodeId}] ` : ''}${p.message}`).join('\n');
    throw new ExportRefusal(`the network has problems:\n${problems}`, said('export-problems', { problems }));
  }
  const live = liveNodes(analysis);
  const order = analysis.order.filter((n) => live.has(n.id));
  const taken = new Set<string>();
  const nodes: ModelNode[] = order.map((n) => {
    let row: TorchRow;
    try {
      row = torchRow(n.type);
    } catch (e) {
      throw new ExportRefusal(`[${n.id}] ${(e as Error).message}`, said('export-node', { node: n.id, detail: nested(e) }));
    }
    return { nodeId: n.id, type: n.type, name: pythonName(n.id, taken), row, hasModule: !!row.module };
  });
  const byId = new Map(nodes.map((m) => [m.nodeId, m]));
  const docNode = new Map(doc.nodes.map((n) => [n.id, n]));
  const consumers = new Map<string, string[]>();
  for (const m of nodes) for (const s of analysis.inputsOf.get(m.nodeId)!) consumers.set(s!, [...(consumers.get(s!) ?? []), m.nodeId]);

  const init: string[] = [];
  const forward: string[] = [];
  // A result used only by the very next layer stays in `x`; one read later (a skip connection,
  // a branch) keeps its own name until then.
  const varOf = new Map<string, string>();
  nodes.forEach((m, i) => {
    const node = docNode.get(m.nodeId)!;
    const { params } = resolved(node);
    const srcs = analysis.inputsOf.get(m.nodeId)!.map((s) => s!);
    const ins = srcs.map((s) => analysis.shapes.get(s)!);
    const out = analysis.shapes.get(m.nodeId)!;
    const where = `[${m.nodeId}] ${m.type}`;
    const guard = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw new ExportRefusal(`${where}: ${(e as Error).message}`, said('export-layer', { node: m.nodeId, type: m.type, detail: nested(e) }));
      }
    };
    const uses = consumers.get(m.nodeId) ?? [];
    const target = m.type === 'Output' ? 'x' : uses.length === 1 && nodes[i + 1]?.nodeId === uses[0] ? 'x' : m.name;
    if (m.type === 'Input') {
      varOf.set(m.nodeId, target);
      if (target !== 'x') forward.push(`${target} = x`);
      return;
    }
    const reshapes = ins.some((s) => fmt(s) !== fmt(out));
    const comment = [node.label, reshapes ? `${ins.map(fmt).join(' + ')} -> ${fmt(out)}` : ''].filter(Boolean).join(': ');
    const note = comment ? `  # ${comment}` : '';
    if (m.hasModule) init.push(`self.${m.name} = ${guard(() => m.row.module!({ params, ins, out }))}${note}`);
    const xs = srcs.map((s) => varOf.get(s)!);
    const call = m.row.call ? guard(() => m.row.call!({ params, ins, out, self: `self.${m.name}`, xs })) : `self.${m.name}(${xs[0]})`;
    varOf.set(m.nodeId, target);
    if (m.type === 'Output') forward.push(`return ${call}  # logits, ${fmt(out)}`);
    else forward.push(`${target} = ${call}${m.hasModule ? '' : `  # ${m.name}${comment ? `: ${comment}` : ''}`}`);
  });

  const head = docNode.get(analysis.outputId!)!;
  const loss = resolved(head).params.loss as ModelSource['loss'];
  const inputShape = analysis.shapes.get(analysis.inputId!)!;
  const classes = analysis.shapes.get(analysis.outputId!)![0];
  const name = className(doc.name);
  const usesF = forward.some((l) => l.includes('F.'));
  const text = [
    `"""${doc.name.replace(/"""/g, "'''")}: the network of a Netwright document, as a PyTorch module.`,
    '',
    `Input: float32 images [N, ${inputShape.join(', ')}], pixels scaled x/255 (then (x - mean) / std when`,
    `the document normalizes with mean-std; train.py does this). Output: logits [N, ${classes}]`,
    `(${LOSSES[loss].pytorch.about}).`,
    'Attributes are the document\'s node ids; weights.pt (when exported from a run) loads with',
    'model.load_state_dict(torch.load("weights.pt")).',
    '"""',
    'import torch',
    'from torch import nn',
    ...(usesF ? ['import torch.nn.functional as F'] : []),
    '',
    '',
    `class ${name}(nn.Module):`,
    `    input_shape = (${inputShape.join(', ')})`,
    `    classes = ${classes}`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...(init.length ? init.map((l) => `        ${l}`) : ['        pass']),
    '',
    '    def forward(self, x):',
    ...forward.map((l) => `        ${l}`),
    '',
  ].join('\n');
  return { className: name, text, nodes, analysis, classes, loss, inputShape };
}

function liveNodes(a: Analysis): Set<string> {
  const live = new Set<string>([a.outputId!]);
  const stack = [a.outputId!];
  while (stack.length) for (const s of a.inputsOf.get(stack.pop()!) ?? []) if (s && !live.has(s)) live.add(s), stack.push(s);
  return live;
}
