// Listing an image-folder dataset: class folders, the train/val split, and every entry that
// cannot be a sample with the reason why. Nothing is opened here except directories, so a FIFO,
// a socket or a link loop never blocks or crashes the scan. Class index = sorted folder name.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CodedError, said, skipReason } from '../graph/error-codes.ts';
import type { EngineText } from '../protocol.ts';
import { Rng } from '../graph/rng.ts';

export interface Sample { path: string; label: number }
export interface Skipped { path: string; reason: string }
export interface FolderScan {
  root: string;
  layout: 'class-folders' | 'train-val';
  /** Name of the evaluation folder in the train-val layout ('val' or 'test'). */
  evalName?: string;
  classNames: string[];
  train: Sample[];
  val: Sample[];
  skipped: Skipped[];
}

/** OS litter, compared lower-case; names with a leading '.' are hidden too. */
const LITTER = new Set(['thumbs.db', 'desktop.ini', '__macosx']);

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const isLitter = (name: string): boolean => name.startsWith('.') || LITTER.has(name.toLowerCase());

interface Listing { dirs: string[]; files: string[] }

/**
 * Entries of a folder, sorted. Symbolic links are followed; hidden/system entries, broken links,
 * link loops and special files (FIFOs, sockets, devices) go to `skipped` with their reason.
 */
async function list(dir: string, skipped: Skipped[]): Promise<Listing> {
  const out: Listing = { dirs: [], files: [] };
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    skipped.push({ path: dir, reason: skipReason('cannot-list', { error: String((e as NodeJS.ErrnoException).code ?? e) }) });
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (isLitter(e.name)) {
      skipped.push({ path: p, reason: e.isDirectory() ? skipReason('hidden-folder') : skipReason('hidden-file') });
      continue;
    }
    let kind: 'dir' | 'file' | 'other' = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
    if (e.isSymbolicLink()) {
      try {
        const s = await stat(p);
        kind = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        skipped.push({ path: p, reason: code === 'ELOOP' ? skipReason('link-loop') : code === 'ENOENT' ? skipReason('broken-link') : skipReason('cannot-follow', { error: String(code) }) });
        continue;
      }
    }
    if (kind === 'other') skipped.push({ path: p, reason: skipReason('special-file') });
    else (kind === 'dir' ? out.dirs : out.files).push(e.name);
  }
  out.dirs.sort(byString);
  out.files.sort(byString);
  return out;
}

/** Every file below `dir`, at any depth. `seen` (real paths) guards against folder link cycles. */
async function filesBelow(dir: string, seen: Set<string>, skipped: Skipped[], out: string[] = []): Promise<string[]> {
  const real = await realpath(dir).catch(() => dir);
  if (seen.has(real)) {
    skipped.push({ path: dir, reason: skipReason('link-loop') });
    return out;
  }
  seen.add(real);
  const { dirs, files } = await list(dir, skipped);
  for (const f of files) out.push(path.join(dir, f));
  for (const d of dirs) await filesBelow(path.join(dir, d), seen, skipped, out);
  return out;
}

/** Class folder name -> its files, for one folder holding class subfolders. Stray files are skipped. */
async function readClasses(dir: string, skipped: Skipped[], above: string[], listing?: Listing): Promise<Map<string, string[]>> {
  const { dirs, files } = listing ?? (await list(dir, skipped));
  for (const f of files) skipped.push({ path: path.join(dir, f), reason: skipReason('no-class-folder') });
  const classes = new Map<string, string[]>();
  // The folders above a class count as visited: a link back up to them is a loop, not more files.
  const reals = await Promise.all([dir, ...above].map((d) => realpath(d).catch(() => d)));
  for (const d of dirs) classes.set(d, await filesBelow(path.join(dir, d), new Set(reals), skipped));
  return classes;
}

function layoutError(root: string, problem: string, text: EngineText): Error {
  const example = `${path.join(root, 'cat')}${path.sep}*.png`;
  return new CodedError(`${problem}: expected ${root} to contain one subfolder per class, e.g. ${example}`, { code: text.code, params: { ...text.params, root, example } });
}

/**
 * Lists an image-folder dataset (nothing is decoded). Two layouts:
 * - root/<class>/**: split per class with a fresh `new Rng(seed)` each, so one class's split
 *   depends only on its own files and the seed; round(n * valSplit) of each class go to val.
 * - root/train/<class>/** beside root/val/<class>/** (or root/test/, when there is no val/):
 *   used as given, valSplit ignored; classes are the union of both sides.
 * A class folder with no files at all is not a class (it is listed in `skipped`), so an empty
 * folder cannot silently shift every later class index. Samples come back ordered by label, then path.
 */
export async function scanImageFolder(root: string, opts: { valSplit: number; seed: number }): Promise<FolderScan> {
  const { valSplit, seed } = opts;
  if (!(valSplit >= 0 && valSplit < 1)) throw new Error(`valSplit must be at least 0 and below 1, got ${valSplit}`);
  root = path.resolve(root);
  const info = await stat(root).catch(() => null);
  if (!info) throw layoutError(root, `Dataset folder ${root} does not exist`, said('dataset-missing'));
  if (!info.isDirectory()) throw layoutError(root, `${root} is a file, not a folder`, said('dataset-is-file'));

  const skipped: Skipped[] = [];
  const top = await list(root, skipped);
  const evalName = top.dirs.includes('val') ? 'val' : top.dirs.includes('test') ? 'test' : undefined;
  let sides: { train: Map<string, string[]>; val: Map<string, string[]> } | undefined;
  if (top.dirs.includes('train') && evalName) {
    const probe: Skipped[] = [];
    if ((await list(path.join(root, 'train'), probe)).dirs.length > 0 && (await list(path.join(root, evalName), probe)).dirs.length > 0) {
      for (const f of top.files) skipped.push({ path: path.join(root, f), reason: skipReason('no-class-folder') });
      for (const d of top.dirs.filter((d) => d !== 'train' && d !== evalName)) skipped.push({ path: path.join(root, d), reason: skipReason('beside-train-val', { eval: evalName }) });
      sides = { train: await readClasses(path.join(root, 'train'), skipped, [root]), val: await readClasses(path.join(root, evalName), skipped, [root]) };
    }
  }

  const out: FolderScan = { root, layout: sides ? 'train-val' : 'class-folders', evalName: sides ? evalName : undefined, classNames: [], train: [], val: [], skipped };
  const take = (files: string[], label: number, into: Sample[]): void => {
    for (const p of files.slice().sort(byString)) into.push({ path: p, label });
  };
  const dropEmpty = (maps: [string, Map<string, string[]>][]): string[] => {
    const names = [...new Set(maps.flatMap(([, m]) => [...m.keys()]))].sort(byString);
    return names.filter((name) => {
      if (maps.some(([, m]) => (m.get(name)?.length ?? 0) > 0)) return true;
      for (const [dir, m] of maps) if (m.has(name)) skipped.push({ path: path.join(dir, name), reason: skipReason('empty-class-folder') });
      return false;
    });
  };
  if (sides) {
    const { train, val } = sides;
    out.classNames = dropEmpty([[path.join(root, 'train'), train], [path.join(root, evalName!), val]]);
    out.classNames.forEach((name, label) => {
      take(train.get(name) ?? [], label, out.train);
      take(val.get(name) ?? [], label, out.val);
    });
  } else {
    const classes = await readClasses(root, skipped, [], top);
    out.classNames = dropEmpty([[root, classes]]);
    out.classNames.forEach((name, label) => {
      const files = new Rng(seed).shuffle((classes.get(name) ?? []).slice());
      const nVal = Math.round(files.length * valSplit);
      take(files.slice(0, nVal), label, out.val);
      take(files.slice(nVal), label, out.train);
    });
    if (classes.size === 0 && top.files.length > 0) {
      throw layoutError(root, `Found ${top.files.length} file(s) but no class folders in ${root}`, said('dataset-files-no-classes', { files: top.files.length }));
    }
    if (classes.size > 0 && out.classNames.length === 0) throw layoutError(root, `Found no files in the class folders of ${root}`, said('dataset-empty-classes'));
  }
  if (out.classNames.length === 0) throw layoutError(root, `Found no class folders in ${root}`, said('dataset-no-classes'));
  return out;
}
