// Writes a file so that a crash or power cut leaves the old contents or the new, never half:
// a temp file beside it (named per process and thread), fsynced, renamed over it, then the
// folder fsynced so the rename itself is on disk. The temp file is removed on failure.
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(path.dirname(file));
}

/** Makes the renames in `dir` durable (where the platform lets a folder be fsynced). */
export function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Windows cannot open a folder; its renames are durable without it.
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  } finally {
    fs.closeSync(fd);
  }
}
