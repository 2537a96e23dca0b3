// In-app import of MNIST-style IDX files (Fashion-MNIST's download) into an image folder inside
// the project, so a dataset of that family needs no terminal. The pairs are found by their usual
// names; a train and a test (t10k) pair become train/ and val/ (the train-val layout).
import fs from 'node:fs';
import path from 'node:path';
import { FASHION_MNIST_CLASSES, importIdx } from '../data/idx.ts';
import { said, textOf } from '../graph/error-codes.ts';
import { EngineError, type ImportIdxResult } from '../protocol.ts';
import type { Project } from './project.ts';

const IDX = /^(.*?)[-_.]?(images|labels)[-_.]idx([13])[-_.]ubyte(\.gz)?$/i;

interface Pair { prefix: string; images?: string; labels?: string }

/** IDX image/label pairs in a folder, by the prefix of their names (train, t10k, …). */
export function findIdxPairs(dir: string): { prefix: string; images: string; labels: string }[] {
  const pairs = new Map<string, Pair>();
  for (const name of fs.readdirSync(dir).sort()) {
    const m = IDX.exec(name);
    if (!m || (m[2].toLowerCase() === 'images') !== (m[3] === '3')) continue;
    const prefix = m[1].toLowerCase();
    const p = pairs.get(prefix) ?? { prefix };
    const kind = m[2].toLowerCase() as 'images' | 'labels';
    // Plain and .gz copies of one file: keep the first (sorted: the plain one).
    p[kind] ??= path.join(dir, name);
    pairs.set(prefix, p);
  }
  return [...pairs.values()].filter((p): p is Required<Pair> => !!p.images && !!p.labels);
}

export async function importIdxFolder(project: Project, sourceDir: string, outDirIn: string, classes: 'fashion-mnist' | 'numbers', limit?: number): Promise<ImportIdxResult> {
  const src = project.dataDir(sourceDir);
  const pairs = findIdxPairs(src);
  if (!pairs.length) throw new EngineError('bad-request', `no IDX pair in ${src}: expected files named like train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz`, said('idx-no-pair', { dir: src }));
  const isTest = (p: string) => /^(t10k|test|val)/.test(p);
  const train = pairs.filter((p) => !isTest(p.prefix));
  const test = pairs.filter((p) => isTest(p.prefix));
  let sides: { side: string; pair: (typeof pairs)[number] }[];
  if (pairs.length === 1) sides = [{ side: '', pair: pairs[0] }];
  else if (train.length === 1 && test.length === 1) sides = [{ side: 'train', pair: train[0] }, { side: 'val', pair: test[0] }];
  else {
    const names = pairs.map((p) => p.prefix || '(no prefix)').join(', ');
    throw new EngineError('bad-request', `${src} holds ${pairs.length} IDX pairs (${names}); put one pair, or one train and one t10k/test pair, in the folder`, said('idx-pairs', { dir: src, count: pairs.length, names }));
  }

  const out = project.newFolder(outDirIn);
  const tmp = `${out}.importing-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const perClass: Record<string, number> = {};
  const parts: ImportIdxResult['parts'] = [];
  try {
    for (const { side, pair } of sides) {
      const r = await importIdx(pair.images, pair.labels, path.join(tmp, side), { classes: classes === 'fashion-mnist' ? FASHION_MNIST_CLASSES : undefined, limit });
      for (const [k, v] of Object.entries(r.perClass)) perClass[k] = (perClass[k] ?? 0) + v;
      parts.push({ images: path.basename(pair.images), labels: path.basename(pair.labels), side: side || '.', count: r.count });
    }
    fs.rmSync(out, { recursive: true, force: true }); // empty (newFolder checked) or absent
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e instanceof EngineError ? e : new EngineError('bad-request', (e as Error).message, textOf(e));
  }
  return { outDir: out, layout: sides.length === 2 ? 'train-val' : 'class-folders', parts, perClass };
}
