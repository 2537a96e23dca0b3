// The monkey pass: a few hundred random clicks, drags, key presses and tab switches over the
// editor and the Train view, from a fixed seed; fails on any page error, console error or an
// empty #root. A failure names the seed and the last actions, so it can be replayed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Rng } from '../../engine/graph/rng.ts';
import { sampleData } from '../fixtures/sample.ts';
import { shot, skipReason, start, type Session } from './helpers.ts';

if (skipReason) console.log(`# ${skipReason}`);

const SEED = Number(process.env.MONKEY_SEED ?? 16);
const ACTIONS = Number(process.env.MONKEY_ACTIONS ?? 300);
const BUDGET_MS = 50_000;

let s: Session;
let data: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(10);
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1'];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

// Keys that open nothing outside the page (no Ctrl+W/T/N, no F-keys) and never leave it.
const KEYS = ['Delete', 'Backspace', 'Escape', 'l', 'f', 'm', '?', '/', 'Control+z', 'Control+Shift+z', 'Control+y', 'Control+a', 'Control+c', 'Control+v', 'Control+x', 'Control+d', 'Enter', 'Tab', 'ArrowDown', 'a', '1'];

test(`monkey: ${ACTIONS} random actions (seed ${SEED}) over the editor and the Train view: no page error, never an empty page`, { skip: skipReason, timeout: 120_000 }, async () => {
  const { page } = s;
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 12);
  const rng = new Rng(SEED);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const log: string[] = [];
  const t0 = Date.now();
  let done = 0;
  for (; done < ACTIONS && Date.now() - t0 < BUDGET_MS; done++) {
    const vp = page.viewportSize()!;
    const at = () => ({ x: Math.round(rng.next() * vp.width), y: Math.round(40 + rng.next() * (vp.height - 70)) });
    const r = rng.next();
    try {
      if (r < 0.1) {
        const v = pick(['design', 'design', 'train', 'evaluate', 'try', 'export']);
        log.push(`tab ${v}`);
        await page.click(`[data-view="${v}"]`, { timeout: 1000 });
      } else if (r < 0.2) {
        const n = await page.locator('.react-flow__node').count();
        if (n) {
          const i = Math.floor(rng.next() * n);
          const mod = rng.next() < 0.3 ? ['Control' as const] : [];
          log.push(`node ${i}${mod.length ? ' ctrl' : ''}`);
          await page.locator('.react-flow__node').nth(i).click({ modifiers: mod, timeout: 1000, position: { x: 20, y: 10 } });
        }
      } else if (r < 0.45) {
        const p = at();
        log.push(`click ${p.x},${p.y}`);
        await page.mouse.click(p.x, p.y);
      } else if (r < 0.6) {
        const [a, b] = [at(), at()];
        const shift = rng.next() < 0.3;
        log.push(`drag${shift ? ' shift' : ''} ${a.x},${a.y} -> ${b.x},${b.y}`);
        if (shift) await page.keyboard.down('Shift');
        await page.mouse.move(a.x, a.y);
        await page.mouse.down();
        await page.mouse.move(a.x + 2, a.y + 2);
        await page.mouse.move(b.x, b.y, { steps: 4 });
        await page.mouse.up();
        if (shift) await page.keyboard.up('Shift');
      } else if (r < 0.65) {
        const n = await page.locator('[data-layer]').count();
        if (n) {
          const i = Math.floor(rng.next() * n);
          log.push(`palette dblclick ${i}`);
          await page.locator('[data-layer]').nth(i).dblclick({ timeout: 1000 });
        }
      } else {
        const k = pick(KEYS);
        log.push(`key ${k}`);
        await page.keyboard.press(k);
      }
    } catch (e) {
      // An element that moved or went away between looking and clicking: not a failure of the app.
      if (!/Timeout|not visible|detached|outside of the viewport|intercepts pointer/i.test((e as Error).message)) throw e;
    }
    // A dialog the monkey opened (save as, help, a question) is closed again now and then.
    if (rng.next() < 0.3 && (await page.locator('.modal').count())) await page.keyboard.press('Escape');
    if (s.errors.length || done % 20 === 0) {
      const len = await page.evaluate(() => document.getElementById('root')?.innerHTML.length ?? 0);
      if (s.errors.length || len === 0) {
        await shot(page, 'monkey-failure');
        assert.fail(`seed ${SEED}, action ${done}: ${s.errors.join(' | ') || 'empty #root'}\nlast actions:\n${log.slice(-15).join('\n')}`);
      }
    }
  }
  const len = await page.evaluate(() => document.getElementById('root')?.innerHTML.length ?? 0);
  await shot(page, 'monkey-end');
  assert.ok(len > 0, 'the page is not empty');
  assert.deepEqual(s.errors, [], `seed ${SEED}: ${log.slice(-15).join('; ')}`);
  assert.ok(done >= 150, `only ${done} actions in ${BUDGET_MS} ms`);
  console.log(`# monkey: ${done} actions in ${Date.now() - t0} ms, seed ${SEED}`);
});
