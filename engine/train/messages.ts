// What crosses the training worker thread's border (run-client.ts <-> run-worker.ts: an event,
// or one step group's step events as an array), and the request the training loop takes
// (engine/train/run.ts, the CLI). None of it reaches the editor: the session coalesces these
// events into engine/protocol.ts's SessionEvent.
import { z } from 'zod';
import { deviceName, divergedEvent, doneEvent, epochEvent, errorEvent, logEvent, pausedEvent, resumedEvent, startedEvent, stepPoint } from '../protocol.ts';

/** One optimizer step, as the loop reports it (the session batches them into 'steps'). */
export const stepEvent = z.object({ type: z.literal('step'), ...stepPoint.shape });
export type StepEvent = z.infer<typeof stepEvent>;

export const trainEvent = z.discriminatedUnion('type', [stepEvent, epochEvent, logEvent, startedEvent, doneEvent, errorEvent, pausedEvent, resumedEvent, divergedEvent]);
export type TrainEvent = z.infer<typeof trainEvent>;

export const trainRequest = z.object({
  /** The network document (JSON) to train. */
  doc: z.unknown(),
  dataDir: z.string(),
  outDir: z.string(),
  device: deviceName.default('cpu'),
  maxSteps: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
  /** Continue the run in outDir from its checkpoint (the document and settings come from it). */
  resume: z.boolean().optional(),
  /** Resume only: train to this many epochs in all (extends a finished run). */
  epochs: z.number().int().min(1).max(100000).optional(),
  /** Train even when the memory estimate exceeds the machine's limit (engine/train/prepare.ts, memoryLimit). */
  allowLarge: z.boolean().optional(),
});
export type TrainRequest = z.input<typeof trainRequest>;

/** Messages into the training worker. */
export const workerCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), request: trainRequest }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
]);
export type WorkerCommand = z.infer<typeof workerCommand>;
