// Every code an engine error or a skipped file's reason can carry, beside its English message:
// the sibling of problem-codes.ts for what is not a problem of the network. The renderer shows
// `errors:<code>` in the UI's language with the params; the CLI prints the English message.
// The RPC client (renderer/client/) gives its own errors codes from here too.
// test/renderer/error-codes.test.ts checks that each code here has a text in every language,
// that the sources emit no code missing here (`said('<code>'` and `skipReason('<code>'`) and
// that every code listed is emitted somewhere.
import type { CodedMessage, EngineText, ListedProblem } from '../protocol.ts';
import type { Problem } from './layer.ts';

export const ERROR_CODES = [
  // the dataset folder (data/scan.ts, session/project.ts, train/prepare.ts)
  'dataset-missing', 'dataset-is-file', 'dataset-files-no-classes', 'dataset-empty-classes', 'dataset-no-classes',
  'dataset-missing-here', 'dataset-outside', 'dataset-not-folder', 'no-images', 'only-one-class', 'no-usable-images', 'head-classes',
  // starting a run (session/training.ts, train/prepare.ts, graph/memory.ts)
  'run-busy', 'memory', 'memory-onnx-limit', 'memory-tensor', 'nothing-to-train',
  // a run's document and network, resuming, its checkpoints, its threads (train/prepare.ts, train/loop.ts,
  // train/checkpoint.ts, train/parallel.ts, train/run-client.ts, train/weights.ts); a run's model file (train/predictor.ts)
  'the-document', 'run-document', 'document-unloadable', 'document-problems', 'network-problems', 'no-input-layer',
  'resume-classes', 'resume-tensor-size', 'resume-tensor-missing', 'resume-image-count', 'resume-epochs',
  'checkpoint-non-finite', 'checkpoint-unwritable', 'checkpoint-unreplaceable', 'checkpoint-unreadable', 'checkpoint-old-format',
  'checkpoint-no-magic', 'checkpoint-truncated', 'checkpoint-checksum', 'checkpoint-header-cut', 'checkpoint-header-json',
  'checkpoint-no-tensors', 'checkpoint-tensor-cut', 'checkpoint-extra-bytes', 'checkpoint-missing', 'no-checkpoint',
  'replica-no-start', 'replica-failed', 'replica-exited', 'run-worker-failed', 'run-worker-exited',
  'weights-unreadable',
  'model-unreadable', 'model-not-onnx', 'model-input', 'model-input-size', 'model-no-probs', 'model-class-names', 'model-norm-json', 'model-norm-channels',
  // dataset thumbnails and the crash backup (session/dataset.ts, session/backup.ts)
  'thumbnail-failed', 'backup-damaged', 'backup-contents', 'backup-checksum',
  // divergence (train/divergence.ts, train/loop.ts)
  'diverged', 'non-finite-loss', 'loss-spike', 'non-finite-value', 'lower-lr',
  // a run's warnings in its log (train/outputs.ts, train/prepare.ts, train/ort.ts, train/run-worker.ts)
  'skipped-files', 'checkpoint-passed-over', 'checkpoint-moved', 'device-fallback', 'malformed-command',
  // why a GPU provider cannot train (train/ort.ts, train/devices.ts)
  'device-hint', 'device-not-built', 'device-unusable',
  // opening and saving files (session/files.ts)
  'file-missing', 'folder-missing', 'file-outside', 'not-a-document', 'not-onnx', 'not-a-file', 'file-too-large', 'file-exists',
  // the project's folders and runs, listing and saving (session/project.ts, session/files.ts)
  'data-file-missing', 'data-file-outside', 'folder-unnamed', 'folder-not-empty', 'not-a-run-name', 'run-missing',
  'dir-unlistable', 'not-chosen', 'document-too-large', 'cannot-write', 'in-run-folder', 'in-runs-folder',
  // importing IDX files (session/import.ts, data/idx.ts)
  'idx-no-pair', 'idx-pairs', 'idx-gzip', 'idx-not-idx', 'idx-type', 'idx-header-cut', 'idx-truncated', 'idx-extra-bytes',
  'idx-image-shape', 'idx-label-shape', 'idx-count-mismatch', 'idx-empty-images', 'idx-label-unnamed',
  // continuing a run as the session checks it first, its folder (session/training.ts, session/run-model.ts; the thread's own resume checks are with the run's document above)
  'run-folder-exists', 'cannot-continue', 'run-record-unreadable', 'run-no-dataset', 'continue-in-epoch', 'continue-below', 'continue-finished',
  'run-json-no-dataset', 'run-dataset-unreadable',
  // jobs on their threads (session/jobs.ts)
  'job-superseded', 'job-queue-full', 'job-cancelled', 'job-no-thread', 'job-failed', 'job-crashed', 'job-exited',
  // the Learn panel, Try it and the gradient check (session/learn.ts, session/predict.ts, session/gradcheck.ts)
  'learn-no-images', 'layer-not-computed', 'no-layer', 'layer-slide', 'no-parameter', 'index-outside', 'not-trained', 'image-unusable', 'gradcheck-no-images',
  // a request the engine cannot read (host.ts), the client's own (renderer/client/: rpc.ts, electron-client.ts, web-client.ts)
  'bad-request', 'unexpected-reply', 'no-desktop-method', 'engine-restarting', 'request-too-large', 'engine-unreachable', 'engine-closed',
  // importing an ONNX model (session/onnx-import.ts, graph/from-onnx.ts)
  'onnx-import', 'onnx-unreadable', 'onnx-opset', 'onnx-inputs', 'onnx-outputs', 'onnx-channels', 'onnx-unsupported', 'onnx-node',
  // why the import refuses the input, a node (onnx-node's {detail}, onnx-place's) or the result (graph/from-onnx.ts)
  'onnx-input-type', 'onnx-input-rank', 'onnx-input-size', 'onnx-norm-count', 'onnx-norm-numbers',
  'onnx-std-positive', 'onnx-place', 'onnx-domain', 'onnx-no-layer-kind', 'onnx-as-layer', 'onnx-weight-size',
  'onnx-attr-type', 'onnx-not-constant', 'onnx-input-constant', 'onnx-input-missing', 'onnx-extra-output',
  'onnx-window-2d', 'onnx-window-square', 'onnx-hw-differ', 'onnx-auto-pad', 'onnx-window-pads', 'onnx-needs-image',
  'onnx-needs-vector', 'onnx-constant-value', 'onnx-cast', 'onnx-conv-weight', 'onnx-kernel-shape',
  'onnx-gemm-trans-a', 'onnx-gemm-alpha', 'onnx-gemm-beta', 'onnx-gemm-matrix', 'onnx-gemm-features',
  'onnx-gemm-bias', 'onnx-matmul-weight', 'onnx-add-constants', 'onnx-add-bias', 'onnx-add-shapes',
  'onnx-inputs-max', 'onnx-concat-axis', 'onnx-concat-pooled', 'onnx-bn-pooled', 'onnx-bn-spatial',
  'onnx-bn-training', 'onnx-bn-channels', 'onnx-clip-open', 'onnx-prelu-slope', 'onnx-pool-dilated',
  'onnx-pool-storage-order', 'onnx-pool-count-pad', 'onnx-reduce-axes', 'onnx-flatten-axis', 'onnx-reshape',
  'onnx-squeeze', 'onnx-softmax-axis', 'onnx-log-softmax', 'onnx-pad-mode', 'onnx-pad-count', 'onnx-pad-axes',
  'onnx-pad-negative', 'onnx-output-source', 'onnx-doc-load', 'onnx-doc-problems', 'onnx-exists',
  // why a file is not a readable model (onnx-unreadable's {detail}: onnx/model.ts's reasons)
  'onnx-read-at', 'onnx-read-empty', 'onnx-read-not-onnx', 'onnx-read-ir', 'onnx-read-no-opset', 'onnx-read-no-graph',
  'onnx-read-external', 'onnx-read-data-type', 'onnx-read-elem-type', 'onnx-read-before', 'onnx-read-unproduced',
  'onnx-read-twice', 'onnx-read-never',
  // exporting (session/export.ts, export/pytorch)
  'export-refused',
  // why the PyTorch export refuses (export-refused's {detail}; export/pytorch)
  'export-missing', 'export-no-model', 'export-no-document', 'export-doc-load', 'export-problems', 'export-node',
  'export-layer', 'export-no-counterpart', 'export-layer-refused', 'export-torch-name', 'export-no-value',
  'export-window', 'export-maxpool-pad',
  // where the memory limit comes from (memory's {where}; train/prepare.ts); the execution providers' codes are with the run's warnings above
  'memory-where-machine', 'memory-where-env',
  'memory-where-share',
  // a run's model and dataset (session/run-model.ts: evaluate, export, Try it)
  'no-model', 'run-dataset',
] as const;

/**
 * Why a file or folder of a dataset is not a sample: the English reason with its {params}
 * (the text in skipped.csv, the cache and the CLI's report). The reason is built here only
 * (skipReason), so its code can always be read back from the text (skipText): the cache keeps
 * reasons as text.
 */
export const SKIP_REASONS = {
  'cannot-list': 'cannot list folder ({error})',
  'hidden-folder': 'hidden or system folder (ignored)',
  'hidden-file': 'hidden or system file (ignored)',
  'link-loop': 'symbolic link loop',
  'broken-link': 'broken symbolic link',
  'cannot-follow': 'cannot follow link ({error})',
  'special-file': 'not a regular file (FIFO, socket or device)',
  'no-class-folder': 'not inside a class folder',
  'beside-train-val': 'folder beside train/ and {eval}/ (ignored)',
  'empty-class-folder': 'empty class folder (ignored)',
  'permission-denied': 'cannot read file (permission denied)',
  'read-link-loop': 'cannot read file (symbolic link loop)',
  'cannot-read': 'cannot read file ({error})',
  'empty-file': 'empty file',
  'unsupported-format': 'unsupported format ({format}); convert it to PNG',
  'too-many-pixels': 'image is larger than {megapixels} megapixels',
  'bmp-rle': 'unsupported BMP variant (RLE compression); convert it to PNG',
  'bmp-embedded': 'unsupported BMP variant (embedded JPEG/PNG); convert it to PNG',
  'bmp-compression': 'unsupported BMP variant (compression {compression})',
  'bmp-bits': 'unsupported BMP variant ({bits} bits per pixel)',
  'unsupported-variant': 'unsupported {format} variant',
  'not-an-image': 'not an image',
  'corrupt': 'truncated or corrupt {format}',
  'undecodable': 'could not decode: {detail}',
  'not-decoded': 'could not decode',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type SkipCode = keyof typeof SKIP_REASONS;
export const SKIP_CODES = Object.keys(SKIP_REASONS) as SkipCode[];
type Params = EngineText['params'];

/** A message's code and params (the code checked against ERROR_CODES when it compiles). */
export const said = (code: ErrorCode, params: Params = {}): EngineText => ({ code, params });

/** An Error whose message also comes as code + params (a layer below the session throws it; the session passes `text` on). */
export class CodedError extends Error {
  constructor(message: string, readonly text?: EngineText) {
    super(message);
  }
}

/** One line of a problem list: `  - [node.param] text` (no brackets for a problem of no layer). */
export const problemLine = (p: Pick<ListedProblem, 'nodeId' | 'param'>, text: string): string =>
  `  - ${p.nodeId !== undefined ? `[${p.nodeId}${p.param ? `.${p.param}` : ''}] ` : ''}${text}`;

/**
 * Graph problems a message lists: their English lines (the message's `{problems}`), and each with
 * its code, for a text's `problems` (the renderer fills `{problems}` in with them translated).
 */
export function problemList(problems: Problem[]): { message: string; problems: ListedProblem[] } {
  const listed = problems.map((p): ListedProblem => {
    const params = p.params && Object.fromEntries(Object.entries(p.params).filter((e): e is [string, string | number] => e[1] !== undefined));
    return { code: p.code, message: p.message, ...(params ? { params } : {}), ...(p.nodeId !== undefined ? { nodeId: p.nodeId } : {}), ...(p.param ? { param: p.param } : {}) };
  });
  return { message: listed.map((p) => problemLine(p, p.message)).join('\n'), problems: listed };
}

/** The code and params an error carries (a CodedError, or an EngineError with text), if any. */
export function textOf(e: unknown): EngineText | undefined {
  const t = (e as { text?: unknown } | null)?.text;
  return t && typeof t === 'object' && typeof (t as EngineText).code === 'string' && typeof (t as EngineText).params === 'object' ? (t as EngineText) : undefined;
}

/**
 * An error as a param of another message: its code, params and English message when it has a
 * code (or its message is a skipped file's reason, as a decoder's errors are), else its message.
 */
export function nested(e: unknown): string | CodedMessage {
  const message = e instanceof Error ? e.message : String(e);
  const t = textOf(e) ?? skipText(message);
  return t ? { ...t, message } : message;
}

/**
 * A problem of the network or of the dataset report (graph/problem-codes.ts) as a coded message:
 * code `engine.<code>`, which the UI shows from its `engine` texts (a log line, a param).
 */
export function problemMessage(p: { code?: string; params?: Record<string, string | number | undefined>; message: string }): CodedMessage {
  const params = Object.fromEntries(Object.entries(p.params ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  return { code: p.code ? `engine.${p.code}` : 'engine.?', params, message: p.message };
}

/** The English reason for a skipped file. */
export function skipReason(code: SkipCode, params: Record<string, string | number> = {}): string {
  return SKIP_REASONS[code].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

const escape = (s: string): string => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
const PATTERNS = SKIP_CODES.map((code) => {
  const names: string[] = [];
  const src = SKIP_REASONS[code].split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    if (!m) return escape(part);
    names.push(m[1]);
    return '(.+?)';
  });
  return { code, names, re: new RegExp(`^${src.join('')}$`, 's') };
});

/** A skipped file's reason as code + params, read back from its English text (undefined: not one of SKIP_REASONS). */
export function skipText(reason: string): EngineText | undefined {
  for (const p of PATTERNS) {
    const m = p.re.exec(reason);
    if (m) return { code: p.code, params: Object.fromEntries(p.names.map((n, i) => [n, m[i + 1]])) };
  }
  return undefined;
}
