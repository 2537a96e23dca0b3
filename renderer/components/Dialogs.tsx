// Modal dialogs: the file chooser (open / save as, through the engine), questions, shortcuts.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { COMMANDS, displayChord, GESTURES } from '../commands.ts';
import type { DirListing } from '../../engine/protocol.ts';
import { useEditor } from './context.ts';
import { engineText } from '../i18n/errors.ts';

export function Modal({ title, children, onClose }: { title: string; children: React.ReactNode; onClose(): void }) {
  useEffect(() => {
    const k = (e: KeyboardEvent) => e.key === 'Escape' && (e.stopPropagation(), onClose());
    window.addEventListener('keydown', k, true);
    return () => window.removeEventListener('keydown', k, true);
  }, [onClose]);
  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-label={title}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** Picks a .json file inside the engine's project folder: to open, or to save to. */
export function FileDialog({ mode, initialName, onPick, onClose }: { mode: 'open' | 'save'; initialName: string; onPick(path: string): void; onClose(): void }) {
  const { client } = useEditor();
  const { t, i18n } = useTranslation();
  const [listing, setListing] = useState<DirListing | null>(null);
  const [recent, setRecent] = useState<string[]>([]);
  const [name, setName] = useState(initialName);
  const [error, setError] = useState('');
  const go = (dir: string) => client.listDir(dir).then(setListing, (e: Error) => setError(engineText(t, i18n, e)));
  useEffect(() => {
    void go('');
    if (mode === 'open') client.recentFiles().then(setRecent, () => {});
  }, []);
  const join = (dir: string, f: string) => `${dir.replace(/[\\/]$/, '')}/${f}`;
  const submit = () => {
    if (!listing || !name.trim()) return;
    const file = /\.json$/i.test(name.trim()) ? name.trim() : `${name.trim()}.json`;
    onPick(file.startsWith('/') ? file : join(listing.dir, file));
  };
  return (
    <Modal title={mode === 'open' ? t('dialog.openTitle') : t('dialog.saveTitle')} onClose={onClose}>
      {mode === 'open' && recent.length > 0 && (
        <div className="recent">
          <h3>{t('dialog.recent')}</h3>
          {recent.map((r) => (
            <button key={r} className="file-entry recent-entry" onClick={() => onPick(r)} title={r}>
              {r.split('/').pop()} <span className="muted">{r}</span>
            </button>
          ))}
        </div>
      )}
      <div className="dir-path">{listing?.dir ?? '…'}</div>
      <div className="dir-list">
        {listing?.parent && (
          <button className="file-entry dir" onClick={() => go(listing.parent!)}>
            ↑ ..
          </button>
        )}
        {listing?.entries.map((e) => (
          <button
            key={e.name}
            className={`file-entry ${e.kind}`}
            onClick={() => (e.kind === 'dir' ? go(join(listing.dir, e.name)) : mode === 'open' ? onPick(join(listing.dir, e.name)) : setName(e.name))}
          >
            {e.kind === 'dir' ? <><FolderIcon />{' '}</> : ''}
            {e.name}
          </button>
        ))}
        {listing && !listing.entries.length && <p className="muted">{t('dialog.noDocuments')}</p>}
      </div>
      {mode === 'save' && (
        <label className="field">
          <span>{t('dialog.fileName')}</span>
          <input autoFocus name="filename" value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && submit()} />
        </label>
      )}
      {error && <div className="problem problem-error">{error}</div>}
      <div className="buttons">
        <button onClick={onClose}>{t('dialog.cancel')}</button>
        {mode === 'save' && (
          <button className="primary" onClick={submit} disabled={!name.trim()}>
            {t('dialog.save')}
          </button>
        )}
      </div>
    </Modal>
  );
}

export interface Question {
  title: string;
  text: string;
  buttons: { label: string; value: string; primary?: boolean }[];
  resolve(value: string): void;
}

export function QuestionDialog({ q }: { q: Question }) {
  return (
    <Modal title={q.title} onClose={() => q.resolve('cancel')}>
      <p>{q.text}</p>
      <div className="buttons">
        {q.buttons.map((b) => (
          <button key={b.value} className={b.primary ? 'primary' : ''} autoFocus={b.primary} onClick={() => q.resolve(b.value)}>
            {b.label}
          </button>
        ))}
      </div>
    </Modal>
  );
}

/** The help table's rows, from the command registry: every shortcut of every command, then the mouse gestures. */
export function shortcutRows(mac = isMac()): { id: string; keys: string; label: string }[] {
  return [
    ...COMMANDS.filter((c) => c.keys.length).map((c) => ({ id: c.id, keys: c.keys.map((k) => displayChord(k, mac)).join(' / '), label: c.label })),
    ...GESTURES.map((g) => ({ id: g.label, keys: g.keys.replace('Mod', mac ? '⌘' : 'Ctrl'), label: g.label })),
  ];
}
const isMac = () => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function HelpOverlay({ onClose }: { onClose(): void }) {
  const { t: tc } = useTranslation('commands');
  const { t } = useTranslation();
  return (
    <Modal title={t('help.title')} onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {shortcutRows().map((r) => (
            <tr key={r.id} data-command={r.id}>
              <td>
                <kbd>{r.keys}</kbd>
              </td>
              <td>{tc(r.label)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">{t('help.wiring')}</p>
      <div className="buttons">
        <button className="primary" onClick={onClose}>
          {t('dialog.close')}
        </button>
      </div>
    </Modal>
  );
}

/** A folder icon drawn inline, so it shows without any emoji or symbol font on the system. */
export function FolderIcon() {
  return (
    <svg className="folder-icon" width="14" height="12" viewBox="0 0 14 12" aria-hidden="true" focusable="false">
      <path d="M1 2.2C1 1.5 1.5 1 2.2 1h3l1.4 1.5h5.2c.7 0 1.2.5 1.2 1.2v6.1c0 .7-.5 1.2-1.2 1.2H2.2C1.5 11 1 10.5 1 9.8z" fill="#e3b341" stroke="#b8871b" strokeWidth="0.8" />
    </svg>
  );
}
