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
