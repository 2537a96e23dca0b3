// The dataset panel's engine side: the report for a folder at the network's input size, and
// thumbnails of files inside a folder the user chose (data URLs; nothing else is readable).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../data/cache.ts';
import { datasetReport } from '../data/report.ts';
import { scanImageFolder } from '../data/scan.ts';
import { dataSettings } from '../graph/document.ts';
import { EngineError, type DatasetReportResult, type ImagesResult } from '../protocol.ts';
import { documentOrThrow, imageSpec } from '../train/run.ts';
import type { Project } from './project.ts';

const SAMPLES_PER_CLASS = 8;

export async function reportFor(project: Project, rawDoc: unknown, dataDirIn: string): Promise<DatasetReportResult> {
  const dataDir = project.dataDir(dataDirIn);
  let doc;
  try {
    doc = documentOrThrow(rawDoc);
  } catch (e) {
    throw new EngineError('bad-request', (e as Error).message);
  }
  const data = dataSettings(doc.training);
  const scan = await scanImageFolder(dataDir, { valSplit: doc.training.valSplit, seed: doc.training.seed }).catch((e: Error) => {
    throw new EngineError('bad-request', e.message);
  });
  const loaded = await loadDataset(scan, { ...imageSpec(doc), resize: data.resize }, { cacheDir: data.cacheDir });
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
      images.push({ path: p, url: null, error: e instanceof EngineError ? e.message : `cannot show ${p}: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return { images };
}
