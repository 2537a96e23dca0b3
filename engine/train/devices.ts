// Which execution providers this machine can run: each GPU provider is tried once on a one-node
// model (the only test that counts: listSupportedBackends names what the binding was built with,
// not whether its libraries and a device are present), and the answer is kept for the process.
import { encodeModel } from '../onnx/model.ts';
import type { DeviceInfo } from '../protocol.ts';
import { said } from '../graph/error-codes.ts';
import { DEVICE_HINT, DEVICES, deviceHint, ort, type Device } from './ort.ts';

const LABEL: Record<Device, string> = { cpu: 'CPU', cuda: 'CUDA (NVIDIA GPU)', dml: 'DirectML (Windows GPU)', coreml: 'CoreML (Apple)' };
const PLATFORM: Partial<Record<Device, NodeJS.Platform>> = { dml: 'win32', coreml: 'darwin' };

const TINY = encodeModel({
  opset: 17,
  metadata: {},
  graph: {
    name: 'probe',
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    initializers: [],
  },
});

async function probe(device: Device): Promise<DeviceInfo> {
  const base = { device, label: LABEL[device] };
  if (device === 'cpu') return { ...base, available: true };
  const platform = PLATFORM[device];
  if (platform && platform !== process.platform) return { ...base, available: false, reason: DEVICE_HINT[device], reasonText: said('device-hint', { device }) };
  const built = ort.listSupportedBackends?.().some((b) => b.name === device) ?? true;
  if (!built) return { ...base, available: false, reason: `this build of ONNX Runtime has no ${device} provider (${DEVICE_HINT[device]})`, reasonText: said('device-not-built', { device, hint: deviceHint(device) }) };
  try {
    const s = await ort.InferenceSession.create(TINY, { executionProviders: [device] });
    await s.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
    await s.release();
    return { ...base, available: true };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    return { ...base, available: false, reason: `${DEVICE_HINT[device]}; ONNX Runtime said: ${why}`, reasonText: said('device-unusable', { hint: deviceHint(device), why }) };
  }
}

let cached: Promise<DeviceInfo[]> | null = null;

/** CPU and every GPU provider, each available or not with the reason; probed once per process. */
export function probeDevices(): Promise<DeviceInfo[]> {
  cached ??= (async () => {
    const out: DeviceInfo[] = [];
    for (const d of DEVICES) out.push(await probe(d));
    return out;
  })();
  return cached;
}
