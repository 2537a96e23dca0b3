// Every shortcut the help table lists, pressed in the page, runs the command the table names
// (renderer/commands.ts is the one source of the key handler, the table and the desktop menu).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COMMANDS } from '../../renderer/commands.ts';
import { shot, skipReason, start, type Session } from './helpers.ts';

let s: Session;
before(async () => {
  if (!skipReason) s = await start();
});
after(async () => {
  await s?.close();
});

/** 'Ctrl+Shift+S' as playwright presses it. */
const press = (k: string) => k.split('+').map((p) => ({ Ctrl: 'Control', Esc: 'Escape' })[p] ?? p).join('+');

test('each shortcut in the help table runs its command; the table lists every command with a key', { skip: skipReason, timeout: 120000 }, async () => {
  const { page } = s;
  await page.keyboard.press('?');
  await page.waitForSelector('table.shortcuts');
  await shot(page, 'shortcuts-help');
  const rows = await page.$$eval('table.shortcuts tr[data-command]', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-command')!, keys: tr.querySelector('kbd')!.textContent! })));
  await page.keyboard.press('Escape');
  const withKeys = COMMANDS.filter((c) => c.keys.length).map((c) => c.id);
  assert.deepEqual(rows.filter((r) => withKeys.includes(r.id as never)).map((r) => r.id), withKeys);
  for (const r of rows.filter((r) => withKeys.includes(r.id as never))) {
    for (const k of r.keys.split(' / ')) {
      // Back to a plain Design view with nothing focused, no dialog open.
      while (await page.locator('.modal').count()) {
        await page.keyboard.press('Escape');
        await page.waitForTimeout(50);
      }
      await page.click('[data-view="design"]');
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.evaluate(() => ((window as unknown as { __netwrightKeys: string[] }).__netwrightKeys = []));
      await page.keyboard.press(press(k));
      const ran = await page.evaluate(() => (window as unknown as { __netwrightKeys: string[] }).__netwrightKeys);
      assert.deepEqual(ran, [r.id], `${k} (listed for ${r.id}) ran ${JSON.stringify(ran)}`);
    }
  }
  // An effect, not only the dispatch: / focuses the layer search, where letters are text again.
  while (await page.locator('.modal').count()) await page.keyboard.press('Escape');
  await page.evaluate(() => ((window as unknown as { __netwrightKeys: string[] }).__netwrightKeys = []));
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('palette-search')), true);
  await page.keyboard.type('ml');
  assert.deepEqual(await page.evaluate(() => (window as unknown as { __netwrightKeys: string[] }).__netwrightKeys), ['search'], 'letters typed in a field are not commands');
  assert.deepEqual(s.errors, []);
});
