// Inside the desktop app: native menu commands, project files opened from outside (command
// line, second launch, dropped on the window) and the dirty state the close prompt needs.
// In a browser there is no window.netwright.window and this does nothing.
import { useEffect, useRef } from 'react';

interface DesktopWindow {
  setDirty(dirty: boolean, title: string): Promise<unknown>;
  onMenuCommand(cb: (m: { command: string; path?: string }) => void): void;
  onEngineLost(cb: () => void): void;
  pathForFile(file: File): string;
}

export function desktopWindow(): DesktopWindow | null {
  return (window as unknown as { netwright?: { window?: DesktopWindow } }).netwright?.window ?? null;
}

export interface MenuActions {
  /** Menu commands (electron/menu.ts MENU_COMMANDS) by name. */
  commands: Record<string, () => void>;
  openPath(path: string): void;
  engineLost(): void;
}

export function useDesktopShell(actions: MenuActions, dirty: boolean, title: string): void {
  // The menu listener is registered once; it always calls the latest actions.
  const latest = useRef(actions);
  latest.current = actions;

  useEffect(() => {
    const desk = desktopWindow();
    if (!desk) return;
    desk.onMenuCommand(({ command, path }) => {
      if (command === 'open-path') {
        if (path) latest.current.openPath(path);
      } else latest.current.commands[command]?.();
    });
    desk.onEngineLost(() => latest.current.engineLost());
    const over = (e: DragEvent) => e.preventDefault();
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files?.[0];
      if (!file || !/\.(json|netwright)$/i.test(file.name)) return;
      e.preventDefault();
      const p = desk.pathForFile(file);
      if (p) latest.current.openPath(p);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  useEffect(() => {
    void desktopWindow()?.setDirty(dirty, title);
  }, [dirty, title]);
}
