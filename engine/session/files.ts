// File access for the editor: only network documents (.json, or .netwright: the desktop app's
// registered file type, same JSON) inside the root folder, and a
// plain save only to a path the user opened or chose in this session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { EngineError, type DirListing, type OpenedFile, type SavedFile } from '../protocol.ts';
import { said } from '../graph/error-codes.ts';
import { inside } from './project.ts';

const isDocumentName = (p: string): boolean => ['.json', '.netwright'].includes(path.extname(p).toLowerCase());
const isOnnxName = (p: string): boolean => path.extname(p).toLowerCase() === '.onnx';

const MAX_BYTES = 20 * 1024 * 1024;

export class FileAccess {
  readonly root: string;
  private chosen = new Set<string>();

  constructor(root: string, readonly recentFile = path.join(process.env.NETWRIGHT_CONFIG_DIR ?? path.join(os.homedir(), '.config', 'netwright'), 'recent.json')) {
    this.root = fs.realpathSync(root);
  }

  /** Documents outside the root that the desktop shell opened for the user (command line, native dialog). */
  private readonly granted = new Set<string>();

  /**
   * Lets this one document be opened and saved although it is outside the root. Only the
   * Electron main process calls this (over its own channel to the engine), for a path the user
   * gave the operating system: a file double-clicked, passed on the command line, or picked in
   * a native dialog. The page cannot grant itself anything.
   */
  grant(file: string): void {
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      real = path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
    }
    if (isDocumentName(real)) this.granted.add(real);
  }

  /** Resolves a user path against the root; refuses anything that ends up outside it. */
  private resolve(p: string, kind: 'file' | 'dir' | 'onnx'): string {
    const abs = path.resolve(this.root, p);
    let real = abs;
    try {
      real = fs.realpathSync(abs);
    } catch {
      // a file that does not exist yet: check its folder instead
      try {
        real = path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
      } catch {
        throw new EngineError('not-found', `folder ${path.dirname(abs)} does not exist`, said('folder-missing', { dir: path.dirname(abs) }));
      }
    }
    const outside = !inside(this.root, real);
    if (outside && !(kind === 'file' && this.granted.has(real))) throw new EngineError('refused', `${p} is outside the project folder ${this.root}`, said('file-outside', { file: p, root: this.root }));
    if (kind === 'onnx') {
      if (outside) throw new EngineError('refused', `${p} is outside the project folder ${this.root}`, said('file-outside', { file: p, root: this.root }));
      if (!isOnnxName(real)) throw new EngineError('refused', `${path.basename(real)}: expected an .onnx model`, said('not-onnx', { file: path.basename(real) }));
      return real;
    }
    if (kind === 'file' && !isDocumentName(real)) throw new EngineError('refused', `${path.basename(real)}: network documents are .json or .netwright files`, said('not-a-document', { file: path.basename(real) }));
    return real;
  }

  /** An ONNX model inside the root, to import. */
  onnxFile(p: string): string {
    return this.resolve(p, 'onnx');
  }

  /** Where an import may write its document: inside the root, a new file unless `overwrite`. */
  importTarget(p: string, overwrite: boolean): string {
    const abs = this.resolve(p, 'file');
    if (!overwrite && fs.existsSync(abs)) throw new EngineError('exists', `${path.basename(abs)} already exists`, said('file-exists', { file: path.basename(abs) }));
    return abs;
  }

  listDir(dir: string, files: 'documents' | 'onnx'): DirListing {
    const wanted = files === 'onnx' ? isOnnxName : isDocumentName;
    const abs = this.resolve(dir || '.', 'dir');
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      const error = String((e as NodeJS.ErrnoException).code);
      throw new EngineError('not-found', `cannot list ${abs}: ${error}`, said('dir-unlistable', { dir: abs, error }));
    }
    // A symbolic link is listed as what it points to (opening it still refuses a target outside the root).
    const linkKind = (d: fs.Dirent): 'dir' | 'file' | null => {
      try {
        const st = fs.statSync(path.join(abs, d.name));
        return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
      } catch {
        return null; // a dangling link
      }
    };
    const entries = names
      .map((d) => ({ d, kind: d.isSymbolicLink() ? linkKind(d) : d.isDirectory() ? ('dir' as const) : d.isFile() ? ('file' as const) : null }))
      .filter(({ d, kind }) => !d.name.startsWith('.') && d.name !== 'node_modules' && (kind === 'dir' || (kind === 'file' && wanted(d.name) && d.name !== 'package.json' && d.name !== 'package-lock.json' && !d.name.startsWith('tsconfig'))))
      .map(({ d, kind }) => ({ name: d.name, kind: kind as 'dir' | 'file' }))
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
    return { dir: abs, parent: abs === this.root ? null : path.dirname(abs), entries };
  }

  openFile(p: string): OpenedFile {
    const abs = this.resolve(p, 'file');
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new EngineError('not-found', `${abs} does not exist`, said('file-missing', { file: abs }));
    }
    if (!st.isFile()) throw new EngineError('refused', `${abs} is not a file`, said('not-a-file', { file: abs }));
    if (st.size > MAX_BYTES) throw new EngineError('refused', `${abs} is larger than ${MAX_BYTES >> 20} MB`, said('file-too-large', { file: abs, mb: MAX_BYTES >> 20 }));
    const text = fs.readFileSync(abs, 'utf8');
    this.chosen.add(abs);
    this.remember(abs);
    return { path: abs, text };
  }

  saveFile(p: string, text: string, o: { chosen: boolean; overwrite?: boolean }): SavedFile {
    const abs = this.resolve(p, 'file');
    if (!o.chosen && !this.chosen.has(abs)) throw new EngineError('refused', `${abs} was not opened or chosen in this session; use Save as`, said('not-chosen', { file: abs }));
    if (o.chosen && !o.overwrite && !this.chosen.has(abs) && fs.existsSync(abs)) throw new EngineError('exists', `${path.basename(abs)} already exists`, said('file-exists', { file: path.basename(abs) }));
    if (Buffer.byteLength(text) > MAX_BYTES) throw new EngineError('refused', 'document too large', said('document-too-large'));
    refuseRunFolder(this.root, abs);
    try {
      writeFileAtomic(abs, text);
    } catch (e) {
      const error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new EngineError('io', `cannot write ${abs}: ${error}`, said('cannot-write', { file: abs, error }));
    }
    this.chosen.add(abs);
    this.remember(abs);
    return { path: abs };
  }

  recentFiles(): string[] {
    try {
      const list = JSON.parse(fs.readFileSync(this.recentFile, 'utf8')) as unknown;
      return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string' && fs.existsSync(x) && inside(this.root, x)).slice(0, 10) : [];
    } catch {
      return [];
    }
  }

  private remember(abs: string): void {
    let list: string[] = [];
    try {
      const old = JSON.parse(fs.readFileSync(this.recentFile, 'utf8')) as unknown;
      if (Array.isArray(old)) list = old.filter((x): x is string => typeof x === 'string');
    } catch {
      // no list yet
    }
    list = [abs, ...list.filter((x) => x !== abs)].slice(0, 20);
    try {
      fs.mkdirSync(path.dirname(this.recentFile), { recursive: true });
      fs.writeFileSync(this.recentFile, JSON.stringify(list, null, 2));
    } catch {
      // recent files are a convenience; never fail a save over them
    }
  }
}

/**
 * A document is never saved into a run's folder: <root>/runs/ belongs to the engine, and any
 * folder holding a run (its checkpoint or metrics) keeps its own run.json and dataset.json.
 */
function refuseRunFolder(root: string, abs: string): void {
  const rel = path.relative(path.join(root, 'runs'), abs);
  const underRuns = !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..';
  const dir = path.dirname(abs);
  const runHere = ['checkpoint.nwck', 'metrics.csv'].some((f) => fs.existsSync(path.join(dir, f)));
  if (underRuns || (runHere && ['run.json', 'dataset.json'].includes(path.basename(abs).toLowerCase()))) {
    const runs = path.join(root, 'runs');
    if (underRuns) throw new EngineError('refused', `${abs} is inside a run's folder (${runs} holds the runs, written only by training); save the document elsewhere`, said('in-runs-folder', { file: abs, runs }));
    throw new EngineError('refused', `${abs} is inside a run's folder; save the document elsewhere`, said('in-run-folder', { file: abs }));
  }
}
