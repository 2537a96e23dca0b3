// Every editor command once: its id (what the desktop menu sends to the page), its label (a key
// in the i18n `commands` namespace), its shortcuts and where it sits in the native menu. The
// page's key handler (components/App.tsx), the shortcut help (components/Dialogs.tsx
// HelpOverlay) and the Electron menu (electron/menu.ts) are all built from this table, so they
// cannot disagree. Pure data and pure functions: Electron's main process imports it too.
//
// Shortcuts are written 'Mod+Shift+S': Mod is Ctrl, or ⌘ on macOS. They must work in a browser
// tab too (`netwright serve`), where the browser keeps Ctrl/⌘+N (new window), Ctrl/⌘+T, Ctrl/⌘+W
// and Ctrl/⌘+L (address bar) for itself: so New is Alt+N everywhere, and the canvas commands
// (layout, fit, summary, blocks) are single keys, active on the Design view when no text field
// has the focus. The desktop menu shows those single keys without registering them (a registered
// plain key would swallow that letter in every text field).

export type CommandId =
  | 'new' | 'open' | 'import-onnx' | 'save' | 'save-as'
  | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'duplicate' | 'delete' | 'select-all' | 'clear-selection'
  | 'group' | 'ungroup' | 'toggle-blocks'
  | 'auto-layout' | 'fit-view' | 'summary' | 'search'
  | 'train-start' | 'train-stop'
  | 'shortcuts' | 'about';

export type MenuName = 'file' | 'edit' | 'view' | 'train' | 'help';

export interface Command {
  id: CommandId;
  /** Key in the `commands` namespace (renderer/i18n/locales/<lang>/commands.json). */
  label: string;
  /** Shortcuts, first one shown in the menu; 'Mod' is Ctrl (⌘ on macOS). */
  keys: string[];
  /** 'global': also while typing in a field and on every view; 'design': the Design view, not in a field. */
  scope: 'global' | 'design';
  /** Native menu and group (a separator between groups); no menu: shortcut and help only. */
  menu?: { name: MenuName; group: number };
}

export const COMMANDS: readonly Command[] = [
  { id: 'new', label: 'new', keys: ['Alt+N'], scope: 'global', menu: { name: 'file', group: 0 } },
  { id: 'open', label: 'open', keys: ['Mod+O'], scope: 'global', menu: { name: 'file', group: 0 } },
  { id: 'import-onnx', label: 'importOnnx', keys: [], scope: 'global', menu: { name: 'file', group: 0 } },
  { id: 'save', label: 'save', keys: ['Mod+S'], scope: 'global', menu: { name: 'file', group: 1 } },
  { id: 'save-as', label: 'saveAs', keys: ['Mod+Shift+S'], scope: 'global', menu: { name: 'file', group: 1 } },
  { id: 'undo', label: 'undo', keys: ['Mod+Z'], scope: 'design', menu: { name: 'edit', group: 0 } },
  { id: 'redo', label: 'redo', keys: ['Mod+Shift+Z', 'Mod+Y'], scope: 'design', menu: { name: 'edit', group: 0 } },
  // The menu keeps Electron's own Cut role (it cuts text in fields too); the page cuts layers.
  { id: 'cut', label: 'cut', keys: ['Mod+X'], scope: 'design' },
  { id: 'copy', label: 'copy', keys: ['Mod+C'], scope: 'design', menu: { name: 'edit', group: 1 } },
  { id: 'paste', label: 'paste', keys: ['Mod+V'], scope: 'design', menu: { name: 'edit', group: 1 } },
  { id: 'duplicate', label: 'duplicate', keys: ['Mod+D'], scope: 'design', menu: { name: 'edit', group: 1 } },
  { id: 'delete', label: 'delete', keys: ['Delete', 'Backspace'], scope: 'design', menu: { name: 'edit', group: 1 } },
  { id: 'select-all', label: 'selectAll', keys: ['Mod+A'], scope: 'design', menu: { name: 'edit', group: 2 } },
  { id: 'clear-selection', label: 'clearSelection', keys: ['Escape'], scope: 'design' },
  { id: 'group', label: 'group', keys: ['Mod+G'], scope: 'design', menu: { name: 'edit', group: 3 } },
  { id: 'ungroup', label: 'ungroup', keys: ['Mod+Shift+G'], scope: 'design', menu: { name: 'edit', group: 3 } },
  { id: 'toggle-blocks', label: 'toggleBlocks', keys: ['B'], scope: 'design', menu: { name: 'edit', group: 3 } },
  { id: 'auto-layout', label: 'autoLayout', keys: ['L'], scope: 'design', menu: { name: 'view', group: 0 } },
  { id: 'fit-view', label: 'fitView', keys: ['F'], scope: 'design', menu: { name: 'view', group: 0 } },
  { id: 'summary', label: 'summary', keys: ['M'], scope: 'design', menu: { name: 'view', group: 0 } },
  { id: 'search', label: 'search', keys: ['/'], scope: 'design' },
  { id: 'train-start', label: 'trainStart', keys: ['Mod+Enter'], scope: 'global', menu: { name: 'train', group: 0 } },
  { id: 'train-stop', label: 'trainStop', keys: ['Mod+.'], scope: 'global', menu: { name: 'train', group: 0 } },
  { id: 'shortcuts', label: 'shortcuts', keys: ['?'], scope: 'design', menu: { name: 'help', group: 0 } },
  { id: 'about', label: 'about', keys: [], scope: 'global', menu: { name: 'help', group: 0 } },
];

/** Mouse gestures the help table lists next to the shortcuts (label keys in `commands`). */
export const GESTURES: readonly { keys: string; label: string }[] = [
  { keys: 'Shift+drag, Mod+click', label: 'gestureSelect' },
  { keys: 'double-click, ⤢ / ⤡', label: 'gestureBlocks' },
];

export const MENUS: readonly MenuName[] = ['file', 'edit', 'view', 'train', 'help'];

export interface Chord {
  mod: boolean;
  shift: boolean;
  alt: boolean;
  /** KeyboardEvent.key, lower case for letters ('s', 'enter' → 'Enter', '?', '/'). */
  key: string;
}

export function parseChord(s: string): Chord {
  const parts = s.split('+');
  // 'Mod++' would be a plus key; none is used.
  const key = parts.pop()!;
  return { mod: parts.includes('Mod'), shift: parts.includes('Shift'), alt: parts.includes('Alt'), key: key.length === 1 ? key.toLowerCase() : key };
}

/** What a key event needs to look like for the chord. Letters compare case-free with Shift
 *  checked; a symbol ('?', '/', '.') is what the layout types, so Shift is not checked for it. */
export function matches(chord: string, e: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean; code?: string }): boolean {
  const c = parseChord(chord);
  if (c.mod !== (e.ctrlKey || e.metaKey) || c.alt !== e.altKey) return false;
  const letter = /^[a-z]$/.test(c.key);
  // With Alt, macOS types a symbol for the letter (Alt+N: '˜'): compare the physical key.
  const key = letter && c.alt && e.code ? e.code.replace(/^Key/, '').toLowerCase() : e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (key !== c.key) return false;
  return letter || c.key.length > 1 ? c.shift === e.shiftKey : true;
}

/** The command a key event triggers, if any. */
export function commandForKey(e: Parameters<typeof matches>[1]): Command | undefined {
  return COMMANDS.find((c) => c.keys.some((k) => matches(k, e)));
}

/** A chord as shown in the help table: 'Mod+Shift+S' → 'Ctrl+Shift+S' (⌘⇧S on macOS). */
export function displayChord(chord: string, mac = false): string {
  const c = parseChord(chord);
  const key = c.key === 'Escape' ? 'Esc' : c.key.length === 1 ? c.key.toUpperCase() : c.key;
  if (mac) return `${c.mod ? '⌘' : ''}${c.alt ? '⌥' : ''}${c.shift ? '⇧' : ''}${key}`;
  return [c.mod && 'Ctrl', c.alt && 'Alt', c.shift && 'Shift', key].filter(Boolean).join('+');
}

/** A chord as an Electron accelerator: 'Mod+Shift+S' → 'CmdOrCtrl+Shift+S', '?' → '?'. */
export function accelerator(chord: string): string {
  const c = parseChord(chord);
  const key = c.key === '.' ? '.' : c.key.length === 1 ? c.key.toUpperCase() : c.key === 'Enter' ? 'Return' : c.key;
  return [c.mod && 'CmdOrCtrl', c.alt && 'Alt', c.shift && 'Shift', key].filter(Boolean).join('+');
}

/** A plain key (no Ctrl/⌘/Alt): the page handles it, the menu only shows it. */
export const plainKey = (chord: string): boolean => {
  const c = parseChord(chord);
  return !c.mod && !c.alt;
};
