// The native menus, built from the editor's command registry (renderer/commands.ts): the same
// commands, labels (the i18n `commands` namespace) and shortcuts as the page's key handler and
// its shortcut help. Items that act on the document send their command id to the page (the
// editor owns undo, selection and the document); roles cover what Electron does natively.
import { accelerator, COMMANDS, MENUS, plainKey, type CommandId, type MenuName } from '../renderer/commands.ts';
import { createI18n, type Language } from '../renderer/i18n/index.ts';

export interface MenuItem {
  label?: string;
  role?: string;
  accelerator?: string;
  /** false: the menu shows the accelerator but the page handles the key (plain keys). */
  registerAccelerator?: boolean;
  type?: 'separator' | 'submenu';
  submenu?: MenuItem[];
  click?: () => void;
}

/** The commands the menus send (every registry command with a menu placement). */
export const MENU_COMMANDS = COMMANDS.filter((c) => c.menu).map((c) => c.id);
export type MenuCommand = CommandId;

export function menuTemplate(platform: string, send: (command: MenuCommand) => void, lang: Language = 'en'): MenuItem[] {
  const t = createI18n(lang, false).getFixedT(lang, 'commands');
  const sep: MenuItem = { type: 'separator' };
  const mac = platform === 'darwin';
  const items = (name: MenuName): MenuItem[] => {
    const out: MenuItem[] = [];
    let group: number | null = null;
    for (const c of COMMANDS) {
      if (c.menu?.name !== name) continue;
      if (group !== null && c.menu.group !== group) out.push(sep);
      group = c.menu.group;
      const key = c.keys[0];
      // Electron's own Cut (it cuts text in fields too) before the registry's Copy.
      if (c.id === 'copy') out.push({ role: 'cut' });
      out.push({
        label: t(c.label),
        click: () => send(c.id),
        ...(key ? { accelerator: accelerator(key), ...(plainKey(key) ? { registerAccelerator: false } : {}) } : {}),
      });
      // Natively handled items next to the registry's.
      if (c.id === 'open') out.push({ label: t('menu.openRecent'), role: 'recentDocuments', submenu: [{ label: t('menu.clearRecent'), role: 'clearRecentDocuments' }] });
    }
    if (name === 'file' && !mac) out.push(sep, { role: 'quit' });
    if (name === 'view') out.push(sep, { role: 'zoomIn' }, { role: 'zoomOut' }, sep, { role: 'togglefullscreen' });
    return out;
  };
  return [
    ...(mac ? [{ label: 'Netwright', submenu: [{ role: 'about' }, sep, { role: 'hide' }, { role: 'hideOthers' }, sep, { role: 'quit' }] }] : []),
    ...MENUS.map((name) => ({ label: t(`menu.${name}`), submenu: items(name) })),
  ];
}
