// npm start where Electron cannot run (this machine: no binary, no display) says so in one
// line and serves the editor in web mode instead.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('npm start falls back to web mode with a one-line reason, and the editor is served', async () => {
  const child = spawn(process.execPath, ['scripts/start.mjs'], { env: { ...process.env, NETWRIGHT_NO_OPEN: '1', DISPLAY: '', WAYLAND_DISPLAY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no editor URL within 120 s:\n${out}`)), 120_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /Netwright editor: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
    });
    const reasons = out.split('\n').filter((l) => l.startsWith('Electron is not available'));
    assert.equal(reasons.length, 1, out);
    assert.match(reasons[0], /^Electron is not available: .+\. Starting web mode instead\.$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root"|<html/i);
    const noToken = await fetch(url.replace(/\?token=.*/, ''));
    assert.equal(noToken.status, 403);
  } finally {
    child.kill('SIGTERM');
  }
});
