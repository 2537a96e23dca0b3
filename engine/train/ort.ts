// ONNX Runtime sessions: one place that picks the execution provider and session options.
import os from 'node:os';
import * as ort from 'onnxruntime-node';

export type Device = 'cpu' | 'cuda' | 'dml' | 'coreml';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'dml', 'coreml'];

export interface OpenedSession {
  session: ort.InferenceSession;
  device: Device;
  /** Set when the requested device was not usable and the session fell back to CPU. */
  fallback?: string;
}

// ORT's own logger prints provider-load failures as raw C++ errors; every failure that matters
// reaches us as an exception, which openSession turns into one plain sentence.
ort.env.logLevel = 'fatal';

const PROVIDER: Record<Device, string> = { cpu: 'cpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml' };

export function sessionOptions(device: Device, threads = os.availableParallelism()): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: device === 'cpu' ? ['cpu'] : [PROVIDER[device], 'cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Spinning threads burn a core each while idle and make timings drift (STACK.md).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  } as ort.InferenceSession.SessionOptions;
}

/** What a GPU provider needs, said when it is missing. */
export const DEVICE_HINT: Record<Device, string> = {
  cpu: '',
  cuda: 'CUDA needs an NVIDIA GPU, CUDA 12 and cuDNN 9 libraries, and onnxruntime-node installed with its CUDA files (see README, GPU)',
  dml: 'DirectML is available on Windows only',
  coreml: 'CoreML is available on macOS only',
};

/** Opens a session on `device`, falling back to CPU with the reason when the provider is missing. */
export async function openSession(model: Uint8Array, device: Device = 'cpu', threads?: number): Promise<OpenedSession> {
  if (device === 'cpu') return { session: await ort.InferenceSession.create(model, sessionOptions('cpu', threads)), device };
  try {
    return { session: await ort.InferenceSession.create(model, sessionOptions(device, threads)), device };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    const fallback = `${device} is not available (${DEVICE_HINT[device]}; ONNX Runtime said: ${why}); training on CPU instead`;
    return { session: await ort.InferenceSession.create(model, sessionOptions('cpu', threads)), device: 'cpu', fallback };
  }
}

export { ort };
