// The open document's crash backup: written a moment after each edit (and on quit), offered
// back at the next start, cleared once the document is saved. Written to a temp file, fsynced
// and renamed, with a SHA-256 of the text, so a torn or damaged backup is recognised and skipped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { CodedError, nested, said } from '../graph/error-codes.ts';
import type { EngineText } from '../protocol.ts';

export interface Backup {
  text: string;
  path: string | null;
  savedAt: string;
}

export class DocumentBackup {
  readonly file: string;

  constructor(configDir: string) {
    this.file = path.join(configDir, 'backup.json');
  }

  write(text: string, docPath: string | null): { savedAt: string } {
    const savedAt = new Date().toISOString();
    const body = JSON.stringify({ version: 1, sha256: sha(text), savedAt, path: docPath, text });
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, body);
    return { savedAt };
  }

  /** The backup, or null when there is none; a damaged one is reported, never fatal. */
  read(): { backup: Backup | null; problem: string | null; problemText?: EngineText } {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file, 'utf8');
    } catch {
      return { backup: null, problem: null };
    }
    try {
      const b = JSON.parse(raw) as { version?: unknown; sha256?: unknown; savedAt?: unknown; path?: unknown; text?: unknown };
      if (b.version !== 1 || typeof b.text !== 'string' || typeof b.savedAt !== 'string') throw new CodedError('unexpected contents', said('backup-contents'));
      if (b.sha256 !== sha(b.text)) throw new CodedError('checksum mismatch', said('backup-checksum'));
      return { backup: { text: b.text, path: typeof b.path === 'string' ? b.path : null, savedAt: b.savedAt }, problem: null };
    } catch (e) {
      return { backup: null, problem: `the crash backup ${this.file} is damaged (${(e as Error).message}) and was skipped`, problemText: said('backup-damaged', { file: this.file, reason: nested(e) }) };
    }
  }

  clear(): void {
    fs.rmSync(this.file, { force: true });
  }
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
