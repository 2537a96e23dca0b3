// The exported train.py under DistributedDataParallel: two ranks on CPU (gloo) train LeNet-5 on
// Fashion-MNIST for one epoch from the same initial weights as a Netwright run, and land within
// 1.5 points of Netwright's accuracy; the ONNX it writes is what `netwright eval` measures. The
// ranks are started here with the variables torchrun sets (Debian's torchrun crashes in its own
// launcher). Also: train.py splits a class-folder dataset exactly as Netwright does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { importIdx, FASHION_MNIST_CLASSES } from '../../engine/data/idx.ts';
import { scanImageFolder } from '../../engine/data/scan.ts';
import { exportPyTorch, loadSource } from '../../engine/export/pytorch/export.ts';
import { sampleData } from '../fixtures/sample.ts';
import { tempDir } from '../fixtures/temp.ts';
import { PYTHON, torchAvailable } from '../torch/torch.ts';

const FMNIST = '/usr/share/datasets/fashion-mnist';
const TRAIN_IMAGES = 10000;
const noTorch = torchAvailable() ? false : 'PyTorch (Debian python3-torch) is not installed';
const noData = noTorch || (fs.existsSync(path.join(FMNIST, 'train-images-idx3-ubyte.gz')) ? false : `Fashion-MNIST is not in ${FMNIST} (apt-get install dataset-fashion-mnist)`);

/** Each step has its own deadline, so a hang fails with what was printed rather than the test's timeout. */
const STEP_MS = 240_000;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/netwright.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: STEP_MS, killSignal: 'SIGKILL' });
  assert.ok(!r.error && r.signal === null, `netwright ${args.join(' ')}: ${r.error?.message ?? `killed (${r.signal}) after ${STEP_MS / 1000} s`}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/**
 * Both ranks, each with its output. When one fails the other is stopped at once (it would wait for
 * its peer for 30 minutes); at the deadline both are stopped with SIGABRT, which makes Python print
 * where each one was (PYTHONFAULTHANDLER).
 */
function runRanks(args: (rank: number) => string[], env: (rank: number) => NodeJS.ProcessEnv): Promise<{ code: number | null; signal: string | null; log: string }[]> {
  const procs = [0, 1].map((rank) => spawn(PYTHON, args(rank), { env: { ...env(rank), PYTHONFAULTHANDLER: '1' } }));
  const stopAll = (signal: NodeJS.Signals) => procs.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill(signal));
  const deadline = setTimeout(() => stopAll('SIGABRT'), STEP_MS);
  const done = procs.map((p) => {
    let log = '';
    p.stdout.on('data', (d) => (log += d));
    p.stderr.on('data', (d) => (log += d));
    return new Promise<{ code: number | null; signal: string | null; log: string }>((resolve) => p.on('close', (code, signal) => {
      if (code !== 0) stopAll('SIGABRT');
      resolve({ code, signal, log });
    }));
  });
  return Promise.all(done).finally(() => clearTimeout(deadline));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

test("train.py's validation split is Netwright's (same seed, same files)", { skip: noTorch }, async () => {
  const data = sampleData(13);
  fs.mkdirSync(path.join(data, 'circle', 'deeper'));
  fs.copyFileSync(path.join(data, 'circle', '0000.png'), path.join(data, 'circle', 'deeper', 'extra.png'));
  const pkg = tempDir('nw-torch-');
  exportPyTorch(loadSource('examples/sample-shapes.json'), pkg);
  for (const [valSplit, seed] of [[0.25, 1], [0.3, 7]]) {
    const ours = await scanImageFolder(data, { valSplit, seed });
    const r = spawnSync(PYTHON, ['-c', `import json, sys; sys.path.insert(0, ${JSON.stringify(pkg)}); import train; n, t, v, s = train.scan_folder(${JSON.stringify(data)}, ${valSplit}, ${seed}); print(json.dumps([n, t, v]))`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [names, train, val] = JSON.parse(r.stdout) as [string[], [string, number][], [string, number][]];
    assert.deepEqual(names, ours.classNames);
    assert.deepEqual(val, ours.val.map((s) => [s.path, s.label]), `val split, valSplit ${valSplit} seed ${seed}`);
    assert.deepEqual(train, ours.train.map((s) => [s.path, s.label]));
  }
});

test('two ranks (gloo) train LeNet-5 on Fashion-MNIST for 1 epoch to within 1.5 points of Netwright', { skip: noData, timeout: 600_000 }, async () => {
  const root = tempDir('nw-ddp-');
  const train = path.join(root, 'train');
  const testDir = path.join(root, 'test');
  await importIdx(path.join(FMNIST, 'train-images-idx3-ubyte.gz'), path.join(FMNIST, 'train-labels-idx1-ubyte.gz'), train, { classes: FASHION_MNIST_CLASSES, limit: TRAIN_IMAGES });
  await importIdx(path.join(FMNIST, 't10k-images-idx3-ubyte.gz'), path.join(FMNIST, 't10k-labels-idx1-ubyte.gz'), testDir, { classes: FASHION_MNIST_CLASSES });

  const run = path.join(root, 'netwright-run');
  const t0 = performance.now();
  const nw = cli('train', 'examples/lenet5.json', '--data', train, '--epochs', '1', '--val-split', '0', '--out', run, '--threads', '1');
  assert.equal(nw.status, 0, nw.stderr);
  const nwSeconds = (performance.now() - t0) / 1000;
  const accuracy = (model: string): number => {
    const r = cli('eval', model, '--data', testDir, '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).accuracy as number;
  };
  const ours = accuracy(path.join(run, 'model.onnx'));

  // The same initial weights (the run's init.onnx), the same settings, two processes.
  const pkg = path.join(root, 'pytorch');
  const exported = cli('export-pytorch', run, '--weights', 'init', '--out', pkg);
  assert.equal(exported.status, 0, exported.stderr);
  const out = path.join(root, 'ddp');
  const onnx = path.join(out, 'model.onnx');
  const port = await freePort();
  const t1 = performance.now();
  // Both ranks on this machine: gloo binds to the loopback interface, not to whatever the host name resolves to.
  const done = await runRanks(
    () => [path.join(pkg, 'train.py'), '--data', train, '--epochs', '1', '--val-split', '0', '--out', out, '--workers', '0', '--threads', '1', '--onnx', onnx],
    (rank) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), OMP_NUM_THREADS: '1', GLOO_SOCKET_IFNAME: 'lo' }),
  );
  const ddpSeconds = (performance.now() - t1) / 1000;
  for (const [rank, r] of done.entries()) assert.equal(r.code, 0, `rank ${rank} ended with ${r.signal ?? `code ${r.code}`} after ${ddpSeconds.toFixed(0)} s:\n${r.log}\nthe other rank:\n${done[1 - rank].log}`);
  assert.match(done[0].log, /training on cpu x 2 processes: 10000 images/);
  assert.equal(done[1].log, '', 'only rank 0 prints');

  // metrics.csv: Netwright's columns, one row per step and one per epoch, the same step count.
  const rows = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
  const nwRows = fs.readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], nwRows[0]);
  assert.equal(rows.length, nwRows.length);
  assert.equal(rows.at(-1)!.split(',')[0], nwRows.at(-1)!.split(',')[0]);
  for (const f of ['model.pt', 'best.pt', 'checkpoint.pt']) assert.ok(fs.existsSync(path.join(out, f)), f);

  const theirs = accuracy(onnx);
  console.log(`  1 epoch of LeNet-5 on ${TRAIN_IMAGES} Fashion-MNIST training images, 10,000 test images: Netwright ${(100 * ours).toFixed(2)}% (${nwSeconds.toFixed(1)} s), PyTorch DDP 2 ranks gloo ${(100 * theirs).toFixed(2)}% (${ddpSeconds.toFixed(1)} s); difference ${(100 * Math.abs(ours - theirs)).toFixed(2)} points`);
  assert.ok(Math.abs(ours - theirs) <= 0.015, `Netwright ${ours} vs PyTorch DDP ${theirs}`);
});
