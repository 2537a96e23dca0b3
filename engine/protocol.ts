// The one protocol definition: messages between the engine and whoever drives it (CLI, web
// bridge, Electron). Validated with zod wherever they cross a thread or process border.
import { z } from 'zod';

export const stepEvent = z.object({
  type: z.literal('step'),
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  samplesPerSec: z.number(),
  lr: z.number(),
});

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

export const logEvent = z.object({ type: z.literal('log'), level: z.enum(['info', 'warn']), message: z.string() });

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
});

export const errorEvent = z.object({ type: z.literal('error'), message: z.string() });

export const trainEvent = z.discriminatedUnion('type', [stepEvent, epochEvent, logEvent, startedEvent, doneEvent, errorEvent]);
export type TrainEvent = z.infer<typeof trainEvent>;
export type StepEvent = z.infer<typeof stepEvent>;
export type EpochEvent = z.infer<typeof epochEvent>;

export const trainRequest = z.object({
  /** The network document (JSON) to train. */
  doc: z.unknown(),
  dataDir: z.string(),
  outDir: z.string(),
  device: z.enum(['cpu', 'cuda', 'dml', 'coreml']).default('cpu'),
  maxSteps: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
});
export type TrainRequest = z.input<typeof trainRequest>;

/** Messages into the training worker. */
export const workerCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), request: trainRequest }),
  z.object({ type: z.literal('stop') }),
]);
export type WorkerCommand = z.infer<typeof workerCommand>;

// ---- Editor <-> engine (web bridge over WebSocket; the Electron preload implements the same EngineClient) ----

/** One entry of a folder listing in the file dialog: sub-folders and network documents (.json) only. */
export const dirEntry = z.object({ name: z.string(), kind: z.enum(['dir', 'file']) });
export type DirEntry = z.infer<typeof dirEntry>;

export const engineInfo = z.object({
  version: z.string(),
  /** Folder the file dialog starts in; files outside it are refused. */
  root: z.string(),
  platform: z.string(),
});
export type EngineInfo = z.infer<typeof engineInfo>;

/** Requests from the editor. File paths are absolute or relative to the engine's root folder. */
export const clientRequest = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('info') }),
  z.object({ id: z.number().int(), method: z.literal('listDir'), dir: z.string() }),
  /** The user picked this file in the open dialog (or from recent files). */
  z.object({ id: z.number().int(), method: z.literal('openFile'), path: z.string() }),
  /**
   * Save: `chosen` is true when the user picked the path just now (save as); otherwise the path
   * must be one opened or saved in this session. `overwrite` must be set to replace an existing
   * file chosen in a save-as dialog.
   */
  z.object({ id: z.number().int(), method: z.literal('saveFile'), path: z.string(), text: z.string(), chosen: z.boolean(), overwrite: z.boolean().default(false) }),
  z.object({ id: z.number().int(), method: z.literal('recentFiles') }),
]);
export type ClientRequest = z.input<typeof clientRequest>;
export type ClientMethod = ClientRequest['method'];

export const openedFile = z.object({ path: z.string(), text: z.string() });
export const savedFile = z.object({ path: z.string() });
export const dirListing = z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(dirEntry) });
export type OpenedFile = z.infer<typeof openedFile>;
export type SavedFile = z.infer<typeof savedFile>;
export type DirListing = z.infer<typeof dirListing>;

/** Responses: `code` lets the editor react (e.g. ask before overwriting an existing file). */
export const serverResponse = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), code: z.enum(['exists', 'not-found', 'refused', 'bad-request', 'io']), error: z.string() }),
]);
export type ServerResponse = z.infer<typeof serverResponse>;

/** What the editor needs from the engine; the web bridge and the Electron preload both implement it. */
export interface EngineClient {
  info(): Promise<EngineInfo>;
  listDir(dir: string): Promise<DirListing>;
  openFile(path: string): Promise<OpenedFile>;
  saveFile(path: string, text: string, opts: { chosen: boolean; overwrite?: boolean }): Promise<SavedFile>;
  recentFiles(): Promise<string[]>;
}

/** An engine request that failed, with the reason code from the response. */
export class EngineError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
