// EngineClient in the desktop app: the preload's named methods (window.netwright.engine) carry
// each call over a MessagePort to the engine process. Replies are validated here exactly as
// the web client validates the WebSocket's.
import { z } from 'zod';
import {
  augmentPreviewResult, controlResult, datasetReportResult, deviceInfo, dirListing, EngineError, engineInfo, evalResult, exportResult, pytorchExportResult, predictFolderResult, gradCheckResult, imagesResult, importIdxResult, importedOnnx, initialProject, openedFile,
  predictResult, recoveredBackup, runCurves, runSummary, savedFile, serverEvent, startedRun, trainingStatus, type DeviceName, type EngineClient, type ServerEvent,
} from '../../engine/protocol.ts';
import { learnBatchesResult, learnLayerResult, learnNudgeResult, type LearnOptionsIn } from '../../engine/protocol.ts'; // learn panel

type Raw = { [K in keyof EngineClient]: (...args: never[]) => unknown };

/** The preload's API, when this page runs inside the desktop app. */
export function desktopEngine(): Raw | null {
  const api = (window as unknown as { netwright?: { engine?: Raw } }).netwright;
  return api?.engine ?? null;
}

export class ElectronEngineClient implements EngineClient {
  constructor(private readonly api: Raw) {}

  private async v<T>(method: string, reply: unknown, schema: z.ZodType<T>): Promise<T> {
    let result: unknown;
    try {
      result = await reply;
    } catch (e) {
      throw new EngineError((e as { code?: string }).code ?? 'io', (e as Error).message.replace(/^Error invoking remote method '[^']+': /, ''));
    }
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw new EngineError('bad-request', `unexpected reply to ${method}`);
    return parsed.data;
  }

  private raw(method: keyof EngineClient, ...args: unknown[]): unknown {
    return (this.api[method] as (...a: unknown[]) => unknown)(...args);
  }

  info = () => this.v('info', this.raw('info'), engineInfo);
  listDir = (dir: string, files: 'documents' | 'onnx' = 'documents') => this.v('listDir', this.raw('listDir', dir, files), dirListing);
  importOnnx = (path: string, o: { out?: string | null; preset?: 'none' | 'imagenet'; mean?: number[]; std?: number[]; overwrite?: boolean } = {}) => this.v('importOnnx', this.raw('importOnnx', path, o), importedOnnx);
  openFile = (path: string) => this.v('openFile', this.raw('openFile', path), openedFile);
  saveFile = (path: string, text: string, o: { chosen: boolean; overwrite?: boolean }) => this.v('saveFile', this.raw('saveFile', path, text, o), savedFile);
  recentFiles = () => this.v('recentFiles', this.raw('recentFiles'), z.array(z.string()));
  backupDocument = (text: string, path: string | null) => this.v('backupDocument', this.raw('backupDocument', text, path), z.object({ savedAt: z.string() }));
  recoverBackup = () => this.v('recoverBackup', this.raw('recoverBackup'), recoveredBackup);
  clearBackup = () => this.v('clearBackup', this.raw('clearBackup'), z.unknown());
  initialProject = () => this.v('initialProject', this.raw('initialProject'), initialProject);
  datasetReport = (doc: unknown, dataDir: string) => this.v('datasetReport', this.raw('datasetReport', doc, dataDir), datasetReportResult);
  images = (dataDir: string, paths: string[], size = 96) => this.v('images', this.raw('images', dataDir, paths, size), imagesResult);
  augmentPreview = (doc: unknown, dataDir: string, o: { count?: number; variants?: number } = {}) => this.v('augmentPreview', this.raw('augmentPreview', doc, dataDir, o), augmentPreviewResult);
  importIdx = (sourceDir: string, outDir: string, o: { classes?: 'fashion-mnist' | 'numbers'; limit?: number } = {}) => this.v('importIdx', this.raw('importIdx', sourceDir, outDir, o), importIdxResult);
  devices = () => this.v('devices', this.raw('devices'), z.array(deviceInfo));
  startTraining = (doc: unknown, dataDir: string, o: { docPath?: string | null; maxSteps?: number; device?: DeviceName; allowLarge?: boolean } = {}) => this.v('startTraining', this.raw('startTraining', doc, dataDir, o), startedRun);
  continueTraining = (runId: string, o: { epochs?: number; device?: DeviceName; allowLarge?: boolean } = {}) => this.v('continueTraining', this.raw('continueTraining', runId, o), startedRun);
  pauseTraining = () => this.v('pauseTraining', this.raw('pauseTraining'), controlResult);
  resumeTraining = () => this.v('resumeTraining', this.raw('resumeTraining'), controlResult);
  stopTraining = () => this.v('stopTraining', this.raw('stopTraining'), controlResult);
  trainingStatus = () => this.v('trainingStatus', this.raw('trainingStatus'), trainingStatus);
  listRuns = () => this.v('listRuns', this.raw('listRuns'), z.array(runSummary));
  runCurves = (runId: string) => this.v('runCurves', this.raw('runCurves', runId), runCurves);
  renameRun = (runId: string, title: string) => this.v('renameRun', this.raw('renameRun', runId, title), z.object({ runId: z.string(), title: z.string().nullable() }));
  evaluate = (runId: string, model: 'best' | 'last' = 'best') => this.v('evaluate', this.raw('evaluate', runId, model), evalResult);
  predict = (runId: string, image: { path: string } | { data: string }, o: { model?: 'best' | 'last'; top?: number } = {}) => this.v('predict', this.raw('predict', runId, image, o), predictResult);
  exportModel = (runId: string, model: 'best' | 'last' = 'best') => this.v('exportModel', this.raw('exportModel', runId, model), exportResult);
  exportPyTorch = (runId: string, model: 'best' | 'last' = 'best') => this.v('exportPyTorch', this.raw('exportPyTorch', runId, model), pytorchExportResult);
  predictFolder = (runId: string, dataDir: string, opts: { model?: 'best' | 'last'; top?: number } = {}) => this.v('predictFolder', this.raw('predictFolder', runId, dataDir, opts), predictFolderResult);
  gradientCheck = (doc: unknown, dataDir: string | null) => this.v('gradientCheck', this.raw('gradientCheck', doc, dataDir), gradCheckResult);
  // learn panel
  learnLayer = (doc: unknown, dataDir: string, nodeId: string, opts: LearnOptionsIn & { sample?: number; filter?: number; unit?: number; channel?: number } = {}) =>
    this.v('learnLayer', this.raw('learnLayer', doc, dataDir, nodeId, opts), learnLayerResult);
  learnNudge = (doc: unknown, dataDir: string, param: string, index: number, opts: LearnOptionsIn & { eps?: number } = {}) =>
    this.v('learnNudge', this.raw('learnNudge', doc, dataDir, param, index, opts), learnNudgeResult);
  learnBatches = (doc: unknown, dataDir: string, opts: LearnOptionsIn & { sizes?: number[]; steps?: number } = {}) =>
    this.v('learnBatches', this.raw('learnBatches', doc, dataDir, opts), learnBatchesResult);
  // end learn panel

  onEvent(listener: (e: ServerEvent) => void): () => void {
    return this.raw('onEvent', (raw: unknown) => {
      const e = serverEvent.safeParse(raw);
      if (e.success) listener(e.data);
    }) as () => void;
  }
}
