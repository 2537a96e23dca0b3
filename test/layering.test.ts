// The layers as a test: every import in engine/ and renderer/ is read (TypeScript's own
// pre-processor, so comments and strings do not count) and checked against the layer order
// below. A failure names the file, the line and the import that runs against the layers.
//
// The engine's layers, bottom to top; a module imports only from its own layer or lower ones,
// never from a sibling on the same rank:
//   0 base      engine/protocol.ts, atomic-write.ts, printable.ts, threads.ts, numel.ts (leaf modules)
//   1 onnx      engine/onnx/      ONNX IR, protobuf, builder, attribute readers, safetensors
//   2 graph     engine/graph/     document, layer registry, shape inference, lowering, losses, ONNX → document
//   3 data      engine/data/      scan, decode, cache, batches      (siblings: neither imports the other)
//   3 autodiff  engine/autodiff/  gradient rules, optimizers, the training graph
//   4 train     engine/train/     ORT sessions, steps, the run, checkpoints, gradient check
//   5 export    engine/export/    PyTorch export (reads train/schedule)
//   6 session   engine/session/   one open project: files, runs, jobs, import, evaluation
//   7 host      engine/host.ts, engine/electron-host.ts
//   8 web       engine/web/       the web server over the host
//   9 cli       engine/cli.ts
// The renderer imports only engine/graph and engine/protocol.ts (plus itself and npm
// packages, never Node's built-ins); the engine never imports the renderer, electron/, React
// or Electron.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');

const LAYERS: { name: string; rank: number; holds: (file: string) => boolean }[] = [
  { name: 'base', rank: 0, holds: (f) => ['engine/protocol.ts', 'engine/atomic-write.ts', 'engine/printable.ts', 'engine/threads.ts', 'engine/numel.ts'].includes(f) },
  { name: 'onnx', rank: 1, holds: (f) => f.startsWith('engine/onnx/') },
  { name: 'graph', rank: 2, holds: (f) => f.startsWith('engine/graph/') },
  { name: 'data', rank: 3, holds: (f) => f.startsWith('engine/data/') },
  { name: 'autodiff', rank: 3, holds: (f) => f.startsWith('engine/autodiff/') },
  { name: 'train', rank: 4, holds: (f) => f.startsWith('engine/train/') },
  { name: 'export', rank: 5, holds: (f) => f.startsWith('engine/export/') },
  { name: 'session', rank: 6, holds: (f) => f.startsWith('engine/session/') },
  { name: 'host', rank: 7, holds: (f) => f === 'engine/host.ts' || f === 'engine/electron-host.ts' },
  { name: 'web', rank: 8, holds: (f) => f.startsWith('engine/web/') },
  { name: 'cli', rank: 9, holds: (f) => f === 'engine/cli.ts' },
];

const layerOf = (file: string) => LAYERS.find((l) => l.holds(file));
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const UI_PACKAGES = /^(react|react-dom|@xyflow\/|electron$|i18next|react-i18next)/;

/** Why `file` may not import `spec`, or null when it may. Paths are relative to the repository root. */
export function importProblem(file: string, spec: string): string | null {
  const relative = spec.startsWith('.');
  const target = relative ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec;
  if (file.startsWith('renderer/')) {
    if (!relative) return NODE_BUILTINS.has(spec) ? 'the renderer does not use Node built-ins' : null;
    if (target.startsWith('renderer/') || target.startsWith('engine/graph/') || target === 'engine/protocol.ts') return null;
    return 'the renderer imports only renderer/, engine/graph/ and engine/protocol.ts';
  }
  if (!file.startsWith('engine/')) return null;
  if (!relative) return UI_PACKAGES.test(spec) ? 'the engine never imports React, Electron or the UI' : null;
  if (!target.startsWith('engine/')) return `the engine imports nothing outside engine/ (${target})`;
  const from = layerOf(file);
  const to = layerOf(target);
  if (!from) return `${file} is in no layer: add it to LAYERS in test/layering.test.ts`;
  if (!to) return `${target} is in no layer: add it to LAYERS in test/layering.test.ts`;
  if (from === to || to.rank < from.rank) return null;
  return `${from.name} (rank ${from.rank}) may not import ${to.name} (rank ${to.rank}${to.rank === from.rank ? ', a sibling' : ', above it'})`;
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'locales' ? [] : sources(rel);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every import of every source file in engine/ and renderer/, as "file:line imports 'spec': why" where it breaks a rule. */
function violations(): string[] {
  const out: string[] = [];
  for (const file of [...sources('engine'), ...sources('renderer')]) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const imp of importedFiles) {
      const why = importProblem(file, imp.fileName);
      if (!why) continue;
      const line = text.slice(0, imp.pos).split('\n').length;
      out.push(`${file}:${line} imports '${imp.fileName}': ${why}`);
    }
  }
  return out;
}

test('every import in engine/ and renderer/ follows the layers', () => {
  const bad = violations();
  assert.deepEqual(bad, [], `imports against the layers:\n  ${bad.join('\n  ')}`);
});

test('the rules refuse imports that run up a layer, across siblings or out of the renderer', () => {
  const refused: [string, string, RegExp][] = [
    ['engine/graph/infer.ts', '../train/run.ts', /graph \(rank 2\) may not import train \(rank 4, above it\)/],
    ['engine/onnx/model.ts', '../graph/document.ts', /onnx .* may not import graph/],
    ['engine/autodiff/backward.ts', '../train/step.ts', /autodiff .* may not import train/],
    ['engine/autodiff/backward.ts', '../data/batches.ts', /sibling/],
    ['engine/train/run.ts', '../session/project.ts', /train .* may not import session/],
    ['engine/train/run.ts', '../web/server.ts', /train .* may not import web/],
    ['engine/train/run.ts', '../host.ts', /train .* may not import host/],
    ['engine/session/jobs.ts', '../cli.ts', /session .* may not import cli/],
    ['engine/graph/layer.ts', 'react', /never imports React/],
    ['renderer/store/editor-store.ts', '../../engine/train/run.ts', /renderer imports only/],
    ['renderer/components/App.tsx', '../../engine/onnx/model.ts', /renderer imports only/],
    ['renderer/components/App.tsx', 'node:fs', /Node built-ins/],
    ['engine/graph/new-file.ts', '../nowhere.ts', /in no layer/],
  ];
  for (const [file, spec, why] of refused) assert.match(importProblem(file, spec) ?? 'allowed', why, `${file} importing ${spec}`);
  const allowed: [string, string][] = [
    ['engine/train/run.ts', '../autodiff/training-graph.ts'],
    ['engine/train/run.ts', '../protocol.ts'],
    ['engine/graph/compile.ts', '../onnx/builder.ts'],
    ['engine/cli.ts', './web/server.ts'],
    ['renderer/store/editor-store.ts', '../../engine/graph/infer.ts'],
    ['renderer/store/editor-store.ts', '../../engine/protocol.ts'],
    ['renderer/components/App.tsx', '@xyflow/react'],
  ];
  for (const [file, spec] of allowed) assert.equal(importProblem(file, spec), null, `${file} importing ${spec}`);
});
