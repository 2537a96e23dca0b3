// Checkpoint files: the checksum, the fallback to the previous file, byte-identical round trips,
// injected write failures, and SIGKILL at every stage of a save (a child process per trial).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodeCheckpoint, loadCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointStage } from '../../engine/train/checkpoint.ts';
import { sampleCheckpoint, sampleHash, sha256 } from '../fixtures/checkpoints.ts';
import { tempDir } from '../fixtures/sample.ts';

const save = (dir: string, i: number) => {
  const { header, values } = sampleCheckpoint(i);
  writeCheckpoint(path.join(dir, 'checkpoint.nwck'), header, values);
};
const latest = (dir: string) => path.join(dir, 'checkpoint.nwck');
const prev = (dir: string) => path.join(dir, 'checkpoint.prev.nwck');

test('checkpoint -> load -> checkpoint is byte-identical, and the previous one is kept', () => {
  const dir = tempDir();
  save(dir, 1);
  assert.ok(!fs.existsSync(prev(dir)));
  save(dir, 2);
  assert.equal(sha256(fs.readFileSync(latest(dir))), sampleHash(2));
  assert.equal(sha256(fs.readFileSync(prev(dir))), sampleHash(1));
  const a = fs.readFileSync(latest(dir));
  const ck = readCheckpoint(latest(dir));
  const other = path.join(tempDir(), 'checkpoint.nwck');
  writeCheckpoint(other, ck.header, ck.values);
  assert.ok(a.equals(fs.readFileSync(other)));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint.nwck', 'checkpoint.prev.nwck'], 'no temp files left');
});

// A corpus of damaged latest files, each with the reason the loader must give.
const damage: [string, (b: Buffer) => Buffer, RegExp][] = [
  ['truncated by half', (b) => b.subarray(0, b.length >> 1), /fails its SHA-256 checksum/],
  ['truncated to the magic line', (b) => b.subarray(0, 30), /is truncated \(30 bytes\)/],
  ['one flipped byte in a tensor', (b) => flip(b, b.length - 100), /fails its SHA-256 checksum/],
  ['one flipped byte in the header', (b) => flip(b, 40), /fails its SHA-256 checksum/],
  ['one flipped byte in the checksum', (b) => flip(b, b.length - 1), /fails its SHA-256 checksum/],
  ['garbage', () => Buffer.from('\x00\x01garbage'.repeat(500)), /is not a Netwright checkpoint \(no magic line\)/],
  ['empty', () => Buffer.alloc(0), /is not a Netwright checkpoint/],
  ['format 1 (no checksum)', () => Buffer.from('NETWRIGHT-CHECKPOINT 1\n\x02\x00\x00\x00{}'), /format 1, without a checksum/],
];
const flip = (b: Buffer, i: number) => {
  const c = Buffer.from(b);
  c[i] ^= 0x10;
  return c;
};

for (const [name, hurt, reason] of damage) {
  test(`a damaged latest checkpoint (${name}) falls back to the previous one and says why`, () => {
    const dir = tempDir();
    save(dir, 1);
    save(dir, 2);
    fs.writeFileSync(latest(dir), hurt(fs.readFileSync(latest(dir))));
    const ck = loadCheckpoint(dir);
    assert.equal(ck.file, prev(dir));
    assert.equal(ck.header.step, 10);
    assert.equal(ck.problems.length, 1);
    assert.ok(ck.problems[0].startsWith(latest(dir)), ck.problems[0]);
    assert.match(ck.problems[0], reason);
  });
}

test('with both files damaged, the error names each file and its reason', () => {
  const dir = tempDir();
  save(dir, 1);
  save(dir, 2);
  fs.writeFileSync(latest(dir), 'junk');
  fs.truncateSync(prev(dir), 100);
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.includes(`${latest(dir)} is not a Netwright checkpoint`) && e.message.includes(`${prev(dir)} fails its SHA-256 checksum`));
  assert.throws(() => loadCheckpoint(tempDir()), /checkpoint\.nwck does not exist/);
});

for (const code of ['ENOSPC', 'EROFS', 'EACCES']) {
  test(`a failed write (${code}, injected) names the path and leaves the previous checkpoint loadable`, () => {
    const dir = tempDir();
    save(dir, 1);
    const before = fs.readFileSync(latest(dir));
    const { header, values } = sampleCheckpoint(2);
    let n = 0;
    const write = (fd: number, d: Uint8Array) => {
      if (++n === 3) throw Object.assign(new Error(`${code}: injected`), { code });
      fs.writeSync(fd, d);
    };
    assert.throws(() => writeCheckpoint(latest(dir), header, values, { write }), (e: Error) => e.message.includes(path.join(dir, '.checkpoint.nwck.')) && e.message.includes(code));
    assert.ok(before.equals(fs.readFileSync(latest(dir))));
    assert.equal(loadCheckpoint(dir).header.step, 10);
    assert.deepEqual(fs.readdirSync(dir), ['checkpoint.nwck'], 'the temp file is removed');
  });
}

test('a checkpoint with a value that is not finite is refused', () => {
  const { header, values } = sampleCheckpoint(1);
  values.get('w')![7] = NaN;
  const dir = tempDir();
  assert.throws(() => writeCheckpoint(latest(dir), header, values), /refusing to write .*checkpoint\.nwck: w\[7\] is NaN/);
  assert.equal(fs.readdirSync(dir).length, 0);
});

test('encoding is deterministic', () => {
  const a = sampleCheckpoint(3);
  assert.equal(sha256(Buffer.concat(encodeCheckpoint(a.header, a.values))), sampleHash(3));
});

// ---- SIGKILL during saves ----

const child = path.resolve('test/fixtures/checkpoint-writer.ts');

/** One trial: a child writing checkpoints, killed at a hook of checkpoint `at` or after `delayMs`. */
function trial(kill: { stage: CheckpointStage; at: number } | { delayMs: number }): Promise<{ dir: string; done: number; begun: number }> {
  const dir = tempDir();
  save(dir, 0);
  const env = { ...process.env, ...('stage' in kill ? { HOOK: kill.stage, HOOK_AT: String(kill.at) } : {}) };
  const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let done = 0;
  let begun = 0;
  let buf = '';
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, n] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (what === 'begin') begun = Number(n);
        if (what === 'done') done = Number(n);
        if (what === 'hook') p.kill('SIGKILL');
        if (what === 'begin' && n === '1' && 'delayMs' in kill) timer = setTimeout(() => p.kill('SIGKILL'), kill.delayMs);
      }
    });
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited with ${code}`));
      else resolve({ dir, done, begun });
    });
  });
}

function checkAfterKill(r: { dir: string; done: number; begun: number }): number {
  const ck = loadCheckpoint(r.dir);
  assert.deepEqual(ck.problems, [], 'the latest file is always whole');
  const got = ck.header.epoch;
  assert.ok(got === r.done || got === r.begun, `loaded checkpoint ${got}; last finished ${r.done}, in progress ${r.begun}`);
  assert.equal(sha256(fs.readFileSync(latest(r.dir))), sampleHash(got), 'hash of the loaded file');
  if (fs.existsSync(prev(r.dir))) {
    const p = readCheckpoint(prev(r.dir)).header.epoch;
    assert.equal(sha256(fs.readFileSync(prev(r.dir))), sampleHash(p));
    assert.ok(p === got || p === got - 1, `previous ${p}, latest ${got}`);
  }
  return got;
}

test('SIGKILL at every stage of a save and at random moments: each load is the old or the new checkpoint (50 trials)', async () => {
  const stages: CheckpointStage[] = ['temp-written', 'before-fsync', 'before-rename', 'renamed'];
  const trials: (() => Promise<void>)[] = [];
  const outcome: Record<string, { between: number; old: number; new: number }> = {};
  const tally = (key: string, r: { done: number; begun: number }, got: number) => {
    outcome[key] ??= { between: 0, old: 0, new: 0 };
    if (r.begun === r.done) outcome[key].between++;
    else if (got === r.begun) outcome[key].new++;
    else outcome[key].old++;
  };
  for (const stage of stages) {
    for (let k = 0; k < 5; k++) {
      trials.push(async () => {
        const r = await trial({ stage, at: 1 + k });
        assert.equal(r.begun, 1 + k);
        const got = checkAfterKill(r);
        // Before the rename the old file must be what loads; after it, the new one.
        assert.equal(got, stage === 'renamed' ? r.begun : r.done, stage);
        tally(stage, r, got);
      });
    }
  }
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < 30; k++) {
    const delayMs = Math.floor(rand() * 60);
    trials.push(async () => {
      const r = await trial({ delayMs });
      tally('random', r, checkAfterKill(r));
    });
  }
  assert.equal(trials.length, 50);
  for (let i = 0; i < trials.length; i += 10) await Promise.all(trials.slice(i, i + 10).map((t) => t()));
  console.log('kill outcomes (between saves / mid-save, loaded old / mid-save, loaded new):', JSON.stringify(outcome));
});
