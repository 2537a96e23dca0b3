// The gradient check button: finite differences against autodiff for every parameter tensor,
// on a few images of the chosen dataset (or seeded random inputs without one).
import { loadSplit, scanImageFolder } from '../data/image-folder.ts';
import { gradientCheck } from '../train/gradcheck.ts';
import { dataSettings } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
import { said, textOf } from '../graph/error-codes.ts';
import { EngineError, type GradCheckResult } from '../protocol.ts';
import { documentOrThrow, imageSpec } from '../train/prepare.ts';
import type { Project } from './project.ts';

const BATCH = 4;

export async function checkGradients(project: Project, rawDoc: unknown, dataDirIn: string | null): Promise<GradCheckResult> {
  let doc;
  try {
    doc = documentOrThrow(rawDoc);
  } catch (e) {
    throw new EngineError('bad-request', (e as Error).message, textOf(e));
  }
  const spec = imageSpec(doc);
  const per = spec.channels * spec.height * spec.width;
  const x = new Float32Array(BATCH * per);
  const labels = new BigInt64Array(BATCH);
  let source = `${BATCH} random inputs`;
  let n = BATCH;
  if (dataDirIn) {
    const dataDir = project.dataDir(dataDirIn);
    const scan = await scanImageFolder(dataDir, { valSplit: 0, seed: doc.training.seed });
    // One image of each class in turn, so the batch is not all one label.
    const picked = scan.classNames.flatMap((_, c) => scan.train.filter((s) => s.label === c).slice(0, BATCH)).sort((a, b) => a.path.localeCompare(b.path));
    const byClass = scan.classNames.map((_, c) => picked.filter((s) => s.label === c));
    const order = Array.from({ length: BATCH }, (_, i) => byClass[i % byClass.length][Math.floor(i / byClass.length)]).filter(Boolean);
    const split = await loadSplit(order, { ...spec, resize: dataSettings(doc.training).resize });
    n = split.count;
    if (!n) throw new EngineError('bad-request', `no usable images in ${dataDir} for the gradient check`, said('gradcheck-no-images', { dir: dataDir }));
    for (let i = 0; i < n * per; i++) x[i] = split.pixels[i] / 255;
    for (let i = 0; i < n; i++) labels[i] = BigInt(split.labels[i]);
    source = `${n} images of ${dataDir}`;
  } else {
    const rng = new Rng(doc.training.seed);
    for (let i = 0; i < x.length; i++) x[i] = rng.next();
    for (let i = 0; i < BATCH; i++) labels[i] = BigInt(i % 2);
  }
  const rows = await gradientCheck(doc, { x, labels, n, seed: doc.training.seed });
  return { source, rows: rows.map((r) => ({ layer: r.param.split('.')[0], ...r })) };
}
