// Electron's security checklist, checked on the rules main.ts applies (no Electron binary needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MENU_COMMANDS, menuTemplate, type MenuItem } from '../../electron/menu.ts';
import { allowPermission, APP_ORIGIN, appUrlToFile, checkIpc, CONTENT_SECURITY_POLICY, isAppUrl, isExternalLink, webPreferences } from '../../electron/security.ts';

test('BrowserWindow webPreferences (snapshot)', () => {
  assert.deepEqual(webPreferences('/app/dist/electron/preload.cjs'), {
    preload: '/app/dist/electron/preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  });
});

test('the Content-Security-Policy allows only the app itself', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'self'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval|\*/);
});

test('navigation stays inside the app; only web links go to the system browser', () => {
  assert.equal(isAppUrl(`${APP_ORIGIN}/index.html`), true);
  for (const u of ['https://example.com/', 'file:///etc/passwd', 'netwright://evil/index.html', 'javascript:alert(1)', 'not a url']) assert.equal(isAppUrl(u), false, u);
  assert.equal(isExternalLink('https://onnx.ai/'), true);
  for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', `${APP_ORIGIN}/x`]) assert.equal(isExternalLink(u), false, u);
});

test('app URLs map to files inside the renderer folder and nowhere else', () => {
  assert.equal(appUrlToFile(`${APP_ORIGIN}/`, '/r'), '/r/index.html');
  assert.equal(appUrlToFile(`${APP_ORIGIN}/assets/index.js?x=1`, '/r'), '/r/assets/index.js');
  for (const u of [`${APP_ORIGIN}/../secret`, `${APP_ORIGIN}/%2e%2e/secret`, `${APP_ORIGIN}/a/..%2f..%2fsecret`, `${APP_ORIGIN}/a%5c..%5csecret`, 'https://example.com/index.html', `${APP_ORIGIN}/%E0%A4%A`]) {
    const f = appUrlToFile(u, '/r');
    assert.ok(f === null || (f.startsWith('/r/') && !f.includes('..')), `${u} -> ${f}`);
  }
});

const main = { url: `${APP_ORIGIN}/index.html`, isMainFrame: true };

test('IPC: well-formed messages from the app main frame pass, with their values', () => {
  const r = checkIpc('window:set-dirty', main, { dirty: true, title: 'LeNet-5' });
  assert.deepEqual(r, { ok: true, value: { dirty: true, title: 'LeNet-5' } });
  assert.equal(checkIpc('shell:open-external', main, { url: 'https://onnx.ai/' }).ok, true);
});

test('IPC: malformed payloads are rejected with the reason', () => {
  const bad: [Parameters<typeof checkIpc>[0], unknown][] = [
    ['window:set-dirty', { dirty: 'yes', title: 'x' }],
    ['window:set-dirty', null],
    ['window:set-dirty', { dirty: true, title: 'x'.repeat(10000) }],
    ['dialog:open-project', { path: '/etc/passwd' }],
    ['dialog:save-project', {}],
    ['shell:open-external', { url: 'file:///etc/passwd' }],
    ['shell:open-external', { url: 'javascript:alert(1)' }],
  ];
  for (const [channel, payload] of bad) {
    const r = checkIpc(channel, main, payload);
    assert.equal(r.ok, false, `${channel} ${JSON.stringify(payload).slice(0, 60)}`);
    assert.ok(!r.ok && r.reason.length > 0);
  }
  assert.equal(checkIpc('engine:eval' as never, main, {}).ok, false);
});

test('IPC: messages from another origin or a sub-frame are rejected', () => {
  for (const sender of [{ url: 'https://evil.example/', isMainFrame: true }, { url: `${APP_ORIGIN}/index.html`, isMainFrame: false }, { url: 'file:///tmp/x.html', isMainFrame: true }, null]) {
    const r = checkIpc('window:set-dirty', sender, { dirty: false, title: 'x' });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /not the app's main frame/);
  }
});

test('every permission request is denied', () => {
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) assert.equal(allowPermission(p), false);
});

test('menus: File, Edit, View, Train, Help with the usual accelerators, each item sending its command', () => {
  const sent: string[] = [];
  const menus = menuTemplate('linux', (c) => sent.push(c));
  assert.deepEqual(menus.map((m) => m.label), ['File', 'Edit', 'View', 'Train', 'Help']);
  const items = (m: MenuItem[]): MenuItem[] => m.flatMap((i) => [i, ...items(i.submenu ?? [])]);
  const all = items(menus);
  const acc = (label: string) => all.find((i) => i.label === label)?.accelerator;
  assert.equal(acc('Open…'), 'CmdOrCtrl+O');
  assert.equal(acc('Save'), 'CmdOrCtrl+S');
  assert.equal(acc('Save As…'), 'CmdOrCtrl+Shift+S');
  assert.equal(acc('Undo'), 'CmdOrCtrl+Z');
  for (const i of all) i.click?.();
  for (const c of MENU_COMMANDS) assert.ok(sent.includes(c), `no menu item sends ${c}`);
  assert.equal(menuTemplate('darwin', () => {})[0].label, 'Netwright');
});
