// File > Import ONNX…: pick an .onnx model inside the project, choose its preprocessing, and open
// the network document the engine writes beside it (with its weights file).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DirListing, ImportedOnnx } from '../../engine/protocol.ts';
import { Modal } from './Dialogs.tsx';
import { useEditor } from './context.ts';
import { engineText } from '../i18n/errors.ts';

export function ImportOnnxDialog({ onImported, onClose }: { onImported(r: ImportedOnnx): void; onClose(): void }) {
  const { client } = useEditor();
  const { t, i18n } = useTranslation();
  const [listing, setListing] = useState<DirListing | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const [preset, setPreset] = useState<'none' | 'imagenet'>('imagenet');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const go = (dir: string) => client.listDir(dir, 'onnx').then(setListing, (e: Error) => setError(engineText(t, i18n, e)));
  useEffect(() => void go(''), []);
  const join = (dir: string, f: string) => `${dir.replace(/[\\/]$/, '')}/${f}`;
  const run = async () => {
    if (!picked) return;
    setBusy(true);
    setError('');
    try {
      onImported(await client.importOnnx(picked, { preset }));
    } catch (e) {
      setError(engineText(t, i18n, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('importOnnx.title')} onClose={onClose}>
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
            className={`file-entry ${e.kind}${picked === join(listing.dir, e.name) ? ' on' : ''}`}
            onClick={() => (e.kind === 'dir' ? go(join(listing.dir, e.name)) : setPicked(join(listing.dir, e.name)))}
          >
            {e.kind === 'dir' ? '📁 ' : ''}
            {e.name}
          </button>
        ))}
        {listing && !listing.entries.length && <p className="muted">{t('importOnnx.none')}</p>}
      </div>
      <label className="field">
        <span>{t('importOnnx.preprocessing')}</span>
        <select name="preset" value={preset} onChange={(e) => setPreset(e.target.value as 'none' | 'imagenet')}>
          <option value="imagenet">{t('importOnnx.imagenet')}</option>
          <option value="none">{t('importOnnx.unit')}</option>
        </select>
      </label>
      {picked && <p className="muted">{t('importOnnx.writes', { json: picked.replace(/\.onnx$/i, '.json') })}</p>}
      {error && <div className="problem problem-error">{error}</div>}
      <div className="buttons">
        <button onClick={onClose}>{t('dialog.cancel')}</button>
        <button className="primary" onClick={() => void run()} disabled={!picked || busy}>
          {busy ? t('importOnnx.importing') : t('importOnnx.import')}
        </button>
      </div>
    </Modal>
  );
}
