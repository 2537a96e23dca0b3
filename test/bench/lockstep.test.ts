// bench/paired.ts runs both bench sides in turn: with NW_LOCKSTEP=1, Netwright's timedWindows
// (bench/engine-bench.ts) and PyTorch's timed_windows (bench/torch/benchutil.py) say "wait" and
// do nothing until a line arrives on stdin, before the warm-up, before each window and after the
// last, and print each window's rate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { PYTHON } from '../torch/torch.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Drives a child that follows the lockstep protocol, holding each go back for `holdMs`; every line it printed, and whether any came while it was held. */
function drive(cmd: string, args: string[], holdMs = 300): Promise<{ lines: string[]; early: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NW_LOCKSTEP: '1' } });
    const lines: string[] = [];
    const early: string[] = [];
    let held = false;
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (held) early.push(line);
        lines.push(line);
        if (line === 'wait') {
          held = true;
          setTimeout(() => {
            held = false;
            child.stdin.write('go\n');
          }, holdMs);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ lines, early });
      else reject(new Error(`${cmd} exited with ${code}: ${err}`));
    });
  });
}

const expected = ['wait', 'wait', 'rate', 'wait', 'rate', 'wait', 'done'];
const shape = (lines: string[]) => lines.map((l) => l.split(' ')[0]);

test('Netwright side: waits for each go and prints every window', async () => {
  const script = "import { timedWindows } from './bench/engine-bench.ts'; const r = await timedWindows(async () => {}, 1, 2, 0.02, 0.02); console.log('done', r.rates.length);";
  const { lines, early } = await drive(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  assert.deepEqual(shape(lines), expected);
  assert.equal(lines.at(-1), 'done 2');
  assert.deepEqual(early, [], 'nothing ran while a go was held back');
});

test('PyTorch side (benchutil.py): the same protocol', async () => {
  const script = `import sys; sys.path.insert(0, 'bench/torch'); from benchutil import timed_windows; r = timed_windows(lambda: None, 1, 2, 0.02, 0.02); print('done', len(r['rates']))`;
  const { lines, early } = await drive(PYTHON, ['-c', script]);
  assert.deepEqual(shape(lines), expected);
  assert.equal(lines.at(-1), 'done 2');
  assert.deepEqual(early, []);
});
