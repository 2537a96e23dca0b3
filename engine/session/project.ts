// Where a session's files may come from and go to: dataset folders inside the project root (or
// the one named on the command line), runs in <root>/runs/, exports in <root>/exports/.
import fs from 'node:fs';
import path from 'node:path';
import { said } from '../graph/error-codes.ts';
import { EngineError } from '../protocol.ts';

export class Project {
  readonly root: string;
  readonly runsDir: string;
  readonly exportsDir: string;
  private readonly extraData: string[];

  constructor(root: string, opts: { dataDirs?: string[] } = {}) {
    this.root = fs.realpathSync(root);
    this.runsDir = path.join(this.root, 'runs');
    this.exportsDir = path.join(this.root, 'exports');
    this.extraData = (opts.dataDirs ?? []).flatMap((d) => {
      try {
        return [fs.realpathSync(d)];
      } catch {
        return [];
      }
    });
  }

  /** A dataset folder the user may read from: inside the root, or a folder given at launch. */
  dataDir(p: string): string {
    let real: string;
    try {
      real = fs.realpathSync(path.resolve(this.root, p));
    } catch {
      throw new EngineError('not-found', `dataset folder ${p} does not exist`, said('dataset-missing-here', { dir: p }));
    }
    if (!fs.statSync(real).isDirectory()) throw new EngineError('bad-request', `${p} is not a folder`, said('dataset-not-folder', { dir: p }));
    if (!inside(this.root, real) && !this.extraData.some((d) => inside(d, real))) throw new EngineError('refused', `${p} is outside the project folder ${this.root}`, said('dataset-outside', { dir: p, root: this.root }));
    return real;
  }

  /** A file below a dataset folder (for thumbnails and Try it), never outside it. */
  dataFile(dataDir: string, rel: string): string {
    const dir = this.dataDir(dataDir);
    let real: string;
    try {
      real = fs.realpathSync(path.resolve(dir, rel));
    } catch {
      throw new EngineError('not-found', `${rel} does not exist in ${dir}`, said('data-file-missing', { file: rel, dir }));
    }
    if (!inside(dir, real) || !fs.statSync(real).isFile()) throw new EngineError('refused', `${rel} is not a file inside ${dir}`, said('data-file-outside', { file: rel, dir }));
    return real;
  }

  /** A folder to create inside the root (an import's output): absent or empty, never outside. */
  newFolder(p: string): string {
    if (!p.trim()) throw new EngineError('bad-request', 'name the folder to create', said('folder-unnamed'));
    const abs = path.resolve(this.root, p);
    let parent: string;
    try {
      parent = fs.realpathSync(path.dirname(abs));
    } catch {
      throw new EngineError('not-found', `folder ${path.dirname(abs)} does not exist`, said('folder-missing', { dir: path.dirname(abs) }));
    }
    const out = path.join(parent, path.basename(abs));
    if (!inside(this.root, out) || out === this.root) throw new EngineError('refused', `${p} is outside the project folder ${this.root}`, said('dataset-outside', { dir: p, root: this.root }));
    if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) throw new EngineError('exists', `${out} already exists and is not empty`, said('folder-not-empty', { dir: out }));
    return out;
  }

  /** The folder of a run listed by listRuns: a plain name, nothing else. */
  runDir(runId: string): string {
    if (!/^[\w.-]+$/.test(runId) || runId.startsWith('.')) throw new EngineError('bad-request', `not a run name: ${runId}`, said('not-a-run-name', { runId }));
    const dir = path.join(this.runsDir, runId);
    if (!fs.existsSync(path.join(dir, 'run.json'))) throw new EngineError('not-found', `no run ${runId} in ${this.runsDir}`, said('run-missing', { runId, dir: this.runsDir }));
    return dir;
  }
}

/**
 * Whether `p` is `dir` or below it, by path segments: `..foo.json` is a file inside, `../foo.json`
 * is not (a prefix test on the relative path confuses the two). The one such test in the engine.
 */
export function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel));
}

/** `name-2024-05-01T10-20-30`: a folder name from a document name and the start time. */
export function runName(docName: string, when = new Date()): string {
  const slug = docName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
  return `${slug}-${when.toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
}
