// The dataset report shown before training and by `netwright dataset inspect`: usable images per
// class and split, what was skipped and why, class imbalance, exact duplicates (same bytes) and
// duplicates shared by train and val (leakage, which makes validation figures lie).
import path from 'node:path';
import { skipText } from '../graph/error-codes.ts';
import { printable } from '../printable.ts';
import type { EngineText } from '../protocol.ts';
import type { LoadedDataset } from './cache.ts';
import type { FolderScan, Skipped } from './scan.ts';

/** A class whose training count is this many times smaller than the largest one's is flagged. */
export const IMBALANCE_RATIO = 3;

export interface ClassCount { name: string; label: number; train: number; val: number }

export interface DatasetReport {
  root: string;
  layout: FolderScan['layout'];
  classNames: string[];
  classes: ClassCount[];
  totals: { train: number; val: number; skipped: number };
  /** Reason -> number of files. */
  skippedByReason: Record<string, number>;
  /** With the reason as code + params when it is one of graph/error-codes.ts's SKIP_REASONS. */
  skipped: (Skipped & { text?: EngineText })[];
  /** Groups of two or more usable files with identical bytes (paths relative to the root). */
  duplicates: string[][];
  /** Groups of identical files found both in train and in val. */
  leakage: { train: string[]; val: string[] }[];
  warnings: string[];
  /** The warnings again as code + params (same order), for the UI to show in its language. */
  issues: ReportIssue[];
}

export interface ReportIssue {
  code: 'one-class' | 'empty-class' | 'imbalance' | 'duplicates' | 'leakage';
  params: Record<string, string | number>;
  message: string;
}

export function datasetReport(scan: FolderScan, data: LoadedDataset): DatasetReport {
  const rel = (p: string): string => path.relative(scan.root, p) || p;
  const classes = scan.classNames.map((name, label) => ({ name, label, train: 0, val: 0 }));
  for (const l of data.train.labels) classes[l].train++;
  for (const l of data.val.labels) classes[l].val++;
  const skippedByReason: Record<string, number> = {};
  for (const s of data.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;

  const byHash = new Map<string, { train: string[]; val: string[] }>();
  const add = (hashes: string[], paths: string[], side: 'train' | 'val'): void => {
    hashes.forEach((h, i) => {
      if (!h) return;
      let g = byHash.get(h);
      if (!g) byHash.set(h, (g = { train: [], val: [] }));
      g[side].push(rel(paths[i]));
    });
  };
  add(data.train.hashes, data.train.paths, 'train');
  add(data.val.hashes, data.val.paths, 'val');
  const groups = [...byHash.values()];
  const duplicates = groups.filter((g) => g.train.length + g.val.length > 1).map((g) => [...g.train, ...g.val]);
  const leakage = groups.filter((g) => g.train.length > 0 && g.val.length > 0);

  const issues: ReportIssue[] = [];
  const warn = (code: ReportIssue['code'], params: ReportIssue['params'], message: string): void => void issues.push({ code, params, message });
  const usable = classes.filter((c) => c.train + c.val > 0);
  if (scan.classNames.length === 1) warn('one-class', { name: printable(scan.classNames[0]) }, `only one class (${printable(scan.classNames[0])}): a classifier needs at least two class folders`);
  for (const c of classes) {
    if (c.train === 0) warn('empty-class', { name: printable(c.name) }, `class ${printable(c.name)} has no usable training images`);
  }
  if (usable.length > 1) {
    const withTrain = classes.filter((c) => c.train > 0);
    const max = withTrain.reduce((a, c) => (c.train > a.train ? c : a), withTrain[0]);
    const small = withTrain.filter((c) => c.train * IMBALANCE_RATIO <= max.train);
    if (max && small.length) {
      warn('imbalance', { small: small.map((c) => `${printable(c.name)} (${c.train})`).join(', '), count: small.length, ratio: IMBALANCE_RATIO, largest: printable(max.name), max: max.train }, `class imbalance: ${small.map((c) => `${printable(c.name)} (${c.train})`).join(', ')} ha${small.length > 1 ? 've' : 's'} at most 1/${IMBALANCE_RATIO} of the training images of ${printable(max.name)} (${max.train})`);
    }
  }
  if (duplicates.length) warn('duplicates', { groups: duplicates.length, files: duplicates.reduce((s, g) => s + g.length, 0) }, `${duplicates.length} group(s) of identical images (${duplicates.reduce((s, g) => s + g.length, 0)} files)`);
  if (leakage.length) warn('leakage', { count: leakage.length }, `${leakage.length} image(s) appear in both train and validation: validation accuracy will be optimistic`);
  return {
    root: scan.root,
    layout: scan.layout,
    classNames: scan.classNames,
    classes,
    totals: { train: data.train.count, val: data.val.count, skipped: data.skipped.length },
    skippedByReason,
    skipped: data.skipped.map((s) => {
      const text = skipText(s.reason);
      return { path: rel(s.path), reason: s.reason, ...(text ? { text } : {}) };
    }),
    duplicates,
    leakage,
    warnings: issues.map((i) => i.message),
    issues,
  };
}

/** The report as the CLI prints it: names through printable(), so each entry stays on its line. */
export function formatReport(r: DatasetReport, maxList = 10): string {
  const lines: string[] = [];
  const layout = r.layout === 'train-val' ? 'train/ and validation folders as given' : 'one folder per class, split by --val-split';
  lines.push(`${printable(r.root)}: ${r.classNames.length} classes, ${r.totals.train} training and ${r.totals.val} validation images (${layout})`);
  const w = Math.max(5, ...r.classes.map((c) => printable(c.name).length));
  lines.push(`  ${'label'.padStart(5)}  ${'class'.padEnd(w)}  ${'train'.padStart(7)}  ${'val'.padStart(7)}`);
  for (const c of r.classes) lines.push(`  ${String(c.label).padStart(5)}  ${printable(c.name).padEnd(w)}  ${String(c.train).padStart(7)}  ${String(c.val).padStart(7)}`);
  if (r.totals.skipped) {
    lines.push(`skipped ${r.totals.skipped} file(s): ${Object.entries(r.skippedByReason).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    for (const s of r.skipped.slice(0, maxList)) lines.push(`  ${printable(s.path)}: ${s.reason}`);
    if (r.skipped.length > maxList) lines.push(`  … and ${r.skipped.length - maxList} more`);
  }
  for (const g of r.duplicates.slice(0, maxList)) lines.push(`  identical: ${g.map(printable).join(', ')}`);
  if (r.duplicates.length > maxList) lines.push(`  … and ${r.duplicates.length - maxList} more groups of identical files`);
  for (const wmsg of r.warnings) lines.push(`warning: ${wmsg}`);
  return lines.join('\n');
}
