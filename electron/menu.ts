// The native menus as data. Items that act on the document send a command to the page (the
// editor owns undo, selection and the document); roles cover what Electron does natively.
export interface MenuItem {
  label?: string;
  role?: string;
  accelerator?: string;
  type?: 'separator' | 'submenu';
  submenu?: MenuItem[];
  click?: () => void;
}

export const MENU_COMMANDS = [
  'new', 'open', 'import-onnx', 'save', 'save-as', 'undo', 'redo', 'copy', 'paste', 'delete', 'select-all',
  'auto-layout', 'fit-view', 'train-start', 'train-stop', 'shortcuts', 'about',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

export function menuTemplate(platform: string, send: (command: MenuCommand) => void): MenuItem[] {
  const item = (label: string, command: MenuCommand, accelerator?: string): MenuItem => ({ label, accelerator, click: () => send(command) });
  const sep: MenuItem = { type: 'separator' };
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ label: 'Netwright', submenu: [{ role: 'about' }, sep, { role: 'hide' }, { role: 'hideOthers' }, sep, { role: 'quit' }] }] : []),
    {
      label: 'File',
      submenu: [
        item('New', 'new', 'CmdOrCtrl+N'),
        item('Open…', 'open', 'CmdOrCtrl+O'),
        { label: 'Open Recent', role: 'recentDocuments', submenu: [{ label: 'Clear Recent', role: 'clearRecentDocuments' }] },
        item('Import ONNX…', 'import-onnx'),
        sep,
        item('Save', 'save', 'CmdOrCtrl+S'),
        item('Save As…', 'save-as', 'CmdOrCtrl+Shift+S'),
        ...(mac ? [] : [sep, { role: 'quit' }]),
      ],
    },
    {
      label: 'Edit',
      submenu: [
        item('Undo', 'undo', 'CmdOrCtrl+Z'),
        item('Redo', 'redo', mac ? 'Cmd+Shift+Z' : 'Ctrl+Y'),
        sep,
        { role: 'cut' },
        item('Copy', 'copy', 'CmdOrCtrl+C'),
        item('Paste', 'paste', 'CmdOrCtrl+V'),
        item('Delete', 'delete', 'Delete'),
        item('Select All', 'select-all', 'CmdOrCtrl+A'),
      ],
    },
    {
      label: 'View',
      submenu: [item('Auto Layout', 'auto-layout', 'CmdOrCtrl+L'), item('Fit View', 'fit-view', 'CmdOrCtrl+0'), sep, { role: 'zoomIn' }, { role: 'zoomOut' }, sep, { role: 'togglefullscreen' }],
    },
    { label: 'Train', submenu: [item('Start Training', 'train-start', 'CmdOrCtrl+Enter'), item('Stop Training', 'train-stop', 'CmdOrCtrl+.')] },
    { label: 'Help', submenu: [item('Keyboard Shortcuts', 'shortcuts', 'CmdOrCtrl+/'), item('About Netwright', 'about')] },
  ];
}
