// The one protocol definition: messages between the engine and whoever drives it (CLI, web
// bridge, Electron). Validated with zod wherever they cross a thread or process border.
import { z } from 'zod';

/** One optimizer step as the plot needs it (the training loop's 'step' event, engine/train/messages.ts, less its type). */
export const stepPoint = z.object({
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  samplesPerSec: z.number(),
  lr: z.number(),
});
export type StepPoint = z.infer<typeof stepPoint>;

export const epochEvent = z.object({
  type: z.literal('epoch'),
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  samplesPerSec: z.number(),
  seconds: z.number(),
});

export const startedEvent = z.object({
  type: z.literal('started'),
  device: z.string(),
  classNames: z.array(z.string()),
  trainCount: z.number().int(),
  valCount: z.number().int(),
  stepsPerEpoch: z.number().int(),
  totalSteps: z.number().int(),
});

export const doneEvent = z.object({
  type: z.literal('done'),
  reason: z.enum(['finished', 'max-steps', 'stopped']),
  step: z.number().int(),
  epoch: z.number().int(),
  outDir: z.string(),
  files: z.array(z.string()),
  /** The epoch saved as best.onnx, with its validation (or, without a split, training) figures. */
  best: z.object({ epoch: z.number().int(), accuracy: z.number(), loss: z.number() }).nullable().optional(),
});

/** The worker acknowledges pause and resume at a step boundary. */
export const pausedEvent = z.object({ type: z.literal('paused'), step: z.number().int() });
export const resumedEvent = z.object({ type: z.literal('resumed'), step: z.number().int() });

/**
 * A message as a code and its params, for the UI's language (the codes: engine/graph/error-codes.ts);
 * the English `message` beside it is what the CLI prints. A param may be another coded message
 * with its own English text (the reason inside "cannot import x.onnx: <reason>").
 */
export type EngineText = { code: string; params: Record<string, string | number | CodedMessage>; problems?: ListedProblem[] };
export type CodedMessage = EngineText & { message: string };
/**
 * One of the graph problems a message lists (a document's, a network's: its `{problems}`
 * param, filled in by the renderer), with its code (`engine.<code>`, graph/problem-codes.ts).
 */
export type ListedProblem = { code: string; params?: Record<string, string | number>; message: string; nodeId?: string; param?: string };
const listedProblem = z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])).optional(), message: z.string(), nodeId: z.string().optional(), param: z.string().optional() });
const paramValue = z.lazy(() => z.union([z.string(), z.number(), codedMessage]));
export const engineText: z.ZodType<EngineText> = z.lazy(() => z.object({ code: z.string(), params: z.record(z.string(), paramValue), problems: z.array(listedProblem).optional() }));
const codedMessage: z.ZodType<CodedMessage> = z.lazy(() => z.object({ code: z.string(), params: z.record(z.string(), paramValue), problems: z.array(listedProblem).optional(), message: z.string() }));

export const errorEvent = z.object({ type: z.literal('error'), message: z.string(), text: engineText.optional() });

/** A line of the run's log; `text`: the message as code + params where the UI shows it (its warnings). */
export const logEvent = z.object({ type: z.literal('log'), level: z.enum(['info', 'warn']), message: z.string(), text: engineText.optional() });

/**
 * The run stopped because training diverged (an 'error' event follows). `value` is the loss or
 * the offending value, null when it is not a finite number (NaN and infinities are not JSON).
 */
export const divergedEvent = z.object({
  type: z.literal('diverged'),
  step: z.number().int(),
  reason: z.enum(['non-finite-loss', 'loss-spike', 'non-finite-parameters']),
  value: z.number().nullable(),
  message: z.string(),
  hint: z.string(),
  /** `message` and `hint` as code + params (engine/graph/error-codes.ts). */
  text: engineText.optional(),
  hintText: engineText.optional(),
});
export type DivergedEvent = z.infer<typeof divergedEvent>;

export type EpochEvent = z.infer<typeof epochEvent>;
export type DoneEvent = z.infer<typeof doneEvent>;
export type StartedEvent = z.infer<typeof startedEvent>;

// ---- Editor <-> engine (web bridge over WebSocket, Electron over a MessagePort; METHODS below) ----

/** The largest WebSocket message the web bridge takes; a bigger one closes that connection. */
export const MAX_SOCKET_MESSAGE_BYTES = 32 * 1024 * 1024;
/** The largest image file Try it sends (base64: 4/3 of it, under the socket limit with room for the request). */
export const MAX_IMAGE_UPLOAD_BYTES = 18 * 1024 * 1024;
/**
 * A request's id comes back in its reply, so it must survive JSON both ways: a safe integer
 * (`1e400` parses as Infinity, which JSON writes back as null).
 */
export const requestId = z.custom<number>((v) => Number.isSafeInteger(v), 'must be a whole number within ±(2^53 - 1)');

/** One entry of a folder listing in the file dialog: sub-folders and network documents (.json) only. */
export const dirEntry = z.object({ name: z.string(), kind: z.enum(['dir', 'file']) });
export type DirEntry = z.infer<typeof dirEntry>;

export const recoveredBackup = z.object({
  backup: z.object({ text: z.string(), path: z.string().nullable(), savedAt: z.string() }).nullable(),
  /** Set when a backup existed but was damaged (and skipped). */
  problem: z.string().nullable(),
  problemText: engineText.optional(),
});
export type RecoveredBackup = z.infer<typeof recoveredBackup>;

export const engineInfo = z.object({
  version: z.string(),
  /** Folder the file dialog starts in; files outside it are refused. */
  root: z.string(),
  platform: z.string(),
  /** Folders of MNIST-style IDX files in the shared dataset folders (`serve --datasets`). */
  idxFolders: z.array(z.string()).default([]),
  /** Bytes a training run may take before it is refused (engine/train/prepare.ts, memoryLimit). */
  trainingMemoryLimit: z.number().optional(),
});
export type EngineInfo = z.infer<typeof engineInfo>;

export const openedFile = z.object({ path: z.string(), text: z.string() });
export const savedFile = z.object({ path: z.string() });
export const dirListing = z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(dirEntry) });
export type OpenedFile = z.infer<typeof openedFile>;
export type SavedFile = z.infer<typeof savedFile>;
export type DirListing = z.infer<typeof dirListing>;

/** Responses: `code` lets the editor react (e.g. ask before overwriting an existing file). */
export const serverResponse = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), code: z.enum(['exists', 'not-found', 'refused', 'bad-request', 'io', 'superseded']), error: z.string(), text: engineText.optional() }),
]);
export type ServerResponse = z.infer<typeof serverResponse>;

// ---- Training, evaluation and export: results and pushed events ----

/** Step events coalesced by the engine (about 30 batches per second at most); no point is dropped. */
export const stepsEvent = z.object({ type: z.literal('steps'), points: z.array(stepPoint) });

export const sessionEvent = z.discriminatedUnion('type', [stepsEvent, epochEvent, logEvent, startedEvent, doneEvent, errorEvent, pausedEvent, resumedEvent, divergedEvent]);
export type SessionEvent = z.infer<typeof sessionEvent>;

/** Pushed from the engine on the same connection as responses (they carry no `id`). */
export const serverEvent = z.object({ runId: z.string(), event: sessionEvent });
export type ServerEvent = z.infer<typeof serverEvent>;

const classCount = z.object({ name: z.string(), label: z.number().int(), train: z.number().int(), val: z.number().int() });
export const datasetReportResult = z.object({
  root: z.string(),
  layout: z.enum(['class-folders', 'train-val']),
  classNames: z.array(z.string()),
  classes: z.array(classCount),
  totals: z.object({ train: z.number().int(), val: z.number().int(), skipped: z.number().int() }),
  skippedByReason: z.record(z.string(), z.number()),
  skipped: z.array(z.object({ path: z.string(), reason: z.string(), text: engineText.optional() })),
  duplicates: z.array(z.array(z.string())),
  leakage: z.array(z.object({ train: z.array(z.string()), val: z.array(z.string()) })),
  warnings: z.array(z.string()),
  /** The warnings as code + params (engine/graph/problem-codes.ts), for the UI's language. */
  issues: z.array(z.object({ code: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])), message: z.string() })).optional(),
  /** A few training images per class, relative to the root (for thumbnails). */
  samples: z.array(z.array(z.string())),
});
export type DatasetReportResult = z.infer<typeof datasetReportResult>;

export const augmentPreviewResult = z.object({
  augmenting: z.boolean(),
  augment: z.record(z.string(), z.union([z.number(), z.boolean()])),
  samples: z.array(z.object({ path: z.string(), label: z.number().int(), original: z.string(), augmented: z.array(z.string()) })),
});
export type AugmentPreviewResult = z.infer<typeof augmentPreviewResult>;

export const importIdxResult = z.object({
  outDir: z.string(),
  layout: z.enum(['class-folders', 'train-val']),
  /** The IDX pairs imported: which files went to which side. */
  parts: z.array(z.object({ images: z.string(), labels: z.string(), side: z.string(), count: z.number().int() })),
  perClass: z.record(z.string(), z.number().int()),
});
export type ImportIdxResult = z.infer<typeof importIdxResult>;

export const imagesResult = z.object({ images: z.array(z.object({ path: z.string(), url: z.string().nullable(), error: z.string().optional(), text: engineText.optional() })) });
export type ImagesResult = z.infer<typeof imagesResult>;

export const deviceName = z.enum(['cpu', 'cuda', 'dml', 'coreml']);
export type DeviceName = z.infer<typeof deviceName>;
/** `reasonText`: why it is not available as code + params (engine/graph/error-codes.ts). */
export const deviceInfo = z.object({ device: deviceName, label: z.string(), available: z.boolean(), reason: z.string().optional(), reasonText: engineText.optional() });
export type DeviceInfo = z.infer<typeof deviceInfo>;

export const runState = z.enum(['idle', 'starting', 'running', 'paused', 'stopping']);
export const startedRun = z.object({ runId: z.string(), outDir: z.string() });
export const controlResult = z.object({ state: runState });

export const trainingStatus = z.object({
  state: runState,
  runId: z.string().nullable(),
  started: startedEvent.nullable(),
  points: z.array(stepPoint),
  epochs: z.array(epochEvent),
  done: doneEvent.nullable(),
  error: z.string().nullable(),
  errorText: engineText.optional(),
});
export type TrainingStatus = z.infer<typeof trainingStatus>;

export const runSummary = z.object({
  runId: z.string(),
  name: z.string(),
  dataDir: z.string(),
  startedAt: z.string(),
  status: z.enum(['running', 'finished', 'max-steps', 'stopped', 'error', 'interrupted']),
  settings: z.record(z.string(), z.unknown()),
  epochs: z.number().int(),
  steps: z.number().int(),
  final: z.object({ loss: z.number().nullable(), accuracy: z.number().nullable(), valLoss: z.number().nullable(), valAccuracy: z.number().nullable() }).nullable(),
  best: z.object({ epoch: z.number().int(), accuracy: z.number(), loss: z.number() }).nullable(),
  hasModel: z.boolean(),
  /** It has a checkpoint: continueTraining can go on from it (and extend it). */
  canContinue: z.boolean().default(false),
  /** Display name given by the user (renameRun); null: the app shows a short default. */
  title: z.string().nullable().default(null),
  /** The document the run was started from, when it had a file. */
  docPath: z.string().nullable().default(null),
  /** Why the run failed (status 'error'). */
  error: z.string().nullable().default(null),
  errorText: engineText.optional(),
});
export type RunSummary = z.infer<typeof runSummary>;

export const runCurves = z.object({
  runId: z.string(),
  /** [step, loss, accuracy] per optimizer step. */
  steps: z.array(z.tuple([z.number(), z.number(), z.number()])),
  epochs: z.array(z.object({ epoch: z.number(), step: z.number(), loss: z.number().nullable(), accuracy: z.number().nullable(), valLoss: z.number().nullable(), valAccuracy: z.number().nullable() })),
});
export type RunCurves = z.infer<typeof runCurves>;

const imageRef = z.object({ path: z.string(), label: z.number().int(), predicted: z.number().int(), confidence: z.number() });
export const evalResult = z.object({
  runId: z.string(),
  model: z.string(),
  dataDir: z.string(),
  classNames: z.array(z.string()),
  count: z.number().int(),
  accuracy: z.number(),
  loss: z.number(),
  /** confusion[true][predicted] */
  confusion: z.array(z.array(z.number().int())),
  perClass: z.array(z.object({ name: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int() })),
  /** Images of each cell, [true][predicted], paths relative to dataDir (at most 200 per cell). */
  cells: z.array(z.array(z.array(z.string()))),
  /** Wrong predictions, most confident first. */
  mistakes: z.array(imageRef),
});
export type EvalResult = z.infer<typeof evalResult>;

/** A feature map stack: C planes of H x W, each scaled to 0..255 (base64 uint8), with the range it came from. */
const planes = z.object({ shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]), channels: z.number().int(), data: z.string(), ranges: z.array(z.tuple([z.number(), z.number()])) });
export const predictResult = z.object({
  classNames: z.array(z.string()),
  top: z.array(z.object({ label: z.number().int(), name: z.string(), probability: z.number() })),
  /** The input as the network saw it (after resize), as an image data URL. */
  input: z.string(),
  featureMaps: z.array(z.object({ nodeId: z.string(), label: z.string(), maps: planes })),
  /** First convolution's filters, [F][C][k][k] flattened; null when the network has no convolution. */
  filters: z.object({ nodeId: z.string(), shape: z.array(z.number().int()), values: z.array(z.number()) }).nullable(),
});
export type PredictResult = z.infer<typeof predictResult>;

export const importedOnnx = z.object({
  /** The document written, opened as openFile opens it. */
  path: z.string(),
  text: z.string(),
  weights: z.string(),
  /** No output head: the graph does not end in class scores (draw the head). */
  open: z.boolean(),
  layers: z.number().int(),
  params: z.number().int(),
});
export type ImportedOnnx = z.infer<typeof importedOnnx>;

export const exportResult = z.object({
  path: z.string(),
  bytes: z.number().int(),
  metadata: z.record(z.string(), z.string()),
  /** Validation images run through both the reloaded file and the engine's own graph. */
  compared: z.number().int(),
  maxAbsDiff: z.number(),
  sameArgmax: z.number().int(),
  tolerance: z.number(),
  ok: z.boolean(),
});
export type ExportResult = z.infer<typeof exportResult>;

export const pytorchExportResult = z.object({ outDir: z.string(), files: z.array(z.string()), className: z.string(), weights: z.boolean() });
export type PyTorchExportResult = z.infer<typeof pytorchExportResult>;

export const predictFolderResult = z.object({
  /** The CSV written into the project. */
  csv: z.string(),
  dataDir: z.string(),
  files: z.number().int(),
  classified: z.number().int(),
  /** Files in a class folder the model knows, and how many of them it got right (top-1). */
  labelled: z.number().int(),
  correct: z.number().int(),
  seconds: z.number(),
  /** The first rows, paths relative to dataDir. */
  rows: z.array(z.object({ path: z.string(), trueClass: z.string().nullable(), top: z.array(z.object({ class: z.string(), probability: z.number() })), error: z.string().nullable() })),
});
export type PredictFolderResult = z.infer<typeof predictFolderResult>;

export const gradCheckResult = z.object({
  source: z.string(),
  rows: z.array(z.object({ layer: z.string(), param: z.string(), analytic: z.number(), numeric: z.number(), relError: z.number(), ok: z.boolean() })),
});
export type GradCheckResult = z.infer<typeof gradCheckResult>;


export const initialProject = z.object({ doc: openedFile.nullable(), dataDir: z.string().nullable() });
export type InitialProject = z.infer<typeof initialProject>;

// ---- The method table: every request the editor sends, its params and its result ----

// learn panel: results of learnLayer, learnNudge, learnBatches (engine/session/learn.ts)
/** Where the values came from: the run's last model (matched of total values had a fitting name and shape), the document's weights file, or the seeded initial values. */
export interface LearnWeightsSource { source: 'run' | 'file' | 'init'; runId: string | null; matched: number; total: number }
export interface PadGeometry { top: number; bottom: number; left: number; right: number; value: number }
export interface LearnHistogram { lo: number; hi: number; counts: number[]; total: number }
export type LearnView =
  | { kind: 'conv'; filter: number; filters: number; inChannel: number; input: number[]; geometry: { inShape: [number, number, number]; kh: number; kw: number; stride: number; dilation: number; padTop: number; padLeft: number; bias: number }; kernel: number[]; output: number[]; outSize: [number, number] }
  | { kind: 'dense'; unit: number; units: number; inputs: number[]; weights: number[]; bias: number | null; output: number }
  | { kind: 'activation'; fn: string; fnParams: Record<string, number | string | boolean>; hist: LearnHistogram; outHist: LearnHistogram; negative: number; count: number; units: number; deadUnits: number; zeroOutputs: number }
  | { kind: 'pool'; op: 'max' | 'avg'; size: number; stride: number; channel: number; patch: (number | null)[]; patchSize: [number, number]; at: [number, number]; out: number[]; outBlock: [number, number] }
  | { kind: 'gap'; channel: number; plane: number[]; size: [number, number]; out: number }
  | { kind: 'flatten'; cells: { c: number; y: number; x: number; index: number; value: number; out: number }[]; length: number }
  | { kind: 'dropout'; rate: number; inputs: number[]; mask: number[]; training: number[]; inference: number[] }
  | { kind: 'batchnorm'; channel: number; batchMean: number; batchVar: number; runningMean: number; runningVar: number; gamma: number; beta: number; eps: number; before: LearnHistogram; inference: LearnHistogram; training: LearnHistogram }
  | { kind: 'output'; loss: 'cross_entropy' | 'mse'; scores: number[]; label: number; classNames: string[] }
  /** Add: channel `channel` of each input (`skip`: it also feeds another input, the residual's shortcut) and of their sum; rms over the whole image's tensor. Vectors: one channel, size [1, features]. */
  | { kind: 'add'; channel: number; channels: number; size: [number, number]; inputs: { id: string; label: string; skip: boolean; plane: number[]; rms: number }[]; output: number[]; outRms: number }
  /** Concat: output channels [from, to) come from segment i's input; output channel `channel` is channel `sourceChannel` of input `source`. `means`: each output channel's mean. */
  | { kind: 'concat'; channel: number; size: [number, number]; segments: { id: string; label: string; from: number; to: number }[]; source: number; sourceChannel: number; input: number[]; output: number[]; means: number[] }
  /** Pad: one channel of the input (the image itself when `fromImage`) and of the padded output. */
  | { kind: 'pad'; channel: number; channels: number; fromImage: boolean; geometry: PadGeometry; input: number[]; inSize: [number, number]; output: number[]; outSize: [number, number] }
  | { kind: 'none' };
export interface LearnLayerResult {
  nodeId: string;
  type: string;
  label: string;
  weights: LearnWeightsSource;
  /** The image (the batch's `sample`-th) as the network sees it, with its class. */
  image: { path: string; label: number; className: string; url: string };
  batch: number;
  inShape: number[];
  outShape: number[];
  /** The layer's parameter tensors (for the nudge's weight picker). */
  params: { name: string; shape: number[] }[];
  view: LearnView;
}
export interface LearnNudgeResult {
  param: string; index: number; value: number; eps: number; batch: number; weights: LearnWeightsSource;
  loss: number; lossPlus: number; lossMinus: number; numeric: number; analytic: number; relError: number; ok: boolean;
}
export interface LearnBatchesResult {
  sizes: { batchSize: number; losses: number[]; mean: number }[];
  steps: number; images: number; optimizer: string; lr: number; weights: LearnWeightsSource; seconds: number;
}
const learnObject = <T>(key: string) => z.custom<T>((v) => typeof v === 'object' && v !== null && key in v, `missing ${key}`);
export const learnLayerResult = learnObject<LearnLayerResult>('view');
export const learnNudgeResult = learnObject<LearnNudgeResult>('numeric');
export const learnBatchesResult = learnObject<LearnBatchesResult>('sizes');
export interface LearnOptionsIn { docPath?: string | null; runId?: string | null }
// end learn panel

/**
 * One method: `params` (checked by the host before its handler runs; defaults live here and
 * only here), `result` (checked by the client), and `args`: the params a client passes
 * positionally, in order (the rest go in a trailing options object), e.g. `listDir(dir, files?)`.
 */
function method<P extends z.ZodObject, R extends z.ZodType, const A extends readonly (keyof z.input<P> & string)[] = []>(d: { params: P; result: R; args?: A }): { params: P; result: R; args: A } {
  return { params: d.params, result: d.result, args: d.args ?? ([] as unknown as A) };
}
const none = z.object({});
const runModel = z.enum(['best', 'last']).default('best');

/** Requests from the editor. File paths are absolute or relative to the engine's root folder. */
export const METHODS = {
  info: method({ params: none, result: engineInfo }),
  /** `files`: which files to list besides folders: network documents (default) or ONNX models (File > Import ONNX…). */
  listDir: method({ params: z.object({ dir: z.string(), files: z.enum(['documents', 'onnx']).default('documents') }), result: dirListing, args: ['dir', 'files'] }),
  /** The user picked this file in the open dialog (or from recent files). */
  openFile: method({ params: z.object({ path: z.string() }), result: openedFile, args: ['path'] }),
  /**
   * Save: `chosen` is true when the user picked the path just now (save as); otherwise the path
   * must be one opened or saved in this session. `overwrite` must be set to replace an existing
   * file chosen in a save-as dialog.
   */
  saveFile: method({ params: z.object({ path: z.string(), text: z.string(), chosen: z.boolean(), overwrite: z.boolean().default(false) }), result: savedFile, args: ['path', 'text'] }),
  recentFiles: method({ params: none, result: z.array(z.string()) }),
  /** Crash backup of the open document (written a moment after each edit; cleared on save). */
  backupDocument: method({ params: z.object({ text: z.string().max(20 * 1024 * 1024), path: z.string().nullable() }), result: z.object({ savedAt: z.string() }), args: ['text', 'path'] }),
  recoverBackup: method({ params: none, result: recoveredBackup }),
  clearBackup: method({ params: none, result: z.object({}) }),
  /** What `netwright serve --doc --data` asked the editor to open first. */
  initialProject: method({ params: none, result: initialProject }),
  // ---- training, evaluation, export (engine/session/) ----
  /** Classes, counts per split, imbalance, duplicates, leakage, skipped files; a few sample paths per class. */
  datasetReport: method({ params: z.object({ doc: z.unknown(), dataDir: z.string() }), result: datasetReportResult, args: ['doc', 'dataDir'] }),
  /** A few training images after the document's augmentation (several draws each), beside the originals. */
  augmentPreview: method({
    params: z.object({ doc: z.unknown(), dataDir: z.string(), count: z.number().int().min(1).max(32).default(6), variants: z.number().int().min(1).max(8).default(4) }),
    result: augmentPreviewResult,
    args: ['doc', 'dataDir'],
  }),
  /**
   * Turns the MNIST-style IDX pairs in `sourceDir` (*-images-idx3-ubyte[.gz] with *-labels-idx1-ubyte[.gz])
   * into an image folder `outDir` inside the project: train/ and val/ when there are a train and a test (t10k) pair.
   */
  importIdx: method({
    params: z.object({ sourceDir: z.string(), outDir: z.string(), classes: z.enum(['fashion-mnist', 'numbers']).default('numbers'), limit: z.number().int().positive().optional() }),
    result: importIdxResult,
    args: ['sourceDir', 'outDir'],
  }),
  /** Thumbnails (data URLs) of images inside a dataset folder the user chose. */
  images: method({ params: z.object({ dataDir: z.string(), paths: z.array(z.string()).max(400), size: z.number().int().min(16).max(512).default(96) }), result: imagesResult, args: ['dataDir', 'paths', 'size'] }),
  /** Trains the document on a dataset folder; the run goes to <root>/runs/<name>-<time>/. Events follow on the same connection. */
  startTraining: method({
    params: z.object({ doc: z.unknown(), dataDir: z.string(), docPath: z.string().nullable().default(null), maxSteps: z.number().int().positive().optional(), device: deviceName.default('cpu'), allowLarge: z.boolean().default(false) }),
    result: startedRun,
    args: ['doc', 'dataDir'],
  }),
  /** Continues a stopped, interrupted or finished run from its checkpoint; `epochs` (the total) extends it. Events follow as for startTraining. */
  continueTraining: method({
    params: z.object({ runId: z.string(), epochs: z.number().int().min(1).max(100000).optional(), device: deviceName.optional(), allowLarge: z.boolean().default(false) }),
    result: startedRun,
    args: ['runId'],
  }),
  /** CPU and the GPU providers, each tried once in ONNX Runtime: available, or not with the reason. */
  devices: method({ params: none, result: z.array(deviceInfo) }),
  pauseTraining: method({ params: none, result: controlResult }),
  resumeTraining: method({ params: none, result: controlResult }),
  stopTraining: method({ params: none, result: controlResult }),
  /** The current run (if any) with every point so far: for a page that (re)connects mid-run. */
  trainingStatus: method({ params: none, result: trainingStatus }),
  listRuns: method({ params: none, result: z.array(runSummary) }),
  runCurves: method({ params: z.object({ runId: z.string() }), result: runCurves, args: ['runId'] }),
  /** Sets the run's display name (run.json's `title`; the folder keeps its name). An empty title restores the default. */
  renameRun: method({ params: z.object({ runId: z.string(), title: z.string().max(120) }), result: z.object({ runId: z.string(), title: z.string().nullable() }), args: ['runId', 'title'] }),
  /** The run's model on its validation split: confusion matrix, per-class P/R/F1, most confident mistakes. */
  evaluate: method({ params: z.object({ runId: z.string(), model: runModel }), result: evalResult, args: ['runId', 'model'] }),
  /** One image (a dataset file, or the bytes of a picked file, base64): top-k, conv feature maps, first-layer filters. */
  predict: method({
    params: z.object({ runId: z.string(), model: runModel, image: z.union([z.object({ path: z.string() }), z.object({ data: z.string().max((MAX_IMAGE_UPLOAD_BYTES / 3) * 4) })]), top: z.number().int().min(1).max(100).default(5) }),
    result: predictResult,
    args: ['runId', 'image'],
  }),
  /** Writes the run's model as <root>/exports/<run>.onnx, reloads it in ONNX Runtime and compares it with the engine on validation images. */
  exportModel: method({ params: z.object({ runId: z.string(), model: runModel }), result: exportResult, args: ['runId', 'model'] }),
  /** Writes the run's model as a PyTorch package (model.py, train.py, weights.pt, README) in <root>/exports/<run>-pytorch/. */
  exportPyTorch: method({ params: z.object({ runId: z.string(), model: runModel }), result: pytorchExportResult, args: ['runId', 'model'] }),
  /** Classifies every image below a dataset folder with the run's model; writes <root>/predictions/<run>-<folder>-<time>.csv. */
  predictFolder: method({
    params: z.object({ runId: z.string(), model: runModel, dataDir: z.string(), top: z.number().int().min(1).max(100).default(3) }),
    result: predictFolderResult,
    args: ['runId', 'dataDir'],
  }),
  /** Finite differences vs autodiff for every parameter tensor, on a few images of the dataset (random inputs without one). */
  gradientCheck: method({ params: z.object({ doc: z.unknown(), dataDir: z.string().nullable().default(null) }), result: gradCheckResult, args: ['doc', 'dataDir'] }),
  /**
   * Imports an ONNX model inside the project as a network document (`out`, default: beside it,
   * <name>.json) with its weights file; nothing is written when it cannot be imported. The
   * document comes back opened (as openFile), with what the import found.
   */
  importOnnx: method({
    params: z.object({
      path: z.string(),
      out: z.string().nullable().default(null),
      preset: z.enum(['none', 'imagenet']).default('none'),
      mean: z.array(z.number()).max(3).optional(),
      std: z.array(z.number().positive()).max(3).optional(),
      overwrite: z.boolean().default(false),
    }),
    result: importedOnnx,
    args: ['path'],
  }),
  // learn panel: one layer on a real image, gradient by nudging one weight, mini-batch losses (engine/session/learn.ts)
  /** What the layer `nodeId` does to images of the dataset, with the run's trained values when `runId` names a run of this document. */
  learnLayer: method({
    params: z.object({ doc: z.unknown(), dataDir: z.string(), nodeId: z.string(), docPath: z.string().nullable().default(null), runId: z.string().nullable().default(null), sample: z.number().int().min(0).max(255).default(0), filter: z.number().int().min(0).default(0), unit: z.number().int().min(0).default(0), channel: z.number().int().min(0).default(0) }),
    result: learnLayerResult,
    args: ['doc', 'dataDir', 'nodeId'],
  }),
  /** The loss on the batch with the weight `param`[index] nudged by ±eps, the central difference and autodiff's value. */
  learnNudge: method({
    params: z.object({ doc: z.unknown(), dataDir: z.string(), param: z.string(), index: z.number().int().min(0), eps: z.number().positive().max(1).default(3e-3), docPath: z.string().nullable().default(null), runId: z.string().nullable().default(null) }),
    result: learnNudgeResult,
    args: ['doc', 'dataDir', 'param', 'index'],
  }),
  /** Each mini-batch's loss for a few batch sizes from the same start (a short real training; nothing is saved). */
  learnBatches: method({
    params: z.object({ doc: z.unknown(), dataDir: z.string(), sizes: z.array(z.number().int().min(1).max(512)).min(1).max(4).default([32, 64, 128]), steps: z.number().int().min(2).max(20).default(6), docPath: z.string().nullable().default(null), runId: z.string().nullable().default(null) }),
    result: learnBatchesResult,
    args: ['doc', 'dataDir'],
  }),
};

export type Method = keyof typeof METHODS;
/** Every method name, in table order (the preload and the client iterate over it). */
export const METHOD_NAMES = Object.keys(METHODS) as Method[];
export const isMethod = (m: unknown): m is Method => typeof m === 'string' && Object.hasOwn(METHODS, m);
type Def<M extends Method> = (typeof METHODS)[M];
/** A method's params as a caller writes them: fields with a default may be left out. */
export type MethodInput<M extends Method> = z.input<Def<M>['params']>;
/** A method's params as its handler gets them: checked, defaults filled in. */
export type MethodParams<M extends Method> = z.output<Def<M>['params']>;
/** A method's result as the client gets it (checked, defaults filled in). */
export type MethodResult<M extends Method> = z.output<Def<M>['result']>;
/** What a handler may return: the result before the client fills in its defaults. */
export type MethodReply<M extends Method> = z.input<Def<M>['result']>;
/** One request on the wire: its id, the method name and the method's params. */
export type ClientRequest = { [M in Method]: { id: number; method: M } & MethodInput<M> }[Method];

/** The leading positional params: an optional one may be left out (only at the end). */
type Positional<P, K> = K extends readonly [infer H extends keyof P, ...infer R] ? ({} extends Pick<P, H> ? [P[H]?, ...Positional<P, R>] : [P[H], ...Positional<P, R>]) : [];
/** The other params, as a trailing options object (optional when every field in it is). */
type Options<P, K extends PropertyKey> = [Exclude<keyof P, K>] extends [never] ? [] : {} extends Omit<P, K> ? [options?: Omit<P, K>] : [options: Omit<P, K>];
/** A client method's signature, from the table: `args` positionally, then the options object. */
export type ClientMethod<M extends Method> = (...a: [...Positional<MethodInput<M>, Def<M>['args']>, ...Options<MethodInput<M>, Def<M>['args'][number]>]) => Promise<MethodResult<M>>;

/** What the editor needs from the engine: one method per table entry, and the pushed events (renderer/client/rpc.ts implements it). */
export type EngineClient = { [M in Method]: ClientMethod<M> } & {
  /** Training events pushed by the engine; returns the unsubscribe function. */
  onEvent(listener: (e: ServerEvent) => void): () => void;
};

/** Builds a method's params from a client call's arguments (see `args`); params left undefined are left out. */
export function callParams(m: Method, a: readonly unknown[]): Record<string, unknown> {
  const names: readonly string[] = METHODS[m].args;
  const opts = a[names.length];
  const params: Record<string, unknown> = opts && typeof opts === 'object' ? { ...opts } : {};
  names.forEach((n, i) => {
    if (a[i] !== undefined) params[n] = a[i];
  });
  for (const [k, v] of Object.entries(params)) if (v === undefined) delete params[k];
  return params;
}

/** An engine request that failed, with the reason code from the response; `text`: the message as code + params, for the UI's language. */
export class EngineError extends Error {
  constructor(readonly code: string, message: string, readonly text?: EngineText) {
    super(message);
  }
}

/** A job request that a newer one of the same kind replaced (see engine/session/jobs.ts): not a failure to show. */
export const isSuperseded = (e: unknown): boolean => e instanceof EngineError && e.code === 'superseded';
