// The network document: versioned JSON (docs/format.md), validated on load; problems are data.
import { z } from 'zod';
import { withDefaults, type Params, type Problem } from './layer.ts';
import { layerDef } from './registry.ts';

export const FORMAT = 'netwright';
export const FORMAT_VERSION = 1;

const paramValue = z.union([z.number(), z.boolean(), z.string()]);

const nodeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  params: z.record(z.string(), paramValue).default({}),
  position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
  label: z.string().optional(),
  /**
   * Frozen (fine-tuning): the node's parameters get no gradient and no optimizer state, and it
   * runs as in inference (BatchNorm on its running statistics, which stay as they are).
   */
  frozen: z.boolean().optional(),
});

const edgeSchema = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  target: z.string().min(1),
  /** Input port of the target (0 unless the layer has several inputs). */
  targetPort: z.number().int().min(0).default(0),
});

export const augmentSchema = z.object({
  /** Mirror left-right with probability 1/2. */
  hflip: z.boolean().default(false),
  /** Random crop of the image zero-padded by this many pixels per side. */
  cropPadding: z.number().int().min(0).max(64).default(0),
  /** Random shift up to this fraction of the width/height. */
  translate: z.number().min(0).max(0.5).default(0),
  /** Brightness factor in [1 - b, 1 + b]. */
  brightness: z.number().min(0).max(1).default(0),
  /** Contrast factor in [1 - c, 1 + c]. */
  contrast: z.number().min(0).max(1).default(0),
});

/** How images become input tensors (docs/format.md, "Data settings"). */
export const dataSchema = z.object({
  /** Fitting an image of another aspect ratio: stretch, center-crop (cover) or letterbox (contain, black bars). */
  resize: z.enum(['stretch', 'center-crop', 'letterbox']).default('stretch'),
  /** x/255, or per-channel (x/255 - mean) / std with mean and std from the training split. */
  normalize: z.enum(['x/255', 'mean-std']).default('x/255'),
  augment: augmentSchema.default(() => augmentSchema.parse({})),
  /** Decoded-pixel cache folder (default ~/.cache/netwright/images), relative to the document's folder. */
  cacheDir: z.string().optional(),
});

export type DataSettings = z.infer<typeof dataSchema>;

/** Learning-rate schedule (engine/train/schedule.ts); left out: constant. */
export const scheduleSchema = z.object({
  kind: z.enum(['constant', 'step', 'cosine']).default('constant'),
  /** Linear warm-up from 0 over this many optimizer steps. */
  warmupSteps: z.number().int().min(0).max(1e7).default(0),
  /** Step decay: multiply by gamma every stepEpochs epochs. */
  stepEpochs: z.number().int().min(1).max(100000).default(10),
  gamma: z.number().positive().max(1).default(0.1),
  /** Cosine: the rate falls to lr * minFactor at the last step. */
  minFactor: z.number().min(0).max(1).default(0),
});

export type ScheduleSettings = z.infer<typeof scheduleSchema>;

export const trainingSchema = z.object({
  optimizer: z.enum(['sgd', 'adam', 'adamw']).default('sgd'),
  lr: z.number().positive().max(10).default(0.01),
  momentum: z.number().min(0).max(0.999).default(0.9),
  nesterov: z.boolean().default(false),
  weightDecay: z.number().min(0).max(1).default(0),
  beta1: z.number().min(0).max(0.9999).default(0.9),
  beta2: z.number().min(0).max(0.99999).default(0.999),
  eps: z.number().positive().max(1).default(1e-8),
  batchSize: z.number().int().min(1).max(65536).default(64),
  epochs: z.number().int().min(1).max(100000).default(10),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  valSplit: z.number().min(0).max(0.9).default(0.1),
  /** Image folder, absolute or relative to the document's folder. */
  dataset: z.string().optional(),
  /** Image decoding, normalization and augmentation; left out, every default applies. */
  data: dataSchema.optional(),
  /** Learning-rate schedule; left out, the rate stays constant. */
  schedule: scheduleSchema.optional(),
  /** When a run counts as diverged; left out, every default applies. */
  divergence: z.object({
    /**
     * A step's loss above this many times the larger of its running mean and the loss of a
     * uniform guess (ln K for cross-entropy) stops the run; 0 turns the check off. NaN or
     * infinite losses always stop it.
     */
    lossSpike: z.number().min(0).default(3),
  }).optional(),
});

export type TrainingSettings = z.infer<typeof trainingSchema>;

/** The data settings with every default filled in. */
export const dataSettings = (t: Pick<TrainingSettings, 'data'>): DataSettings => t.data ?? dataSchema.parse({});

/** A named group of connected nodes, drawn as one node when collapsed (display only: inference and training ignore it). */
export const blockSchema = z.object({
  id: z.string().min(1),
  name: z.string().default('block'),
  nodes: z.array(z.string().min(1)).min(1),
  collapsed: z.boolean().default(true),
});

export const documentSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  name: z.string().default('untitled'),
  nodes: z.array(nodeSchema),
  edges: z.array(edgeSchema),
  training: trainingSchema.default(trainingSchema.parse({})),
  /**
   * Weights file (safetensors, docs/format.md) holding starting values by `<nodeId>.<weightName>`
   * (an imported model's weights), relative to the document's folder; left out: random init.
   */
  weights: z.string().min(1).optional(),
  /** Optional groups of nodes for the canvas (docs/format.md, "Blocks"). */
  blocks: z.array(blockSchema).optional(),
});

export type NetworkDocument = z.infer<typeof documentSchema>;
export type DocNode = NetworkDocument['nodes'][number];
export type DocEdge = NetworkDocument['edges'][number];
export type DocBlock = z.infer<typeof blockSchema>;

export type LoadResult = { ok: true; doc: NetworkDocument; problems: Problem[] } | { ok: false; problems: Problem[] };

/** Parses and validates a document. Structure errors stop the load; param errors are reported per node. */
export function parseDocument(input: unknown): LoadResult {
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input);
    } catch (e) {
      return { ok: false, problems: [{ code: 'json', params: { error: (e as Error).message }, message: `not valid JSON: ${(e as Error).message}` }] };
    }
  }
  const head = input as { format?: unknown; version?: unknown } | null;
  if (!head || typeof head !== 'object' || Array.isArray(head)) {
    return { ok: false, problems: [{ code: 'not-a-document', params: { form: 'object', found: '' }, message: 'expected a JSON object with "format": "netwright"' }] };
  }
  if (head.format !== FORMAT) {
    return { ok: false, problems: [{ code: 'not-a-document', params: { form: 'format', found: JSON.stringify(head.format) ?? 'undefined' }, message: `"format" must be "${FORMAT}" (found ${JSON.stringify(head.format)})` }] };
  }
  if (typeof head.version === 'number' && head.version > FORMAT_VERSION) {
    return {
      ok: false,
      problems: [{ code: 'future-version', params: { version: Number(head.version), max: FORMAT_VERSION }, message: `this document is format version ${head.version}, written by a newer Netwright; this version reads up to ${FORMAT_VERSION}. Update Netwright to open it.` }],
    };
  }
  const parsed = documentSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ code: 'schema', params: { path: i.path.join('.') || 'document', error: i.message }, message: `${i.path.join('.') || 'document'}: ${i.message}` })),
    };
  }
  const doc = parsed.data;
  const problems = [...checkIds(doc), ...checkBlocks(doc), ...doc.nodes.flatMap(checkParams)];
  if (problems.some((p) => p.code === 'duplicate-id' || p.code === 'bad-block')) return { ok: false, problems };
  return { ok: true, doc, problems };
}

function checkIds(doc: NetworkDocument): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const n of doc.nodes) {
    if (seen.has(n.id)) out.push({ nodeId: n.id, code: 'duplicate-id', params: { form: 'node', id: n.id }, message: `two nodes have the id "${n.id}"` });
    seen.add(n.id);
  }
  const edges = new Set<string>();
  for (const e of doc.edges) {
    if (edges.has(e.id)) out.push({ edgeId: e.id, code: 'duplicate-id', params: { form: 'edge', id: e.id }, message: `two edges have the id "${e.id}"` });
    edges.add(e.id);
  }
  return out;
}

/**
 * Blocks name nodes that exist, no node is in two blocks, and a block's nodes are connected
 * (through edges between them, either direction).
 */
export function checkBlocks(doc: Pick<NetworkDocument, 'nodes' | 'edges' | 'blocks'>): Problem[] {
  const out: Problem[] = [];
  const ids = new Set(doc.nodes.map((n) => n.id));
  const owner = new Map<string, string>();
  const blockIds = new Set<string>();
  for (const b of doc.blocks ?? []) {
    const bad = (message: string, nodeId?: string) => out.push({ ...(nodeId ? { nodeId } : {}), code: 'bad-block', params: { block: b.id, error: message }, message: `block "${b.id}": ${message}` });
    if (blockIds.has(b.id)) bad('two blocks have this id');
    blockIds.add(b.id);
    const members = new Set<string>();
    for (const id of b.nodes) {
      if (!ids.has(id)) bad(`no node has the id "${id}"`);
      else if (members.has(id)) bad(`lists node "${id}" twice`, id);
      else if (owner.has(id)) bad(`node "${id}" is already in block "${owner.get(id)}"`, id);
      else owner.set(id, b.id);
      members.add(id);
    }
    if (!blockConnected(b.nodes, doc.edges)) bad('its nodes are not connected to each other');
  }
  return out;
}

/** True when the nodes form one piece through the edges between them (either direction). */
export function blockConnected(nodes: string[], edges: { source: string; target: string }[]): boolean {
  const set = new Set(nodes);
  if (set.size <= 1) return true;
  const nb = new Map<string, string[]>();
  for (const e of edges) {
    if (!set.has(e.source) || !set.has(e.target)) continue;
    nb.set(e.source, [...(nb.get(e.source) ?? []), e.target]);
    nb.set(e.target, [...(nb.get(e.target) ?? []), e.source]);
  }
  const seen = new Set<string>([nodes[0]]);
  const stack = [nodes[0]];
  while (stack.length) for (const m of nb.get(stack.pop()!) ?? []) if (!seen.has(m)) (seen.add(m), stack.push(m));
  return seen.size === set.size;
}

/** Unknown layer types, unknown params, and values of the wrong type or out of range. */
export function checkParams(node: DocNode): Problem[] {
  const def = layerDef(node.type);
  if (!def) return [{ nodeId: node.id, code: 'unknown-layer', params: { type: node.type }, message: `unknown layer type "${node.type}"` }];
  const out: Problem[] = [];
  for (const [k, v] of Object.entries(node.params)) {
    const spec = def.params[k];
    const at = { nodeId: node.id, param: k };
    if (!spec) {
      out.push({ ...at, code: 'unknown-param', params: { layer: def.type, param: k }, message: `${def.type} has no parameter "${k}"` });
      continue;
    }
    if (spec.kind === 'int' || spec.kind === 'float') {
      if (typeof v !== 'number' || !Number.isFinite(v)) out.push({ ...at, code: 'param-type', params: { form: 'number', param: k }, message: `${k} must be a number` });
      else if (spec.kind === 'int' && !Number.isInteger(v)) out.push({ ...at, code: 'param-type', params: { form: 'int', param: k }, message: `${k} must be a whole number` });
      else if (v < spec.min || v > spec.max) out.push({ ...at, code: 'param-range', params: { form: 'range', param: k, min: spec.min, max: spec.max, value: v }, message: `${k} must be between ${spec.min} and ${spec.max} (is ${v})` });
    } else if (spec.kind === 'bool') {
      if (typeof v !== 'boolean') out.push({ ...at, code: 'param-type', params: { form: 'bool', param: k }, message: `${k} must be true or false` });
    } else if (!spec.options.includes(v as string)) {
      out.push({ ...at, code: 'param-range', params: { form: 'enum', param: k, options: spec.options.join(', '), value: JSON.stringify(v) ?? '' }, message: `${k} must be one of ${spec.options.join(', ')} (is ${JSON.stringify(v)})` });
    }
  }
  return out;
}

export function nodeParams(node: DocNode): Params {
  const def = layerDef(node.type);
  return def ? withDefaults(def, node.params) : {};
}
