// The dataset panel's engine side: the report for a folder at the network's input size, and
// thumbnails of files inside a folder the user chose (data URLs; nothing else is readable).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { BatchFiller, isAugmenting, unitScale } from '../data/batches.ts';
import { loadDataset } from '../data/cache.ts';
import { datasetReport } from '../data/report.ts';
import { scanImageFolder } from '../data/scan.ts';
import { dataSettings } from '../graph/document.ts';
import type { NetworkDocument } from '../graph/document.ts';
import { nested, said, textOf } from '../graph/error-codes.ts';
import { EngineError, type AugmentPreviewResult, type DatasetReportResult, type ImagesResult } from '../protocol.ts';
import { documentOrThrow, imageSpec } from '../train/prepare.ts';
import { pngDataUrl } from './predict.ts';
import type { Project } from './project.ts';

const SAMPLES_PER_CLASS = 8;

function docOrBadRequest(rawDoc: unknown): NetworkDocument {
  try {
    return documentOrThrow(rawDoc);
  } catch (e) {
    throw new EngineError('bad-request', (e as Error).message, textOf(e));
  }
}

/** The folder as the run will read it: same split, same size, through the same pixel cache. */
async function loadFor(doc: NetworkDocument, dataDir: string) {
  const data = dataSettings(doc.training);
  const scan = await scanImageFolder(dataDir, { valSplit: doc.training.valSplit, seed: doc.training.seed }).catch((e: Error) => {
    throw new EngineError('bad-request', e.message, textOf(e));
  });
  const loaded = await loadDataset(scan, { ...imageSpec(doc), resize: data.resize }, { cacheDir: data.cacheDir });
  return { scan, loaded, data };
}

export async function reportFor(project: Project, rawDoc: unknown, dataDirIn: string): Promise<DatasetReportResult> {
  const dataDir = project.dataDir(dataDirIn);
  const doc = docOrBadRequest(rawDoc);
  const { scan, loaded } = await loadFor(doc, dataDir);
  try {
    const rep = datasetReport(scan, loaded);
    const samples = scan.classNames.map((_, label) =>
      scan.train.filter((s) => s.label === label).slice(0, SAMPLES_PER_CLASS).map((s) => path.relative(dataDir, s.path)),
    );
    return { ...rep, samples };
  } finally {
    loaded.close();
  }
}

/**
 * A few training images (one per class in turn) as the network will see them in training: each
 * through the document's augmentation `variants` times (BatchFiller, the run's own code, seeded
 * by the document's seed), beside the image as decoded.
 */
export async function augmentPreview(project: Project, rawDoc: unknown, dataDirIn: string, count: number, variants: number): Promise<AugmentPreviewResult> {
  const dataDir = project.dataDir(dataDirIn);
  const doc = docOrBadRequest(rawDoc);
  const { loaded, data } = await loadFor(doc, dataDir);
  try {
    const split = loaded.train;
    const spec = imageSpec(doc);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < split.count; i++) byClass.set(split.labels[i], [...(byClass.get(split.labels[i]) ?? []), i].slice(0, count));
    const lists = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
    const picked: number[] = [];
    for (let k = 0; picked.length < Math.min(count, split.count); k++) for (const l of lists) if (l[k] !== undefined && picked.length < count) picked.push(l[k]);
    const filler = new BatchFiller(split, spec, unitScale(spec.channels), data.augment, doc.training.seed);
    const size = split.size;
    const x = new Float32Array(variants * size);
    const y = new BigInt64Array(variants);
    const raw = new Uint8Array(size);
    const samples: AugmentPreviewResult['samples'] = [];
    for (const j of picked) {
      filler.order.fill(j, 0, variants);
      filler.fill(0, variants, x, y);
      const augmented: string[] = [];
      for (let v = 0; v < variants; v++) {
        const px = Uint8Array.from(x.subarray(v * size, (v + 1) * size), (f) => Math.round(Math.min(1, Math.max(0, f)) * 255));
        augmented.push(await pngDataUrl(px, spec.channels, spec.width, spec.height));
      }
      split.read(j, raw, 0);
      samples.push({ path: path.relative(dataDir, split.paths[j]), label: split.labels[j], original: await pngDataUrl(raw, spec.channels, spec.width, spec.height), augmented });
    }
    return { augmenting: isAugmenting(data.augment), augment: { ...data.augment }, samples };
  } finally {
    loaded.close();
  }
}

export async function thumbnails(project: Project, dataDir: string, paths: string[], size: number): Promise<ImagesResult> {
  const images: ImagesResult['images'] = [];
  for (const p of paths) {
    try {
      const file = project.dataFile(dataDir, p);
      const png = await sharp(fs.readFileSync(file), { limitInputPixels: 100_000_000 })
        .resize(size, size, { fit: 'inside', withoutEnlargement: false, kernel: 'nearest' })
        .png()
        .toBuffer();
      images.push({ path: p, url: `data:image/png;base64,${png.toString('base64')}` });
    } catch (e) {
      const text = textOf(e);
      if (e instanceof EngineError) images.push({ path: p, url: null, error: e.message, ...(text ? { text } : {}) });
      else {
        // The decoder's first line only (sharp's messages go on with its internals).
        const inner = nested(e);
        const reason = typeof inner === 'string' ? inner.split('\n')[0] : inner;
        const message = `cannot show ${p}: ${typeof reason === 'string' ? reason : reason.message}`;
        images.push({ path: p, url: null, error: message, text: said('thumbnail-failed', { file: p, reason }) });
      }
    }
  }
  return { images };
}
