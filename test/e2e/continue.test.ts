// Continue a run from the Runs list in Chromium: a stopped run goes on to more epochs than it
// had and finishes with them; after the engine is killed mid-run, the next start offers the
// interrupted run, and continuing it finishes it. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { sampleData } from '../fixtures/sample.ts';
import { shot, skipReason, start, type Session } from './helpers.ts';

type W = { __netwright: { train: { getState(): { epochs: unknown[]; runId: string | null } } } };

/** The sample project with a small batch and many epochs, so a run is stopped or killed before it ends (no edit: no unsaved-work prompt). */
function project(root: string, epochs: number): string {
  const doc = JSON.parse(fs.readFileSync('examples/sample-shapes.json', 'utf8'));
  doc.training = { ...doc.training, batchSize: 8, epochs };
  const file = path.join(root, 'net.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

const epochsSeen = (s: Session) => s.page.evaluate(() => (window as unknown as W).__netwright.train.getState().epochs.length);
const row = (s: Session, runId: string) => s.page.locator(`[data-testid="runs"] tbody tr:has([data-testid="continue-${runId}"])`);

async function startRun(s: Session): Promise<string> {
  await s.page.click('[data-view="train"]');
  await s.page.waitForSelector('[data-testid="dataset-report"]');
  await s.page.click('[data-testid="train-start"]');
  await s.page.waitForFunction(() => (window as unknown as W).__netwright.train.getState().epochs.length >= 1, undefined, { timeout: 120_000 });
  return (await s.page.evaluate(() => (window as unknown as W).__netwright.train.getState().runId))!;
}

test('a stopped run is continued from the Runs list to more epochs and finishes with them', { skip: skipReason }, async () => {
  const data = sampleData(12);
  const s = await start({ serveArgs: (root) => ['--doc', project(root, 40), '--data', data, '--threads', '1'] });
  try {
    // The Network panel shows the training memory estimate and this machine's limit.
    await s.page.waitForFunction(() => /^Training memory ≈ [\d.]+ MB at batch 8 \(this machine allows [\d.]+ [MGT]B\)$/.test(document.querySelector('[data-testid="memory-estimate"]')?.textContent ?? ''));
    assert.equal(await s.page.locator('[data-testid="memory-refusal"]').count(), 0);
    const runId = await startRun(s);
    await s.page.click('[data-testid="train-stop"]');
    await s.page.waitForSelector('[data-testid="run-done"]', { timeout: 60_000 });
    assert.match(await s.page.textContent('[data-testid="run-done"]') ?? '', /^stopped at step/);
    await row(s, runId).waitFor();
    const r = row(s, runId);
    await s.page.waitForFunction((id) => document.querySelector(`[data-testid="runs"] tbody tr:has([data-testid="continue-${id}"]) td:nth-child(3)`)?.textContent === 'stopped', runId);
    const had = Number(await r.locator('td:nth-child(4)').textContent());
    assert.ok(had >= 1 && had < 40, `stopped with ${had} epochs`);
    const target = had + 2;
    await r.locator('input[aria-label="epochs in all"]').fill(String(target));
    await shot(s.page, 'continue-run');
    await r.locator('button:has-text("Continue")').click();
    await s.page.waitForFunction(() => /^finished at step/.test(document.querySelector('[data-testid="run-done"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
    // The continued run's own epochs came in; the row says finished, with the new epoch count.
    assert.equal(await epochsSeen(s), target - had);
    await s.page.waitForFunction(([id, t]) => {
      const cells = document.querySelectorAll(`[data-testid="runs"] tbody tr:has([data-testid="continue-${id}"]) td`);
      return cells[2]?.textContent === 'finished' && cells[3]?.textContent === String(t);
    }, [runId, target] as const, { timeout: 30_000 });
    const rec = JSON.parse(fs.readFileSync(path.join(s.root, 'runs', runId, 'run.json'), 'utf8'));
    assert.equal(rec.status, 'finished');
    assert.equal(rec.epochs, target);
    const csvEpochs = fs.readFileSync(path.join(s.root, 'runs', runId, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).filter((l) => l.split(',')[4] !== '').map((l) => Number(l.split(',')[1]));
    assert.deepEqual(csvEpochs, Array.from({ length: target }, (_, i) => i + 1), 'every epoch once in metrics.csv');
    assert.deepEqual(s.errors, []);
  } finally {
    await s.close();
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('after the engine is killed mid-run, the next start offers the interrupted run and continues it', { skip: skipReason }, async () => {
  const data = sampleData(12);
  const first = await start({ serveArgs: (root) => ['--doc', project(root, 6), '--data', data, '--threads', '1'] });
  const root = first.root;
  let runId = '';
  try {
    runId = await startRun(first);
    // The epoch event comes before that epoch's checkpoint is written: a run killed in between has
    // nothing to continue from (and is not offered), so wait for the checkpoint first.
    const ck = path.join(root, 'runs', runId, 'checkpoint.nwck');
    for (let i = 0; i < 600 && !fs.existsSync(ck); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await first.crash();
  }
  const second = await start({ root, serveArgs: () => ['--doc', path.join(root, 'net.json'), '--data', data, '--threads', '1'] });
  try {
    await second.page.click('[data-view="train"]');
    const notice = second.page.locator('[data-testid="interrupted-notice"]');
    await notice.waitFor({ timeout: 30_000 });
    assert.match(await notice.textContent() ?? '', new RegExp(`The run ${runId} was interrupted`));
    await shot(second.page, 'continue-interrupted');
    await notice.locator('button:has-text("Continue")').click();
    await second.page.waitForFunction(() => /^finished at step/.test(document.querySelector('[data-testid="run-done"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const rec = JSON.parse(fs.readFileSync(path.join(root, 'runs', runId, 'run.json'), 'utf8'));
    assert.equal(rec.status, 'finished');
    assert.ok(rec.epochs >= 6, `finished with ${rec.epochs} epochs`);
    await notice.waitFor({ state: 'detached' });
    assert.deepEqual(second.errors, []);
  } finally {
    await second.close();
    fs.rmSync(data, { recursive: true, force: true });
  }
});
