// Shared by the e2e tests: build the editor if stale, start `netwright serve` on a random port
// in a temporary project folder, and drive Debian's chromium with playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../engine/web/build.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const skipReason = fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it): e2e tests skipped`;
export const ARTIFACTS = path.resolve('test-artifacts');

export interface Session {
  url: string;
  root: string;
  /** The engine's process (`netwright serve`). */
  pid: number;
  browser: Browser;
  page: Page;
  errors: string[];
  close(): Promise<void>;
  /** A crash: the browser and the engine are killed, the project folder is kept. */
  crash(): Promise<void>;
}

/** `serveArgs` adds arguments to `netwright serve` once the project folder exists (e.g. --doc, --data). */
/** `root` reuses a project folder (and its .config) from an earlier session, e.g. to restart after a crash. */
export async function start(o: { serveArgs?: (root: string) => string[]; root?: string } = {}): Promise<Session> {
  // The test bundle (dist/renderer-test): the production one has no window.__netwright.
  const rendererDir = await ensureRendererBuilt({ test: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const root = o.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-e2e-'));
  const server: ChildProcess = spawn(process.execPath, ['bin/netwright.js', 'serve', '--port', '0', '--root', root, ...(o.serveArgs?.(root) ?? [])], {
    env: { ...process.env, NETWRIGHT_CONFIG_DIR: path.join(root, '.config'), NETWRIGHT_RENDERER_DIR: rendererDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`netwright serve did not start: ${out}`)), 30000);
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) (clearTimeout(t), resolve(m[1]));
    });
    server.stderr!.on('data', (d) => (out += d));
    server.on('exit', (code) => reject(new Error(`netwright serve exited (${code}): ${out}`)));
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(url);
  await page.waitForSelector('.react-flow__pane');
  return {
    url,
    root,
    pid: server.pid!,
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      server.kill('SIGTERM');
      fs.rmSync(root, { recursive: true, force: true });
    },
    async crash() {
      server.kill('SIGKILL');
      await browser.close();
    },
  };
}

/** A real mouse drag; React Flow ignores a drag's first move, so nudge 2 px first. */
export async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, steps = 8): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 2, from.y + 2);
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.up();
}

export async function center(page: Page, selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Types a path into an open folder dialog's path field once its first listing has filled it, so
 * the typed path replaces it (typing while the listing is on its way has its own test in
 * new-user.test.ts); fails naming what the field holds if it is not the path.
 */
export async function fillFolderPath(page: Page, dir: string): Promise<void> {
  const field = '[data-testid="folder-path"]';
  await page.waitForFunction((f) => (document.querySelector(f) as HTMLInputElement | null)?.value !== '', field, { timeout: 20_000 });
  await page.fill(field, dir);
  const held = await page.inputValue(field);
  if (held !== dir) throw new Error(`the folder dialog's path field holds ${held}, not ${dir}`);
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

/** Drags a layer from the palette onto the canvas; returns the new node's id (it becomes the selection). */
export async function dropLayer(page: Page, type: string, at: { x: number; y: number }): Promise<string> {
  const n = await page.locator('.react-flow__node').count();
  for (let attempt = 0; ; attempt++) {
    // The palette scrolls once it has more kinds than fit (Pad, Clip, PReLU…).
    await page.locator(`[data-layer="${type}"]`).first().scrollIntoViewIfNeeded();
    await drag(page, await center(page, `[data-layer="${type}"]`), at, 10);
    try {
      await page.waitForFunction((k) => document.querySelectorAll('.react-flow__node').length === k, n + 1, { timeout: 3000 });
      break;
    } catch (e) {
      // A synthetic HTML5 drag can be lost when the machine is very busy; one retry, then fail.
      await shot(page, `failed-drop-${type}-${attempt}`);
      if (attempt === 1) throw e;
      console.log(`# palette drag of ${type} did not register; retrying once`);
    }
  }
  return (await page.locator('.react-flow__node.selected').getAttribute('data-id'))!;
}
