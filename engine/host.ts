// The engine's request handler, independent of transport: the web bridge (WebSocket) and the
// Electron engine process (MessagePort) both feed it raw messages and send back its replies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError, isMethod, METHODS, requestId, type Method, type MethodParams, type MethodReply, type ServerEvent, type ServerResponse } from './protocol.ts';
import { said, textOf } from './graph/error-codes.ts';
import { IMAGENET } from './graph/from-onnx.ts';
import { thumbnails } from './session/dataset.ts';
import { findIdxPairs } from './session/import.ts';
import { JobRunner } from './session/jobs.ts';
import { Project } from './session/project.ts';
import { listRuns, readCurves, renameRun } from './session/runs.ts';
import { TrainingSession } from './session/training.ts';
import { probeDevices } from './train/devices.ts';
import { memoryLimit } from './train/prepare.ts';
import { FileAccess } from './session/files.ts';
import { DocumentBackup } from './session/backup.ts';

export interface EngineHost {
  readonly files: FileAccess;
  readonly training: TrainingSession;
  /** Evaluate, predict, export, gradient check, dataset report, previews, import: worker threads, queued per kind. */
  readonly jobs: JobRunner;
  /** The methods it has a handler for (every one in METHODS; test/session/methods.test.ts checks). */
  readonly methods: readonly string[];
  /** `client` names the connection (a page, a window): a newer job request of a kind supersedes its older one (see jobs.ts). */
  handle(raw: unknown, client?: string): Promise<ServerResponse>;
  /** Training events for every connection; returns the unsubscribe function. */
  onEvent(fn: (e: ServerEvent) => void): () => void;
}

export interface HostOptions {
  root: string;
  recentFile?: string;
  /** Opened first by the editor (`netwright serve --doc`): a network document inside the root. */
  initialDoc?: string;
  /** The dataset picked first (`--data`); readable even when outside the root. */
  initialData?: string;
  /** Read-only folders of shared datasets (`--datasets`, e.g. Debian's /usr/share/datasets): readable, never written. */
  datasetRoots?: string[];
  /** Step events are coalesced to one batch per interval (default 33 ms: about 30 per second). */
  eventIntervalMs?: number;
  /** ONNX Runtime threads for training (default: every core). */
  threads?: number;
}

// Source: engine/host.ts; bundled: dist/engine/*.mjs. Either way the app's package.json is above.
const VERSION = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'netwright') return pkg.version;
    } catch {
      // not here; look one folder up
    }
  }
  return 'unknown';
})();

/** Answers one method: params checked (defaults filled) by the table, `client` names the connection. */
type Handler<M extends Method> = (p: MethodParams<M>, client: string) => MethodReply<M> | Promise<MethodReply<M>>;
/** One handler per method of the table: a method without one does not compile. */
export type Handlers = { [M in Method]: Handler<M> };

/** A request the editor never sends (a client's bug): one code, the English detail as its param. */
const badRequest = (detail: string) => new EngineError('bad-request', detail, said('bad-request', { detail }));

/** The reply's text for params the table refuses: each field named, with what is wrong with it. */
const badParams = (m: Method, issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  badRequest(`${m}: ${issues.map((i) => `${i.path.map(String).join('.') || 'params'}: ${i.message}`).join('; ')}`);

export function createHost(opts: HostOptions): EngineHost {
  const files = new FileAccess(opts.root, opts.recentFile);
  const backup = new DocumentBackup(path.dirname(files.recentFile));
  const readable = [...(opts.initialData ? [opts.initialData] : []), ...(opts.datasetRoots ?? [])];
  const project = new Project(opts.root, { dataDirs: readable });
  const training = new TrainingSession(project, { intervalMs: opts.eventIntervalMs, threads: opts.threads });
  const jobs = new JobRunner({ root: project.root, dataDirs: readable });
  const handlers: Handlers = {
    info: () => ({ version: VERSION, root: files.root, platform: process.platform, idxFolders: idxFolders(opts.datasetRoots ?? []), trainingMemoryLimit: memoryLimit().bytes }),
    listDir: (p) => files.listDir(p.dir, p.files),
    openFile: (p) => files.openFile(p.path),
    saveFile: (p) => files.saveFile(p.path, p.text, { chosen: p.chosen, overwrite: p.overwrite }),
    recentFiles: () => files.recentFiles(),
    backupDocument: (p) => backup.write(p.text, p.path),
    recoverBackup: () => backup.read(),
    clearBackup: () => (backup.clear(), {}),
    initialProject: () => ({
      doc: opts.initialDoc ? files.openFile(opts.initialDoc) : null,
      dataDir: opts.initialData ? project.dataDir(opts.initialData) : null,
    }),
    datasetReport: (p, client) => jobs.runFor(client, 'datasetReport', p.doc, p.dataDir),
    augmentPreview: (p, client) => jobs.runFor(client, 'augmentPreview', p.doc, p.dataDir, p.count, p.variants),
    importIdx: (p, client) => jobs.runFor(client, 'importIdx', p.sourceDir, p.outDir, p.classes, p.limit),
    images: (p) => thumbnails(project, p.dataDir, p.paths, p.size),
    startTraining: (p) => training.start(p.doc, p.dataDir, p),
    continueTraining: (p) => training.continueRun(p.runId, p),
    devices: () => probeDevices(),
    pauseTraining: () => training.pause(),
    resumeTraining: () => training.resume(),
    stopTraining: () => training.stop(),
    trainingStatus: () => training.status(),
    listRuns: () => listRuns(project.runsDir, training.activeRun),
    runCurves: (p) => readCurves(p.runId, project.runDir(p.runId)),
    renameRun: (p) => renameRun(p.runId, project.runDir(p.runId), p.title),
    evaluate: (p, client) => jobs.runFor(client, 'evaluate', p.runId, p.model),
    predict: (p, client) => jobs.runFor(client, 'predict', p.runId, p.model, p.image, p.top),
    exportModel: (p, client) => jobs.runFor(client, 'exportModel', p.runId, p.model),
    exportPyTorch: (p, client) => jobs.runFor(client, 'exportPyTorch', p.runId, p.model),
    predictFolder: (p, client) => jobs.runFor(client, 'predictFolder', p.runId, p.model, p.dataDir, p.top),
    gradientCheck: (p, client) => jobs.runFor(client, 'gradientCheck', p.doc, p.dataDir),
    importOnnx: async (p, client) => {
      const src = files.onnxFile(p.path);
      const out = files.importTarget(p.out ?? src.replace(/\.onnx$/i, '.json'), p.overwrite);
      const pre = p.preset === 'imagenet' ? IMAGENET : { mean: p.mean, std: p.std };
      const r = await jobs.runFor(client, 'importOnnx', src, out, { ...pre, overwrite: p.overwrite });
      return { ...r, ...files.openFile(r.path) };
    },
    // learn panel
    learnLayer: (p, client) => jobs.runFor(client, 'learnLayer', p.doc, p.dataDir, p.nodeId, { docPath: p.docPath, runId: p.runId, sample: p.sample, filter: p.filter, unit: p.unit, channel: p.channel }),
    learnNudge: (p, client) => jobs.runFor(client, 'learnNudge', p.doc, p.dataDir, p.param, p.index, { docPath: p.docPath, runId: p.runId, eps: p.eps }),
    learnBatches: (p, client) => jobs.runFor(client, 'learnBatches', p.doc, p.dataDir, { docPath: p.docPath, runId: p.runId, sizes: p.sizes, steps: p.steps }),
  };
  /** Checks the params with the method's schema, then runs its handler. */
  const dispatch = <M extends Method>(m: M, raw: unknown, client: string): Promise<MethodReply<M>> | MethodReply<M> => {
    const parsed = METHODS[m].params.safeParse(raw);
    if (!parsed.success) throw badParams(m, parsed.error.issues);
    const handler = handlers[m] as Handler<M> | undefined;
    if (!handler) throw badRequest(`method: ${m} has no handler`);
    return handler(parsed.data as MethodParams<M>, client);
  };
  return {
    files,
    training,
    jobs,
    methods: Object.keys(handlers),
    onEvent: (fn) => training.onEvent(fn),
    async handle(raw: unknown, client = ''): Promise<ServerResponse> {
      const checkedId = requestId.safeParse((raw as { id?: unknown })?.id);
      const id = checkedId.success ? checkedId.data : -1;
      try {
        if (!checkedId.success) throw badRequest(`id: ${checkedId.error.issues[0].message}`);
        const m = (raw as { method?: unknown }).method;
        if (!isMethod(m)) throw badRequest(typeof m === 'string' ? `method: no method named ${JSON.stringify(m.slice(0, 80))}` : 'method: expected the name of a method');
        return { id, ok: true, result: await dispatch(m, raw, client) };
      } catch (e) {
        const code = e instanceof EngineError ? (e.code as 'refused') : 'io';
        const text = textOf(e);
        return { id, ok: false, code, error: (e as Error).message, ...(text ? { text } : {}) };
      }
    },
  };
}

/** Folders under the dataset roots (two levels deep) holding the IDX pairs the import takes: the Import dialog's shortcuts. */
export function idxFolders(roots: string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (findIdxPairs(dir).length) out.push(dir);
    if (depth > 0) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) visit(path.join(dir, e.name), depth - 1);
  };
  for (const r of roots) visit(r, 2);
  return out.sort();
}
