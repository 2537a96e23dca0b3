// engine/train/devices.ts: the device list the Train view offers, probed in ONNX Runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeDevices } from '../../engine/train/devices.ts';

test('the probe reports CPU available and each GPU provider with the reason it is missing', async (t) => {
  const devices = await probeDevices();
  assert.deepEqual(devices.map((d) => d.device), ['cpu', 'cuda', 'dml', 'coreml']);
  assert.deepEqual(devices[0], { device: 'cpu', label: 'CPU', available: true });
  for (const d of devices.filter((x) => !x.available)) assert.ok(d.reason && d.reason.length > 10, JSON.stringify(d));
  if (process.platform !== 'win32') assert.match(devices.find((d) => d.device === 'dml')!.reason!, /Windows only/);
  if (process.platform !== 'darwin') assert.match(devices.find((d) => d.device === 'coreml')!.reason!, /macOS only/);
  const cuda = devices.find((d) => d.device === 'cuda')!;
  if (cuda.available) return t.skip('the CUDA provider loaded on this machine');
  assert.match(cuda.reason!, /^CUDA needs an NVIDIA GPU.*ONNX Runtime said: .+/);
  assert.equal(await probeDevices(), await probeDevices(), 'probed once, then cached');
});
