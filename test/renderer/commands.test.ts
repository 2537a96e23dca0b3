// The command registry (renderer/commands.ts) is the one source of the key handler, the help
// table and the desktop menu: every command has a label in both languages, no shortcut is used
// twice, each shortcut's key event finds its own command, and the menu is built from it.
// (test/e2e/shortcuts.test.ts presses every shortcut the help table lists in the page.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { accelerator, COMMANDS, commandForKey, displayChord, GESTURES, MENUS, parseChord, plainKey } from '../../renderer/commands.ts';
import { MENU_COMMANDS, menuTemplate, type MenuItem } from '../../electron/menu.ts';

const LANGS = ['en', 'zh-CN'];
const labels = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(fs.readFileSync(`renderer/i18n/locales/${l}/commands.json`, 'utf8'))]));
const lookup = (o: Record<string, unknown>, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

/** The key event a chord stands for (Shift for '?' as on a US layout). */
function event(chord: string) {
  const c = parseChord(chord);
  const key = c.key.length === 1 ? (c.shift ? c.key.toUpperCase() : c.key) : c.key;
  return { key, code: /^[a-z]$/.test(c.key) ? `Key${c.key.toUpperCase()}` : '', ctrlKey: c.mod, metaKey: false, shiftKey: c.shift || c.key === '?', altKey: c.alt };
}

test('every command, gesture and menu has a label in English and Simplified Chinese', () => {
  const keys = [...COMMANDS.map((c) => c.label), ...GESTURES.map((g) => g.label), ...MENUS.map((m) => `menu.${m}`), 'menu.openRecent', 'menu.clearRecent'];
  for (const l of LANGS) for (const k of keys) assert.ok(typeof lookup(labels[l], k) === 'string' && (lookup(labels[l], k) as string).trim(), `${l}: no label for ${k}`);
  for (const k of keys) assert.notEqual(lookup(labels['zh-CN'], k), lookup(labels.en, k), `zh-CN label of ${k} is the English one`);
  assert.equal(new Set(COMMANDS.map((c) => c.id)).size, COMMANDS.length, 'command ids are unique');
});

test('no shortcut is used twice, and each one\'s key event finds its own command', () => {
  const seen = new Map<string, string>();
  for (const c of COMMANDS) {
    for (const k of c.keys) {
      const norm = JSON.stringify(parseChord(k));
      assert.ok(!seen.has(norm), `${k} is used by ${seen.get(norm)} and ${c.id}`);
      seen.set(norm, c.id);
      assert.equal(commandForKey(event(k))?.id, c.id, `${k} does not reach ${c.id}`);
    }
  }
  // A plain letter is not its Shift, Ctrl or Alt variant; browser-owned chords stay free.
  assert.equal(commandForKey({ key: 'L', code: 'KeyL', ctrlKey: false, metaKey: false, shiftKey: true, altKey: false }), undefined);
  assert.equal(commandForKey({ key: 'l', code: 'KeyL', ctrlKey: true, metaKey: false, shiftKey: false, altKey: false }), undefined);
  for (const k of ['Mod+N', 'Mod+T', 'Mod+W', 'Mod+L']) assert.equal(commandForKey(event(k)), undefined, `${k} belongs to the browser`);
  // macOS types a symbol for Alt+letter: the physical key still matches.
  assert.equal(commandForKey({ key: '˜', code: 'KeyN', ctrlKey: false, metaKey: false, shiftKey: false, altKey: true })?.id, 'new');
  assert.equal(displayChord('Mod+Shift+S'), 'Ctrl+Shift+S');
  assert.equal(displayChord('Mod+Shift+S', true), '⌘⇧S');
});

test('the desktop menu is built from the registry: labels, accelerators, commands', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    const sent: string[] = [];
    const menus = menuTemplate('linux', (c) => sent.push(c), lang);
    assert.deepEqual(menus.map((m) => m.label), MENUS.map((m) => labels[lang].menu[m]));
    const items = (m: MenuItem[]): MenuItem[] => m.flatMap((i) => [i, ...items(i.submenu ?? [])]);
    const clickable = items(menus).filter((i) => i.click);
    for (const i of clickable) i.click!();
    assert.deepEqual(sent, COMMANDS.filter((c) => c.menu).map((c) => c.id), 'one item per registry command with a menu, in registry order');
    assert.deepEqual(MENU_COMMANDS, sent);
    clickable.forEach((item, n) => {
      const c = COMMANDS.find((x) => x.id === sent[n])!;
      assert.equal(item.label, labels[lang][c.label]);
      assert.equal(item.accelerator, c.keys[0] ? accelerator(c.keys[0]) : undefined, `${c.id}'s accelerator`);
      // A plain key in the menu would swallow that letter in every text field: shown, not registered.
      assert.equal(item.registerAccelerator === false, !!c.keys[0] && plainKey(c.keys[0]), `${c.id}: registerAccelerator`);
    });
  }
});
