// EngineClient over the web bridge's WebSocket (netwright serve). The token comes from the page URL.
import {
  augmentPreviewResult, controlResult, datasetReportResult, deviceInfo, dirListing, EngineError, engineInfo, evalResult, exportResult, pytorchExportResult, predictFolderResult, gradCheckResult, imagesResult, importIdxResult, importedOnnx, initialProject, openedFile,
  MAX_SOCKET_MESSAGE_BYTES, predictResult, recoveredBackup, runCurves, runSummary, savedFile, serverEvent, serverResponse, startedRun, trainingStatus, type ClientRequest, type DeviceName, type EngineClient, type ServerEvent,
} from '../../engine/protocol.ts';
import { learnBatchesResult, learnLayerResult, learnNudgeResult, type LearnOptionsIn } from '../../engine/protocol.ts'; // learn panel
import { z } from 'zod';

type Request = ClientRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class WebEngineClient implements EngineClient {
  private ws: WebSocket | null = null;
  private ready: Promise<WebSocket> | null = null;
  private pending = new Map<number, Pending>();
  private next = 1;
  private listeners = new Set<(e: ServerEvent) => void>();

  constructor(private readonly url: string) {}

  static fromLocation(loc: Location = window.location): WebEngineClient {
    const token = new URLSearchParams(loc.search).get('token') ?? '';
    return new WebEngineClient(`ws://${loc.host}/ws?token=${encodeURIComponent(token)}`);
  }

  private connect(): Promise<WebSocket> {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.onopen = () => {
        this.ws = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new EngineError('io', 'cannot reach the Netwright engine (is `netwright serve` still running?)'));
      ws.onclose = () => {
        this.ready = null;
        this.ws = null;
        for (const p of this.pending.values()) p.reject(new EngineError('io', 'the connection to the engine closed'));
        this.pending.clear();
      };
      ws.onmessage = (ev) => {
        const msg: unknown = JSON.parse(String(ev.data));
        if (msg && typeof msg === 'object' && 'event' in msg) {
          const e = serverEvent.safeParse(msg);
          if (e.success) for (const l of this.listeners) l(e.data);
          return;
        }
        const r = serverResponse.safeParse(msg);
        if (!r.success) return;
        const p = this.pending.get(r.data.id);
        if (!p) return;
        this.pending.delete(r.data.id);
        if (r.data.ok) p.resolve(r.data.result);
        else p.reject(new EngineError(r.data.code, r.data.error));
      };
    });
    return this.ready;
  }

  private async call<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
    const ws = await this.connect();
    const id = this.next++;
    const text = JSON.stringify({ ...req, id });
    // The engine closes a connection that sends more (and every call on it would fail): say so instead.
    const bytes = text.length * 3 > MAX_SOCKET_MESSAGE_BYTES ? new TextEncoder().encode(text).length : text.length;
    if (bytes > MAX_SOCKET_MESSAGE_BYTES) throw new EngineError('refused', `${req.method}: the request is ${(bytes / 2 ** 20).toFixed(1)} MB; the engine takes messages up to ${MAX_SOCKET_MESSAGE_BYTES / 2 ** 20} MB`);
    const result = await new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(text);
    });
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw new EngineError('bad-request', `unexpected reply to ${req.method}`);
    return parsed.data;
  }

  info() {
    return this.call({ method: 'info' }, engineInfo);
  }
  listDir(dir: string, files: 'documents' | 'onnx' = 'documents') {
    return this.call({ method: 'listDir', dir, files }, dirListing);
  }
  importOnnx(path: string, o: { out?: string | null; preset?: 'none' | 'imagenet'; mean?: number[]; std?: number[]; overwrite?: boolean } = {}) {
    return this.call({ method: 'importOnnx', path, out: o.out ?? null, preset: o.preset ?? 'none', mean: o.mean, std: o.std, overwrite: o.overwrite ?? false }, importedOnnx);
  }
  openFile(path: string) {
    return this.call({ method: 'openFile', path }, openedFile);
  }
  saveFile(path: string, text: string, o: { chosen: boolean; overwrite?: boolean }) {
    return this.call({ method: 'saveFile', path, text, chosen: o.chosen, overwrite: o.overwrite ?? false }, savedFile);
  }
  recentFiles() {
    return this.call({ method: 'recentFiles' }, z.array(z.string()));
  }
  backupDocument(text: string, path: string | null) {
    return this.call({ method: 'backupDocument', text, path }, z.object({ savedAt: z.string() }));
  }
  recoverBackup() {
    return this.call({ method: 'recoverBackup' }, recoveredBackup);
  }
  clearBackup() {
    return this.call({ method: 'clearBackup' }, z.unknown());
  }
  initialProject() {
    return this.call({ method: 'initialProject' }, initialProject);
  }
  datasetReport(doc: unknown, dataDir: string) {
    return this.call({ method: 'datasetReport', doc, dataDir }, datasetReportResult);
  }
  images(dataDir: string, paths: string[], size = 96) {
    return this.call({ method: 'images', dataDir, paths, size }, imagesResult);
  }
  augmentPreview(doc: unknown, dataDir: string, o: { count?: number; variants?: number } = {}) {
    return this.call({ method: 'augmentPreview', doc, dataDir, count: o.count ?? 6, variants: o.variants ?? 4 }, augmentPreviewResult);
  }
  importIdx(sourceDir: string, outDir: string, o: { classes?: 'fashion-mnist' | 'numbers'; limit?: number } = {}) {
    return this.call({ method: 'importIdx', sourceDir, outDir, classes: o.classes ?? 'numbers', limit: o.limit }, importIdxResult);
  }
  devices() {
    return this.call({ method: 'devices' }, z.array(deviceInfo));
  }
  startTraining(doc: unknown, dataDir: string, o: { docPath?: string | null; maxSteps?: number; device?: DeviceName; allowLarge?: boolean } = {}) {
    return this.call({ method: 'startTraining', doc, dataDir, docPath: o.docPath ?? null, maxSteps: o.maxSteps, device: o.device ?? 'cpu', allowLarge: o.allowLarge ?? false }, startedRun);
  }
  continueTraining(runId: string, o: { epochs?: number; device?: DeviceName; allowLarge?: boolean } = {}) {
    return this.call({ method: 'continueTraining', runId, epochs: o.epochs, device: o.device, allowLarge: o.allowLarge ?? false }, startedRun);
  }
  pauseTraining() {
    return this.call({ method: 'pauseTraining' }, controlResult);
  }
  resumeTraining() {
    return this.call({ method: 'resumeTraining' }, controlResult);
  }
  stopTraining() {
    return this.call({ method: 'stopTraining' }, controlResult);
  }
  trainingStatus() {
    return this.call({ method: 'trainingStatus' }, trainingStatus);
  }
  listRuns() {
    return this.call({ method: 'listRuns' }, z.array(runSummary));
  }
  runCurves(runId: string) {
    return this.call({ method: 'runCurves', runId }, runCurves);
  }
  renameRun(runId: string, title: string) {
    return this.call({ method: 'renameRun', runId, title }, z.object({ runId: z.string(), title: z.string().nullable() }));
  }
  evaluate(runId: string, model: 'best' | 'last' = 'best') {
    return this.call({ method: 'evaluate', runId, model }, evalResult);
  }
  predict(runId: string, image: { path: string } | { data: string }, o: { model?: 'best' | 'last'; top?: number } = {}) {
    return this.call({ method: 'predict', runId, image, model: o.model ?? 'best', top: o.top ?? 5 }, predictResult);
  }
  exportModel(runId: string, model: 'best' | 'last' = 'best') {
    return this.call({ method: 'exportModel', runId, model }, exportResult);
  }
  exportPyTorch(runId: string, model: 'best' | 'last' = 'best') {
    return this.call({ method: 'exportPyTorch', runId, model }, pytorchExportResult);
  }
  predictFolder(runId: string, dataDir: string, opts: { model?: 'best' | 'last'; top?: number } = {}) {
    return this.call({ method: 'predictFolder', runId, dataDir, model: opts.model ?? 'best', top: opts.top ?? 3 }, predictFolderResult);
  }
  gradientCheck(doc: unknown, dataDir: string | null) {
    return this.call({ method: 'gradientCheck', doc, dataDir }, gradCheckResult);
  }
  // learn panel
  learnLayer(doc: unknown, dataDir: string, nodeId: string, o: LearnOptionsIn & { sample?: number; filter?: number; unit?: number; channel?: number } = {}) {
    return this.call({ method: 'learnLayer', doc, dataDir, nodeId, docPath: o.docPath ?? null, runId: o.runId ?? null, sample: o.sample ?? 0, filter: o.filter ?? 0, unit: o.unit ?? 0, channel: o.channel ?? 0 }, learnLayerResult);
  }
  learnNudge(doc: unknown, dataDir: string, param: string, index: number, o: LearnOptionsIn & { eps?: number } = {}) {
    return this.call({ method: 'learnNudge', doc, dataDir, param, index, eps: o.eps ?? 3e-3, docPath: o.docPath ?? null, runId: o.runId ?? null }, learnNudgeResult);
  }
  learnBatches(doc: unknown, dataDir: string, o: LearnOptionsIn & { sizes?: number[]; steps?: number } = {}) {
    return this.call({ method: 'learnBatches', doc, dataDir, sizes: o.sizes ?? [32, 64, 128], steps: o.steps ?? 6, docPath: o.docPath ?? null, runId: o.runId ?? null }, learnBatchesResult);
  }
  // end learn panel
  onEvent(listener: (e: ServerEvent) => void) {
    this.listeners.add(listener);
    // Events only flow on an open socket: connect now so none is missed.
    void this.connect().catch(() => undefined);
    return () => void this.listeners.delete(listener);
  }
}
