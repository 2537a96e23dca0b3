// Crash backup of the open document: written through the engine a moment after each edit and
// right away when the page goes away; offered back at the next start; cleared once saved.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { problemText } from '../i18n/problems.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import type { EngineClient } from '../../engine/protocol.ts';
import type { EditorState, EditorStore } from '../store/editor-store.ts';
import type { Question } from './Dialogs.tsx';

export const BACKUP_DELAY_MS = 1000;

export function useCrashBackup(
  client: EngineClient,
  store: EditorStore,
  state: EditorState,
  ask: (title: string, text: string, buttons: Question['buttons']) => Promise<string>,
  notify: (message: string, kind?: 'info' | 'error') => void,
): void {
  const { t, i18n } = useTranslation();
  const wrote = useRef(false);

  // At start: a backup left by a crash (or a closed tab) is offered back; a damaged one is reported.
  useEffect(() => {
    void client.recoverBackup().then(async ({ backup, problem }) => {
      if (problem) notify(problem, 'error');
      if (!backup) return;
      const when = new Date(backup.savedAt).toLocaleString(i18n.language);
      const v = takeRestoreMark() ? 'restore' : await ask(t('question.restoreTitle'), backup.path ? t('question.restoreTextPath', { path: backup.path, when }) : t('question.restoreText', { when }), [
        { label: t('question.discard'), value: 'discard' },
        { label: t('question.restore'), value: 'restore', primary: true },
      ]);
      if (v !== 'restore') return void client.clearBackup().catch(() => undefined);
      const r = parseDocument(backup.text);
      if (!r.ok) return notify(t('status.restoreFailed', { error: r.problems.map((p) => problemText(t, i18n, p)).join('; ') }), 'error');
      store.load(r.doc, backup.path, { dirty: true });
      notify(t('status.restored'));
    }, () => undefined);
  }, [client, store, ask, notify]);

  // After each edit (debounced): write the backup; once saved (clean again): clear it.
  useEffect(() => {
    if (!state.dirty) {
      if (wrote.current) {
        wrote.current = false;
        void client.clearBackup().catch(() => undefined);
      }
      return;
    }
    const t = setTimeout(() => {
      wrote.current = true;
      void client.backupDocument(store.serialize(), state.path).catch(() => undefined);
    }, BACKUP_DELAY_MS);
    return () => clearTimeout(t);
  }, [client, store, state.doc, state.dirty, state.path]);

  // Leaving inside the debounce window: write it now.
  useEffect(() => {
    const h = () => {
      if (store.getState().dirty) void client.backupDocument(store.serialize(), store.getState().path).catch(() => undefined);
    };
    window.addEventListener('pagehide', h);
    return () => window.removeEventListener('pagehide', h);
  }, [client, store]);
}

/** Marks set by the error view's reload: restore the backup without asking, or reopen the saved file. */
const RESTORE_KEY = 'netwright.reload.restore';
const REOPEN_KEY = 'netwright.reload.reopen';

/**
 * Reloads the page keeping the work: unsaved changes go to the crash backup first (restored on
 * load without asking), a saved document is reopened from its file.
 */
export async function reloadKeepingWork(client: EngineClient, store: EditorStore): Promise<void> {
  const s = store.getState();
  try {
    if (s.dirty) {
      await client.backupDocument(store.serialize(), s.path);
      sessionStorage.setItem(RESTORE_KEY, '1');
    } else if (s.path) sessionStorage.setItem(REOPEN_KEY, s.path);
  } catch {
    // the engine is away: reload anyway; the last debounced backup is still offered
  }
  location.reload();
}

/** The path to reopen after a reload from the error view (read once). */
export function takeReopenPath(): string | null {
  const p = sessionStorage.getItem(REOPEN_KEY);
  sessionStorage.removeItem(REOPEN_KEY);
  return p;
}

function takeRestoreMark(): boolean {
  const v = sessionStorage.getItem(RESTORE_KEY) === '1';
  sessionStorage.removeItem(RESTORE_KEY);
  return v;
}
