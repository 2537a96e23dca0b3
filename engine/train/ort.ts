// ONNX Runtime sessions: one place that picks the execution provider and session options.
import { createRequire } from 'node:module';
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { NCHWC_DOMAIN, nchwcOp } from '../autodiff/nchwc.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { said } from '../graph/error-codes.ts';
import { encodeModel, OPSET } from '../onnx/model.ts';
import type { CodedMessage } from '../protocol.ts';

export type Device = 'cpu' | 'cuda' | 'dml' | 'coreml';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'dml', 'coreml'];

export interface OpenedSession {
  session: ort.InferenceSession;
  device: Device;
  /** Set when the requested device was not usable and the session fell back to CPU: why, in English and as code + params. */
  fallback?: CodedMessage;
}

// ORT's own logger prints provider-load failures as raw C++ errors; every failure that matters
// reaches us as an exception, which openSession turns into one plain sentence.
ort.env.logLevel = 'fatal';

const PROVIDER: Record<Device, string> = { cpu: 'cpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml' };

/**
 * Graph rewrites of ONNX Runtime that change results, turned off in every session the engine
 * opens. Pad_Fusion folds a zero Pad into a following MaxPool's pads, which pad with -inf, not 0:
 * Pad(0) then MaxPool over negative values gives 0 in ONNX (and PyTorch), the window's maximum
 * once fused (onnxruntime 1.30; test/train/ort-correctness.test.ts).
 */
export const UNSAFE_OPTIMIZERS = { optimization: { disable_specified_optimizers: 'Pad_Fusion' } };

/**
 * `spin`: the intra-op threads spin between ops instead of sleeping. Only for a training step's
 * own session, for as long as it trains: idle spinning threads burn a core each (STACK.md).
 */
export function sessionOptions(device: Device, threads = os.availableParallelism(), spin = false, memPattern = true): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: device === 'cpu' ? ['cpu'] : [PROVIDER[device], 'cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Off only where asked (a training step with large activations: step.ts, MEM_PATTERN_LIMIT).
    ...(memPattern ? {} : { enableMemPattern: false }),
    // Spinning threads burn a core each while idle and make timings drift (STACK.md).
    extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } }, ...UNSAFE_OPTIMIZERS },
  } as ort.InferenceSession.SessionOptions;
}

/**
 * The one set of options for inference sessions (evaluation, validation, `netwright eval`,
 * Try it, cached features: everything opened through openRunner): sessionOptions, threads not
 * spinning. Spinning threads stopped when a run returns (`session.force_spinning_stop`) measured
 * slower on this 2-core machine, round for round (resnet-64 batch 64 168/135/139/128 samples/s
 * without against 115/127/123/110 with; mobilenetv2-96 slower in 7 of 7 rounds;
 * bench/infer-options.ts, bench/README.md issue 19), and spinning without the stop keeps a core
 * busy between runs.
 */
export function inferenceOptions(device: Device, threads = os.availableParallelism()): ort.InferenceSession.SessionOptions {
  return sessionOptions(device, threads, false);
}

/** What a GPU provider needs, said when it is missing. */
export const DEVICE_HINT: Record<Device, string> = {
  cpu: '',
  cuda: 'CUDA needs an NVIDIA GPU, CUDA 12 and cuDNN 9 libraries, and onnxruntime-node installed with its CUDA files (see README, GPU)',
  dml: 'DirectML is available on Windows only',
  coreml: 'CoreML is available on macOS only',
};

/** What `device` needs, as a message: English (DEVICE_HINT) and code + params. */
export const deviceHint = (device: Device): CodedMessage => ({ message: DEVICE_HINT[device], ...said('device-hint', { device }) });

/** Opens a session on `device`, falling back to CPU with the reason when the provider is missing. */
export async function openSession(model: Uint8Array, device: Device = 'cpu', threads?: number, options = sessionOptions): Promise<OpenedSession> {
  if (device === 'cpu') return { session: await ort.InferenceSession.create(model, options('cpu', threads)), device };
  try {
    return { session: await ort.InferenceSession.create(model, options(device, threads)), device };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    const fallback = { message: `${device} is not available (${DEVICE_HINT[device]}; ONNX Runtime said: ${why}); training on CPU instead`, ...said('device-fallback', { device, hint: deviceHint(device), why }) };
    return { session: await ort.InferenceSession.create(model, options('cpu', threads)), device: 'cpu', fallback };
  }
}

/** A session a training step (or a scorer) runs with its outputs preallocated in `fetches`. */
export interface StepSession {
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>): Promise<void> | void;
  release(): Promise<void>;
  /** Whether runs go straight to ONNX Runtime (see openStepSession). */
  readonly direct: boolean;
}

/** A public session as a StepSession. */
export function stepSession(session: ort.InferenceSession): StepSession {
  return {
    direct: false,
    run: async (feeds, fetches) => {
      await session.run(feeds, fetches);
    },
    release: () => session.release(),
  };
}

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: object, fetches: object, options: object): unknown;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}
let native: NativeBinding | null | undefined;
function nativeBinding(): NativeBinding | null {
  if (native === undefined) {
    try {
      const b = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as Partial<NativeBinding>;
      native = typeof b.binding?.InferenceSession === 'function' && typeof b.initOrt === 'function' ? (b as NativeBinding) : null;
    } catch {
      native = null;
    }
  }
  return native;
}

/**
 * A CPU session for training steps that runs at once on the calling thread. The public
 * session.run() first waits for a setImmediate turn, and right after a step that wait took
 * about 0.1 ms (per-step garbage is collected there): 9% of an MLP step (1.14 → 1.04 ms,
 * bench/README.md). This goes through onnxruntime-node's native binding, the object its public
 * session wraps (dist/binding.js, as in 1.30); if that is not there, the public API.
 */
export async function openStepSession(model: Uint8Array, threads?: number, spin = false, options: ort.InferenceSession.SessionOptions = sessionOptions('cpu', threads, spin)): Promise<StepSession> {
  const nb = nativeBinding();
  if (nb) {
    nb.initOrt();
    const s = new nb.binding.InferenceSession();
    s.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
    return {
      direct: true,
      run: (feeds, fetches) => {
        s.run(feeds, fetches, {});
      },
      release: async () => s.dispose(),
    };
  }
  return stepSession(await ort.InferenceSession.create(model, options));
}

/**
 * A session for batch after batch of work: on CPU through the native binding (openStepSession,
 * no setImmediate wait per run), elsewhere the public session; falls back to CPU like openSession.
 * Every inference session of the engine is opened here, with inferenceOptions.
 */
export async function openRunner(model: Uint8Array, device: Device = 'cpu', threads?: number): Promise<{ runner: StepSession; device: Device; fallback?: CodedMessage }> {
  if (device === 'cpu') return { runner: await openStepSession(model, threads, false, inferenceOptions('cpu', threads)), device };
  const opened = await openSession(model, device, threads, inferenceOptions);
  if (opened.device === 'cpu') {
    await opened.session.release();
    return { runner: await openStepSession(model, threads, false, inferenceOptions('cpu', threads)), device: 'cpu', fallback: opened.fallback };
  }
  return { runner: stepSession(opened.session), device: opened.device };
}

let blockSize: Promise<number> | undefined;
/**
 * The channel block of ONNX Runtime's NCHWc kernels on this CPU (16 with AVX-512, 8 with
 * AVX2), read off what its ReorderInput makes of 4 channels; 0 where those kernels are
 * missing (other CPUs, other builds). (NETWRIGHT_NCHWC=0 turns them off in a training step:
 * step.ts, openStepRunner.)
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    try {
      const g = new GraphBuilder();
      const x = g.input('x', 'float32', [1, 4, 1, 1]);
      g.output(nchwcOp(g, 'ReorderInput', [x]));
      const model = encodeModel({ graph: g.graph('probe'), opset: OPSET, domains: { [NCHWC_DOMAIN]: 1 }, metadata: {} });
      const s = await ort.InferenceSession.create(model, sessionOptions('cpu', 1));
      try {
        const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
        const c = out[g.outputs[0].name].dims[1];
        return c === 8 || c === 16 ? c : 0;
      } finally {
        await s.release();
      }
    } catch {
      return 0;
    }
  })();
  return blockSize;
}

export { ort };
