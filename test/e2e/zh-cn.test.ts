// One full pass in Simplified Chinese (`netwright serve --lang zh-CN`): design, dataset report,
// a short training run, evaluate, try it, export. The main controls show Chinese and no English
// leftovers; screenshots go to docs/ (the README shows them). Then the in-app language switch:
// the text changes at once, without a reload (a window property set before survives), and the
// choice is saved.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { sampleData } from '../fixtures/sample.ts';
import { center, drag, skipReason, start, type Session } from './helpers.ts';

let s: Session;
let data: string;
before(async () => {
  if (skipReason) return;
  data = sampleData(30);
  s = await start({
    serveArgs: (root) => {
      fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'sample-shapes.json'));
      return ['--doc', path.join(root, 'sample-shapes.json'), '--data', data, '--threads', '1', '--lang', 'zh-CN'];
    },
  });
});
after(async () => {
  await s?.close();
  if (data) fs.rmSync(data, { recursive: true, force: true });
});

const HAN = /[\u4e00-\u9fff]/;
/** Words that stay as they are in Chinese: names, formats and symbols. */
const KEEP = /(Netwright|RGB|softmax|ONNX Runtime|ONNX|PyTorch|IDX|SGD|AdamW?|Nesterov|FLOPs|CPU|CUDA|NVIDIA|GPU|DirectML|Windows|CoreML|Apple|KiB|MB|KB|Conv2D|MaxPool2D|AvgPool2D|LeakyReLU|PReLU|ReLU6?|GELU|ELU|Sigmoid|Tanh|Softmax|Dropout|Dense|Flatten|Concat|Add|Clip|BatchNorm|LeNet|VGG|ResNet|F1|model\.py|train\.py|weights\.pt|kernelW|kernel|padding|pad|same|valid|explicit)|\b(N|x|p|lr|s)\b/g;

/** The texts of every element matching `selector` that still holds an English word. */
async function english(page: Page, selector: string): Promise<string[]> {
  const texts = await page.locator(selector).allTextContents();
  return texts.filter((t) => /[A-Za-z]{2,}/.test(t.replace(KEEP, '')));
}

/** The texts of elements matching `selector` that wrap onto a second line or overflow their box. */
async function overflowing(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els) =>
    els.filter((e) => {
      const h = e as HTMLElement;
      const line = parseFloat(getComputedStyle(h).lineHeight) || parseFloat(getComputedStyle(h).fontSize) * 1.3;
      return h.textContent!.trim() !== '' && (h.scrollWidth > h.clientWidth + 1 || h.clientHeight > line * 1.6 + parseFloat(getComputedStyle(h).paddingTop) + parseFloat(getComputedStyle(h).paddingBottom));
    }).map((e) => e.textContent!.trim()));
}

async function assertChinese(page: Page, selectors: string[]): Promise<void> {
  for (const sel of selectors) {
    const texts = await page.locator(sel).allTextContents();
    assert.ok(texts.length > 0, `${sel} is on the page`);
    assert.ok(texts.some((t) => HAN.test(t)), `${sel} shows Chinese: ${JSON.stringify(texts)}`);
    assert.deepEqual(await english(page, sel), [], `${sel} has no English left`);
  }
}

test('a full pass in zh-CN: design, dataset, train, evaluate, try it, export', { skip: skipReason, timeout: 240_000 }, async () => {
  const { page } = s;
  await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 12);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await page.textContent('[data-view="design"]'), '设计');
  assert.equal(await page.textContent('[data-testid="problem-count"]'), '可以训练');
  await assertChinese(page, ['.views button', '.toolbar > button:not([title*="?"])', '.palette h3', '.inspector h2', '.statusbar span', '.summary th']);
  // The canvas nodes' summary lines, built from the layers' parts (engine/graph/summary.ts).
  const summary = (id: string) => page.textContent(`[data-testid="node-${id}"] .layer-summary`);
  assert.equal(await summary('conv1'), '16 核 · 3x3 · 步长 1 · 同尺寸');
  assert.equal(await summary('pool1'), '2x2 · 步长 2 · 无填充');
  assert.equal(await summary('fc'), '4 单元');
  assert.equal(await summary('gap'), '对 H、W 求平均');
  assert.equal(await summary('output'), 'softmax 交叉熵');
  assert.deepEqual(await english(page, '.layer-summary'), []);
  assert.deepEqual(await overflowing(page, '.layer-summary, .toolbar button, .inspector button'), [], 'one line each');
  // A refused wire (input 1 of conv1 is taken): the engine's problem through engine.<code>.
  await drag(page, await center(page, '[data-id="relu1"] .react-flow__handle.source'), await center(page, '[data-id="conv1"] .react-flow__handle.target'));
  assert.equal(await page.locator('.react-flow__edge').count(), 11);
  assert.equal(await page.textContent('.st-msg'), '未连接：Conv2D "conv1" 的输入 1 被连接了两次（来自 input 和 relu1）');
  await page.click('[data-testid="node-conv1"]');
  await page.waitForSelector('.inspector[data-node="conv1"]');
  assert.match(await page.textContent('.inspector h2') ?? '', /二维卷积/);
  assert.deepEqual(await page.locator('#param-padding option').allTextContents(), ['valid（不填充）', 'same（保持尺寸）', 'explicit（指定像素）']);
  assert.equal(await page.inputValue('#param-padding'), 'same');
  assert.deepEqual(await overflowing(page, '.inspector button, .inspector label'), [], 'one line each');
  await assertChinese(page, ['.inspector label[for^="param-"]', '.inspector .field-help', '.inspector h3']);
  await page.screenshot({ path: 'docs/zh-CN-editor.png' });
  // The templates menu: labels and help from template.<id>.* (renderer/store/templates.ts holds none).
  await assertChinese(page, ['.toolbar select:not(.language) option']);
  assert.ok((await page.locator('.toolbar select:not(.language) option[title]').evaluateAll((os) => os.map((o) => o.getAttribute('title')!))).every((t) => HAN.test(t)), 'template help in Chinese');

  await page.click('[data-view="train"]');
  await page.waitForSelector('[data-testid="dataset-report"]');
  assert.match(await page.textContent('[data-testid="dataset-report"] p') ?? '', /4 个类别 · 训练 \d+ · 验证 \d+/);
  // The devices by name, and why a GPU cannot train (engine/train/devices.ts's reasonText).
  await page.waitForSelector('[data-testid="device"] option[value="cuda"]', { state: 'attached' });
  await assertChinese(page, ['[data-testid="device"] option:not([value="cpu"])']);
  assert.match(await page.getAttribute('[data-testid="device"] option[value="cuda"]', 'title') ?? '', HAN);
  await page.click('[data-testid="device-reasons"] summary');
  // (ONNX Runtime's own words, quoted after "ONNX Runtime 的说明", stay as it said them.)
  const reasons = await page.locator('[data-testid="device-reasons"] li').allTextContents();
  assert.ok(reasons.length > 0 && reasons.every((r) => HAN.test(r) && !/needs an NVIDIA|is available on|GPU\)/.test(r)), JSON.stringify(reasons));
  await page.click('[data-testid="device-reasons"] summary');
  await page.fill('input[aria-label="轮数"]', '1');
  await page.click('[data-testid="train-start"]');
  await page.waitForSelector('[data-testid="run-done"]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-testid="run-done"]') ?? '', /^已完成，在第 \d+ 步/);
  await assertChinese(page, ['.train-view h2', '.settings-card .grid2 > label', '.controls button', '.progress-text span', '.runs th']);
  await page.screenshot({ path: 'docs/zh-CN-training.png', fullPage: true });

  await page.click('[data-view="evaluate"]');
  await page.waitForSelector('[data-testid="eval-accuracy"]', { timeout: 60_000 });
  await assertChinese(page, ['.eval-view h2 button', '.eval-view h3', '.perclass th']);
  assert.match(await page.textContent('.eval-view section p') ?? '', /张验证图像上：准确率/);

  await page.click('[data-view="try"]');
  await page.click('[data-testid="try-sample"] >> nth=0');
  await page.waitForSelector('[data-testid="try-result"]', { timeout: 60_000 });
  await assertChinese(page, ['.try-view .card > p', '[data-testid="predict-folder"] button']);
  await page.screenshot({ path: 'docs/zh-CN-try.png', fullPage: true });

  await page.click('[data-view="export"]');
  await page.click('[data-testid="export-button"]');
  await page.waitForSelector('[data-testid="export-result"]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid="export-result"]', 'data-ok'), 'true');
  assert.match(await page.textContent('[data-testid="export-result"] h3') ?? '', /^已验证/);
  await assertChinese(page, ['.export-view .card > p', '.export-view section > button']);
  assert.deepEqual(s.errors, []);
});

test('switching the language changes the text at once, without reloading the page or the engine', { skip: skipReason }, async () => {
  const { page } = s;
  await page.click('[data-view="design"]');
  await page.evaluate(() => ((window as unknown as { __beforeSwitch: number }).__beforeSwitch = 42));
  await page.selectOption('[data-testid="language"]', 'en');
  await page.waitForFunction(() => document.querySelector('[data-view="design"]')?.textContent === 'Design');
  assert.equal(await page.textContent('[data-testid="problem-count"]'), 'ready to train');
  assert.equal(await page.evaluate(() => (window as unknown as { __beforeSwitch?: number }).__beforeSwitch), 42, 'no reload');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await page.evaluate(() => localStorage.getItem('netwright.lang')), 'en');
  // The chosen language now outranks the launch's --lang: the URL says so for a reload.
  assert.match(page.url(), /[?&]lang=en\b/);
  assert.deepEqual(await english(page, '.views button'), ['Design', 'Train', 'Evaluate', 'Try it', 'Export']);
  await page.selectOption('[data-testid="language"]', 'zh-CN');
  await page.waitForFunction(() => document.querySelector('[data-view="design"]')?.textContent === '设计');
  assert.equal(await page.evaluate(() => (window as unknown as { __beforeSwitch?: number }).__beforeSwitch), 42);
  assert.deepEqual(s.errors, []);
});
