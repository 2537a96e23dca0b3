import { createContext, useContext } from 'react';
import type { EngineClient } from '../../engine/protocol.ts';
import type { EditorStore } from '../store/editor-store.ts';

export interface EditorContext {
  store: EditorStore;
  client: EngineClient;
  /** A short message in the status bar (refused connections, saves, errors). */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Clears an error message still in the status bar (after a good action). */
  clearError?(): void;
  /** While a wire is dragged: why it cannot go to the port under the pointer, or null. */
  setWireHint?(why: string | null): void;
}

export const Ctx = createContext<EditorContext | null>(null);

export function useEditor(): EditorContext {
  const c = useContext(Ctx);
  if (!c) throw new Error('useEditor outside the editor');
  return c;
}
