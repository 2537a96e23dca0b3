// The engine's request handler, independent of transport: the web bridge (WebSocket) and the
// Electron engine process (MessagePort) both feed it raw messages and send back its replies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientRequest, EngineError, requestId, type ImportedOnnx, type ServerEvent, type ServerResponse } from './protocol.ts';
import { IMAGENET } from './onnx/import.ts';
import { thumbnails } from './session/dataset.ts';
import { findIdxPairs } from './session/import.ts';
import { JobRunner } from './session/jobs.ts';
import { Project } from './session/project.ts';
import { listRuns, readCurves, renameRun } from './session/runs.ts';
import { TrainingSession } from './session/training.ts';
import { probeDevices } from './train/devices.ts';
import { memoryLimit } from './train/run.ts';
import { FileAccess } from './web/files.ts';
import { DocumentBackup } from './session/backup.ts';

export interface EngineHost {
  readonly files: FileAccess;
  readonly training: TrainingSession;
  /** Evaluate, predict, export, gradient check, dataset report, previews, import: worker threads, queued per kind. */
  readonly jobs: JobRunner;
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

export function createHost(opts: HostOptions): EngineHost {
  const files = new FileAccess(opts.root, opts.recentFile);
  const backup = new DocumentBackup(path.dirname(files.recentFile));
  const readable = [...(opts.initialData ? [opts.initialData] : []), ...(opts.datasetRoots ?? [])];
  const project = new Project(opts.root, { dataDirs: readable });
  const training = new TrainingSession(project, { intervalMs: opts.eventIntervalMs, threads: opts.threads });
  const jobs = new JobRunner({ root: project.root, dataDirs: readable });
  return {
    files,
    training,
    jobs,
    onEvent: (fn) => training.onEvent(fn),
    async handle(raw: unknown, client = ''): Promise<ServerResponse> {
      const checkedId = requestId.safeParse((raw as { id?: unknown })?.id);
      const id = checkedId.success ? checkedId.data : -1;
      try {
        if (!checkedId.success) throw new EngineError('bad-request', `id: ${checkedId.error.issues[0].message}`);
        const parsed = clientRequest.safeParse(raw);
        if (!parsed.success) throw new EngineError('bad-request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const m = parsed.data;
        let result: unknown;
        switch (m.method) {
          case 'info':
            result = { version: VERSION, root: files.root, platform: process.platform, idxFolders: idxFolders(opts.datasetRoots ?? []), trainingMemoryLimit: memoryLimit().bytes };
            break;
          case 'listDir':
            result = files.listDir(m.dir, m.files);
            break;
          case 'openFile':
            result = files.openFile(m.path);
            break;
          case 'saveFile':
            result = files.saveFile(m.path, m.text, { chosen: m.chosen, overwrite: m.overwrite });
            break;
          case 'recentFiles':
            result = files.recentFiles();
            break;
          case 'backupDocument':
            result = backup.write(m.text, m.path);
            break;
          case 'recoverBackup':
            result = backup.read();
            break;
          case 'clearBackup':
            backup.clear();
            result = {};
            break;
          case 'initialProject':
            result = {
              doc: opts.initialDoc ? files.openFile(opts.initialDoc) : null,
              dataDir: opts.initialData ? project.dataDir(opts.initialData) : null,
            };
            break;
          case 'datasetReport':
            result = await jobs.runFor(client, 'datasetReport', m.doc, m.dataDir);
            break;
          case 'augmentPreview':
            result = await jobs.runFor(client, 'augmentPreview', m.doc, m.dataDir, m.count, m.variants);
            break;
          case 'importIdx':
            result = await jobs.runFor(client, 'importIdx', m.sourceDir, m.outDir, m.classes, m.limit);
            break;
          case 'images':
            result = await thumbnails(project, m.dataDir, m.paths, m.size);
            break;
          case 'startTraining':
            result = training.start(m.doc, m.dataDir, { docPath: m.docPath, maxSteps: m.maxSteps, device: m.device, allowLarge: m.allowLarge });
            break;
          case 'continueTraining':
            result = training.continueRun(m.runId, { epochs: m.epochs, device: m.device, allowLarge: m.allowLarge });
            break;
          case 'devices':
            result = await probeDevices();
            break;
          case 'pauseTraining':
            result = training.pause();
            break;
          case 'resumeTraining':
            result = training.resume();
            break;
          case 'stopTraining':
            result = training.stop();
            break;
          case 'trainingStatus':
            result = training.status();
            break;
          case 'listRuns':
            result = listRuns(project.runsDir, training.activeRun);
            break;
          case 'runCurves':
            result = readCurves(m.runId, project.runDir(m.runId));
            break;
          case 'renameRun':
            result = renameRun(m.runId, project.runDir(m.runId), m.title);
            break;
          case 'evaluate':
            result = await jobs.runFor(client, 'evaluate', m.runId, m.model);
            break;
          case 'predict':
            result = await jobs.runFor(client, 'predict', m.runId, m.model, m.image, m.top);
            break;
          case 'exportModel':
            result = await jobs.runFor(client, 'exportModel', m.runId, m.model);
            break;
          case 'importOnnx': {
            const src = files.onnxFile(m.path);
            const out = files.importTarget(m.out ?? src.replace(/\.onnx$/i, '.json'), m.overwrite);
            const pre = m.preset === 'imagenet' ? IMAGENET : { mean: m.mean, std: m.std };
            const r = (await jobs.runFor(client, 'importOnnx', src, out, { ...pre, overwrite: m.overwrite })) as Omit<ImportedOnnx, 'text'>;
            result = { ...r, ...files.openFile(r.path) };
            break;
          }
          case 'exportPyTorch':
            result = await jobs.runFor(client, 'exportPyTorch', m.runId, m.model);
            break;
          case 'predictFolder':
            result = await jobs.runFor(client, 'predictFolder', m.runId, m.model, m.dataDir, m.top);
            break;
          case 'gradientCheck':
            result = await jobs.runFor(client, 'gradientCheck', m.doc, m.dataDir);
            break;
          // learn panel
          case 'learnLayer':
            result = await jobs.runFor(client, 'learnLayer', m.doc, m.dataDir, m.nodeId, { docPath: m.docPath, runId: m.runId, sample: m.sample, filter: m.filter, unit: m.unit, channel: m.channel });
            break;
          case 'learnNudge':
            result = await jobs.runFor(client, 'learnNudge', m.doc, m.dataDir, m.param, m.index, { docPath: m.docPath, runId: m.runId, eps: m.eps });
            break;
          case 'learnBatches':
            result = await jobs.runFor(client, 'learnBatches', m.doc, m.dataDir, { docPath: m.docPath, runId: m.runId, sizes: m.sizes, steps: m.steps });
            break;
          // end learn panel
        }
        return { id: m.id, ok: true, result };
      } catch (e) {
        const code = e instanceof EngineError ? (e.code as 'refused') : 'io';
        return { id, ok: false, code, error: (e as Error).message };
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
