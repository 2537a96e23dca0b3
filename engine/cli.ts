// netwright: validate | train | predict | eval | import | export | dataset inspect | import-idx | sample-data | demo | serve
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadSplit, scanImageFolder } from './data/image-folder.ts';
import { loadDataset } from './data/cache.ts';
import { RESIZE_POLICIES, type ResizePolicy } from './data/decode.ts';
import { FASHION_MNIST_CLASSES, importIdx } from './data/idx.ts';
import { datasetReport, formatReport } from './data/report.ts';
import { SAMPLE_CLASSES, writeSampleDataset } from './data/sample.ts';
import { parseDocument, trainingSchema, type NetworkDocument } from './graph/document.ts';
import { freezeUpTo, replaceHead } from './graph/finetune.ts';
import { inferShapes } from './graph/infer.ts';
import { fmtShape } from './graph/layer.ts';
import { LOSSES } from './graph/losses.ts';
import { DEVICES, type Device } from './train/ort.ts';
import { collectImages, openModel, predictFiles, predictionsCsv } from './train/predictor.ts';
import { checkMemory, checkNewRunFolder, documentOrThrow, imageSpec, loadDocument, MEMORY_FRACTION, memoryLimit } from './train/prepare.ts';
import { estimateMemory, fmtBytes, formatMemory, memoryRefusal } from './graph/memory.ts';
import { CompileError, lowerForward } from './graph/compile.ts';
import { decodeModel } from './onnx/model.ts';
import { IMAGENET } from './graph/from-onnx.ts';
import { exportDocument } from './session/export.ts';
import { importOnnxFile } from './session/onnx-import.ts';
import { startValues, WeightsFileError } from './train/weights.ts';
import { report } from './train/scorer.ts';
import { loadCheckpoint } from './train/checkpoint.ts';
import { startTraining } from './train/run-client.ts';
import type { EpochEvent } from './protocol.ts';
import type { TrainRequest } from './train/messages.ts';
import { finishRecord, newRunRecord, readRunRecord, writeRunRecord, type RunRecord } from './session/runs.ts';
import { serve } from './web/server.ts';
import { printable } from './printable.ts';
import { ExportRefusal, exportPyTorch, loadSource, type WeightsChoice } from './export/pytorch/export.ts';
import { spawn } from 'node:child_process';

class UserError extends Error {}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};
const float = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};
const human = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

const program = new Command('netwright').description('Design, train and export neural networks for image classification.').showHelpAfterError();

program
  .command('validate')
  .description('check a network document: every layer with its output shape, parameters and FLOPs')
  .argument('<net.json>')
  .option('--json', 'print the analysis as JSON')
  .action((file: string, o: { json?: boolean }) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${printable(file)}: ${(e as NodeJS.ErrnoException).code}`);
    }
    const r = parseDocument(text);
    if (!r.ok) {
      if (o.json) console.log(JSON.stringify({ ok: false, problems: r.problems }, null, 2));
      else for (const p of r.problems) console.error(`error: ${p.message}`);
      process.exitCode = 1;
      return;
    }
    const a = inferShapes(r.doc);
    const memory = estimateMemory(r.doc, { analysis: a });
    const limit = memoryLimit();
    const tooLarge = memoryRefusal(memory, limit.bytes, false, `(${limit.source})`);
    // The document's weights file must fit the layers it is for.
    if (r.doc.weights) {
      try {
        startValues(r.doc, lowerForward(r.doc, 'infer', 'inputs'), r.doc.training.seed, path.dirname(file));
      } catch (e) {
        if (!(e instanceof WeightsFileError) && !(e instanceof CompileError)) throw e;
        if (e instanceof WeightsFileError) {
          a.problems.push({ code: 'weights', message: e.message });
          a.ok = false;
        }
      }
    }
    if (o.json) {
      console.log(JSON.stringify({ ok: a.ok, layers: a.rows, totals: a.totals, memory: { ...memory, limit: limit.bytes, limitSource: limit.source, refusal: tooLarge }, problems: a.problems }, null, 2));
    } else {
      const rows = [['layer', 'type', 'output shape', 'params', 'FLOPs'], ...a.rows.map((x) => [x.name, x.type, x.shape ? fmtShape(x.shape) : '?', x.params.toLocaleString('en-US'), human(x.flops)])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
      console.log(line(rows[0]));
      console.log(widths.map((w) => '-'.repeat(w)).join('  '));
      for (const r of rows.slice(1)) console.log(line(r));
      console.log(`total: ${a.totals.params.toLocaleString('en-US')} parameters, ${human(a.totals.flops)}FLOPs per image (forward)`);
      console.log(`memory: about ${formatMemory(memory)}; limit ${fmtBytes(limit.bytes)} (${limit.source})`);
      if (tooLarge) console.error(`warning: training will be refused: ${tooLarge}`);
      for (const p of a.problems) console.error(`${p.severity === 'warning' ? 'warning' : 'error'}: ${p.nodeId ? `[${p.nodeId}${p.param ? `.${p.param}` : ''}] ` : ''}${p.message}`);
    }
    if (!a.ok) process.exitCode = 1;
  });

program
  .command('train')
  .description('train a network on an image folder (one subfolder per class)')
  .argument('[net.json]')
  .option('--resume <dir>', "continue the run in <dir> from its checkpoint (its document and settings; falls back to checkpoint.prev.nwck when the latest is damaged)")
  .option('--data <dir>', "image folder (default: the document's training.dataset)")
  .option('--epochs <n>', 'epochs', int('--epochs'))
  .option('--batch <n>', 'batch size', int('--batch'))
  .option('--lr <x>', 'learning rate', float('--lr'))
  .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam', 'adamw']))
  .option('--momentum <m>', 'SGD momentum', float('--momentum'))
  .option('--nesterov', 'Nesterov momentum')
  .option('--weight-decay <w>', 'weight decay', float('--weight-decay'))
  .option('--seed <s>', 'seed for initialization, shuffling and dropout', int('--seed'))
  .option('--val-split <f>', 'fraction of each class held out for validation (0: train on everything)', float('--val-split'))
  .option('--max-steps <k>', 'stop after k optimizer steps (still writes every output)', int('--max-steps'))
  .option('--out <dir>', 'output folder (default: runs/<name>-<time>)')
  .addOption(new Option('--device <d>', 'execution provider; falls back to CPU with the reason').choices([...DEVICES]).default('cpu'))
  .option('--threads <n>', 'ONNX Runtime intra-op threads (default: all cores)', int('--threads'))
  .option('--allow-large', `train even when the memory estimate exceeds the limit (${MEMORY_FRACTION * 100}% of this machine's memory)`)
  .option('--freeze <node-id>', 'fine-tune: freeze this layer and every layer upstream of it (no gradient, no optimizer state)')
  .option('--replace-head', 'fine-tune: give the last Dense (the one feeding the Output) as many fresh units as the image folder has classes')
  .action(async (file: string | undefined, o: Record<string, unknown>) => {
    if (o.resume !== undefined) {
      if (file) throw new UserError('--resume continues a run with its own document: leave out net.json');
      const dir = o.resume as string;
      let header;
      try {
        header = loadCheckpoint(dir).header;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      // Only --epochs (extend), --max-steps, --device, --threads and --allow-large apply to a resumed
      // run; anything else would change it, so it is refused unless it repeats what the run has.
      const parsed = parseDocument(header.doc);
      const t = (parsed.ok ? parsed.doc.training : {}) as Record<string, unknown>;
      const fixed: [string, string][] = [['batch', 'batchSize'], ['lr', 'lr'], ['optimizer', 'optimizer'], ['momentum', 'momentum'], ['nesterov', 'nesterov'], ['weightDecay', 'weightDecay'], ['seed', 'seed'], ['valSplit', 'valSplit']];
      const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const changed = fixed.filter(([k, key]) => o[k] !== undefined && o[k] !== t[key]).map(([k, key]) => `${flag(k)} ${String(o[k])} (the run has ${String(t[key])})`);
      if (o.out !== undefined && path.resolve(o.out as string) !== path.resolve(dir)) changed.push(`--out ${String(o.out)} (a resumed run stays in ${dir})`);
      if (o.data !== undefined && header.dataDir && path.resolve(o.data as string) !== path.resolve(header.dataDir)) changed.push(`--data ${String(o.data)} (the run trains on ${header.dataDir})`);
      if (changed.length) throw new UserError(`a resumed run keeps its network, data and settings; these cannot apply:\n${changed.map((c) => `  - ${c}`).join('\n')}\nonly --epochs (to extend it), --max-steps, --device, --threads and --allow-large apply on resume; start a new run for other settings`);
      const data = (o.data as string | undefined) ?? header.dataDir;
      if (!data) throw new UserError('the checkpoint does not say which image folder it was trained on: pass --data <dir>');
      return trainAndReport({ doc: undefined, dataDir: data, outDir: dir, resume: true, epochs: o.epochs as number | undefined, allowLarge: o.allowLarge === true, device: o.device as Device, maxSteps: o.maxSteps as number | undefined, threads: o.threads as number | undefined });
    }
    if (!file) throw new UserError('missing the network document: netwright train <net.json> (or --resume <dir>)');
    const doc = loadDocument(file);
    const overrides = {
      epochs: o.epochs, batchSize: o.batch, lr: o.lr, optimizer: o.optimizer, momentum: o.momentum, nesterov: o.nesterov,
      weightDecay: o.weightDecay, seed: o.seed, valSplit: o.valSplit,
    };
    const merged = trainingSchema.safeParse({ ...doc.training, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
    if (!merged.success) throw new UserError(merged.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('\n'));
    doc.training = merged.data;
    const cacheDir = doc.training.data?.cacheDir;
    if (cacheDir) doc.training.data!.cacheDir = path.resolve(path.dirname(file), cacheDir);
    if (doc.weights) doc.weights = path.resolve(path.dirname(file), doc.weights);
    const data = (o.data as string | undefined) ?? (doc.training.dataset ? path.resolve(path.dirname(file), doc.training.dataset) : undefined);
    if (!data) throw new UserError('no image folder: pass --data <dir> (one subfolder per class)');
    const outDir = (o.out as string | undefined) ?? path.join('runs', `${path.basename(file, '.json')}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
    const tuned = await fineTuned(doc, o.freeze as string | undefined, o.replaceHead === true, data);
    // Both before anything is written: a refused run leaves no folder and no run.json behind.
    checkMemory(tuned, o.allowLarge === true);
    checkNewRunFolder(outDir);
    await trainAndReport({ doc: tuned, dataDir: data, outDir, device: o.device as Device, maxSteps: o.maxSteps as number | undefined, threads: o.threads as number | undefined, allowLarge: o.allowLarge === true }, { doc: tuned, path: path.resolve(file) });
  });

/** `train --freeze <id>` and `--replace-head` (engine/graph/finetune.ts): the document to train. */
async function fineTuned(doc: NetworkDocument, freeze: string | undefined, head: boolean, dataDir: string): Promise<NetworkDocument> {
  let out = doc;
  if (freeze !== undefined) {
    if (!out.nodes.some((n) => n.id === freeze)) throw new UserError(`--freeze: no layer with the id "${freeze}" (ids: ${out.nodes.map((n) => n.id).join(', ')})`);
    out = freezeUpTo(out, freeze);
  }
  if (head) {
    const scan = await scanImageFolder(dataDir, { valSplit: out.training.valSplit, seed: out.training.seed });
    try {
      const r = replaceHead(out, scan.classNames.length);
      console.log(`replaced the head: ${r.head} has ${scan.classNames.length} fresh units (${scan.classNames.join(', ')})`);
      out = r.doc;
    } catch (e) {
      throw new UserError(`--replace-head: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * Runs training with a progress bar on a terminal; throws the run's error as a UserError.
 * `from`: the (checked) document of a new run and its file; absent when resuming.
 */
async function trainAndReport(request: TrainRequest, from?: { doc: NetworkDocument; path: string }): Promise<void> {
  const tty = process.stdout.isTTY;
  const bar = new cliProgress.SingleBar({ format: 'epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | {rate} samples/s | eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic);
  let barOn = false;
  // run.json beside the run's files, as the app writes it, so `netwright serve` lists CLI runs too.
  let record: RunRecord | null = null;
  let lastEpoch: EpochEvent | undefined;
  if (from) record = newRunRecord(from.doc, request.dataDir, from.path, request.device ?? 'cpu');
  else {
    try {
      const r = readRunRecord(request.outDir);
      record = { ...r, status: 'running' };
      if (request.epochs !== undefined) record.settings = { ...r.settings, epochs: request.epochs };
    } catch {
      // resuming a run from before run.json: nothing to update
    }
  }
  const saveRecord = () => {
    try {
      if (record) writeRunRecord(request.outDir, record);
    } catch {
      // the run folder went away: the run itself says what happened
    }
  };
  fs.mkdirSync(request.outDir, { recursive: true });
  saveRecord();
  const handle = startTraining(request, (e) => {
    if (e.type === 'epoch') lastEpoch = e;
    if (e.type === 'log') console.error(`${e.level === 'warn' ? 'warning: ' : ''}${e.message}`);
    else if (e.type === 'started') {
      console.log(`training on ${e.device}: ${e.trainCount} images (${e.valCount} for validation), ${e.classNames.length} classes, ${e.totalSteps} steps`);
      if (tty) {
        bar.start(e.totalSteps, 0, { epoch: 1, loss: '-', rate: '-' });
        barOn = true;
      }
    } else if (e.type === 'step' && barOn) bar.update(e.step, { epoch: e.epoch, loss: e.loss.toFixed(4), rate: Math.round(e.samplesPerSec) });
    else if (e.type === 'epoch') {
      if (barOn) bar.stop();
      const val = e.valAccuracy === null ? '' : `  val loss ${e.valLoss!.toFixed(4)}  val acc ${(100 * e.valAccuracy).toFixed(2)}%`;
      console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  acc ${(100 * e.accuracy).toFixed(2)}%${val}  (${e.seconds.toFixed(1)} s, ${Math.round(e.samplesPerSec)} samples/s)`);
      if (barOn) bar.start(bar.getTotal(), e.step, { epoch: e.epoch + 1, loss: e.loss.toFixed(4), rate: '-' });
    } else if (e.type === 'diverged') {
      if (barOn) bar.stop();
      barOn = false;
      console.error(`diverged at step ${e.step}: ${e.message}; ${e.hint}`);
    }
  });
  const stop = () => {
    console.error('\nstopping after this step (Ctrl-C again to abort)…');
    handle.stop();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', stop);
  const end = await handle.finished;
  process.off('SIGINT', stop);
  if (record) {
    record = finishRecord(record, end, lastEpoch);
    saveRecord();
  }
  if (barOn) bar.stop();
  if (end.type === 'error') throw new UserError(end.message);
  console.log(`${end.reason === 'stopped' ? 'stopped' : 'done'} after ${end.step} steps; wrote ${end.files.map((f) => printable(path.relative('.', f))).join(', ')}`);
}

program
  .command('predict')
  .description('classify images with an exported model: folders are walked recursively; top-k classes with probabilities, one row per file')
  .argument('<model.onnx>')
  .argument('<folder-or-images...>')
  .option('--top-k <k>', 'how many classes per image', int('--top-k'))
  .option('--top <k>', 'the same as --top-k', int('--top'))
  .option('--batch <b>', 'images per ONNX Runtime call', int('--batch'), 256)
  .option('--csv <file>', 'write every row to a CSV file: path, true class (from class folders), top-k classes and probabilities, error')
  .option('--json', 'print JSON')
  .action(async (modelFile: string, inputs: string[], o: { topK?: number; top?: number; batch: number; csv?: string; json?: boolean }) => {
    const top = o.topK ?? o.top ?? 3;
    if (top < 1 || o.batch < 1) throw new UserError('--top-k and --batch must be at least 1');
    const m = await openModel(modelFile);
    const files = collectImages(inputs, m.classNames);
    const bar = new cliProgress.SingleBar({ format: 'predicting |{bar}| {value}/{total} images | {rate} images/s', stream: process.stderr, hideCursor: true, noTTYOutput: false }, cliProgress.Presets.shades_classic);
    const barOn = process.stderr.isTTY && files.length > 256;
    const t0 = performance.now();
    if (barOn) bar.start(files.length, 0, { rate: '-' });
    const rows = await predictFiles(m, files, { top, batch: o.batch, onProgress: (done) => barOn && bar.update(done, { rate: Math.round(done / ((performance.now() - t0) / 1000)) }) });
    if (barOn) bar.stop();
    await m.release();
    const seconds = (performance.now() - t0) / 1000;
    const ok = rows.filter((r) => r.top);
    if (o.csv) fs.writeFileSync(o.csv, predictionsCsv(rows, top));
    if (o.json) console.log(JSON.stringify(rows.map((r) => (r.top ? { image: r.path, ...(r.trueClass ? { trueClass: r.trueClass } : {}), top: r.top } : { image: r.path, error: r.error })), null, 2));
    else if (!o.csv) {
      for (const r of rows) if (r.top) console.log(`${printable(r.path)}: ${r.top.map((t) => `${printable(t.class)} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`);
    }
    for (const r of rows) if (r.error && !o.json) console.error(`${printable(r.path)}: skipped (${r.error})`);
    if (o.csv || files.length > 1) {
      const labelled = ok.filter((r) => r.trueClass);
      const right = labelled.filter((r) => r.top![0].class === r.trueClass).length;
      const acc = labelled.length ? `; top-1 matches the class folder for ${right}/${labelled.length} (${((100 * right) / labelled.length).toFixed(2)}%)` : '';
      console.error(`classified ${ok.length} of ${rows.length} file(s) in ${seconds.toFixed(2)} s (${Math.round(ok.length / seconds)} images/s)${acc}${o.csv ? `; wrote ${o.csv}` : ''}`);
    }
    // Nothing classified is a failure whatever else happened (exit 1, also with --json).
    if (ok.length === 0) {
      if (!o.json) console.error(`netwright: none of the ${rows.length} image(s) could be classified`);
      process.exitCode = 1;
    }
  });

program
  .command('export-pytorch')
  .description('write a PyTorch package: model.py, train.py (single process or torchrun/DDP), weights.pt from a run, README.md')
  .argument('<net.json | run-dir>', 'a network document, or a run folder (its document, class names, normalization and weights)')
  .requiredOption('--out <dir>', 'output folder')
  .addOption(new Option('--weights <which>', "a run's weights: best (best.onnx, else model.onnx), last (model.onnx) or init (init.onnx)").choices(['best', 'last', 'init']).default('best'))
  .action((src: string, o: { out: string; weights: WeightsChoice }) => {
    let r;
    try {
      r = exportPyTorch(loadSource(src, o.weights), o.out);
    } catch (e) {
      if (e instanceof ExportRefusal) throw new UserError(e.message);
      throw e;
    }
    console.log(`wrote ${r.files.map((f) => path.relative('.', f)).join(', ')} (class ${r.className})`);
    console.log(`train: python ${path.join(o.out, 'train.py')} --data DIR   (or: torchrun --nproc_per_node N ${path.join(o.out, 'train.py')} --data DIR)`);
  });

program
  .command('eval')
  .description('accuracy, per-class precision/recall and the confusion matrix on a labelled image folder')
  .argument('<model.onnx>')
  .requiredOption('--data <dir>', 'image folder, one subfolder per class (names as in training)')
  .option('--json', 'print JSON')
  .action(async (modelFile: string, o: { data: string; json?: boolean }) => {
    const m = await openModel(modelFile);
    const scan = await scanImageFolder(o.data, { valSplit: 0, seed: 0 });
    const unknown = scan.classNames.filter((n) => !m.classNames.includes(n));
    if (unknown.length) throw new UserError(`${printable(o.data)} has class folders the model does not know: ${unknown.map(printable).join(', ')} (model classes: ${m.classNames.map(printable).join(', ')})`);
    const samples = [...scan.train, ...scan.val].map((s) => ({ ...s, label: m.classNames.indexOf(scan.classNames[s.label]) }));
    const [c, h, w] = m.inputShape;
    const split = await loadSplit(samples, { height: h, width: w, channels: c as 1 | 3 });
    const probs = await m.scorer.probs(split.pixels, split.count);
    await m.release();
    const rep = report(probs, split.labels, m.classNames, m.loss);
    const skipped = [...scan.skipped, ...split.skipped];
    if (o.json) {
      console.log(JSON.stringify({ model: modelFile, data: o.data, classNames: m.classNames, ...rep, skipped }, null, 2));
      return;
    }
    console.log(`accuracy ${(100 * rep.accuracy).toFixed(2)}% on ${rep.count} images (${LOSSES[m.loss].label} ${rep.loss.toFixed(4)})`);
    const names = m.classNames.map(printable);
    const nameW = Math.max(5, ...names.map((n) => n.length));
    console.log(`${'class'.padEnd(nameW)}  precision  recall  support`);
    for (const pc of rep.perClass) console.log(`${printable(pc.name).padEnd(nameW)}  ${(100 * pc.precision).toFixed(1).padStart(8)}%  ${(100 * pc.recall).toFixed(1).padStart(5)}%  ${String(pc.support).padStart(7)}`);
    console.log('confusion matrix (rows: true class, columns: predicted):');
    for (let i = 0; i < rep.confusion.length; i++) console.log(`${names[i].padEnd(nameW)}  ${rep.confusion[i].map((v) => String(v).padStart(5)).join('')}`);
    if (skipped.length) console.error(`skipped ${skipped.length} file(s): ${skipped.slice(0, 5).map((s) => `${printable(s.path)} (${s.reason})`).join('; ')}${skipped.length > 5 ? '; …' : ''}`);
  });

const floatList = (name: string) => (v: string) => {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`${name} must be comma-separated numbers, e.g. 0.485,0.456,0.406`);
  return xs;
};

program
  .command('import')
  .description('turn an ONNX image classifier into a network document with its weights (a .weights.safetensors file beside it)')
  .argument('<model.onnx>')
  .requiredOption('--out <net.json>', 'the document to write')
  .option('--mean <m>', 'per-channel mean subtracted from the scaled pixels, e.g. 0.485,0.456,0.406', floatList('--mean'))
  .option('--std <s>', 'per-channel std dividing them, e.g. 0.229,0.224,0.225', floatList('--std'))
  .addOption(new Option('--preset <name>', 'preprocessing preset: imagenet = torchvision mean/std').choices(['imagenet']))
  .addOption(new Option('--scale <range>', "pixel range before mean/std: 0-1 (x/255) or 0-255").choices(['0-1', '0-255']))
  .option('--open', 'leave the output open (no Output head) even if the graph ends in class scores')
  .option('--force', 'replace the document and weights file if they exist')
  .action((src: string, o: { out: string; mean?: number[]; std?: number[]; preset?: 'imagenet'; scale?: '0-1' | '0-255'; open?: boolean; force?: boolean }) => {
    if (o.preset && (o.mean || o.std)) throw new UserError('--preset sets mean and std: leave out --mean and --std');
    const pre = o.preset === 'imagenet' ? IMAGENET : { mean: o.mean, std: o.std };
    let r;
    try {
      r = importOnnxFile(src, o.out, { ...pre, scale: o.scale, head: o.open ? 'open' : 'auto', overwrite: o.force });
    } catch (e) {
      throw new UserError(`cannot import ${src}: ${(e as Error).message}`);
    }
    const a = inferShapes(r.result.doc);
    console.log(`imported ${src} (opset ${r.result.opset}, ${r.result.counts.onnxNodes} ONNX nodes) as ${r.result.counts.layers} layers${r.result.doc.blocks?.length ? ` (${r.result.doc.blocks.length} blocks, collapsed)` : ''}: ${a.totals.params.toLocaleString('en-US')} parameters`);
    console.log(`wrote ${r.docPath} and ${r.weightsPath}`);
    if (r.result.open) console.log("the graph's output is not class scores: the output is left open; add the head (Dense + Output) in the editor");
  });

program
  .command('export')
  .description("write the inference ONNX of a document with its weights (or of a run's model), checked in ONNX Runtime")
  .argument('<net.json | run-dir>')
  .requiredOption('--out <model.onnx>', 'the ONNX file to write')
  .option('--last', "a run's last model instead of its best")
  .option('--json', 'print the result as JSON')
  .action(async (src: string, o: { out: string; last?: boolean; json?: boolean }) => {
    let res;
    try {
      if (fs.statSync(src).isDirectory()) {
        const best = path.join(src, 'best.onnx');
        const file = !o.last && fs.existsSync(best) ? best : path.join(src, 'model.onnx');
        if (!fs.existsSync(file)) throw new Error(`${src} has no model.onnx (is it a run folder, and has its first epoch ended?)`);
        const bytes = fs.readFileSync(file);
        const docJson = decodeModel(bytes).metadata['netwright.document'];
        if (!docJson) throw new Error(`${file} does not carry its document (netwright.document)`);
        res = await exportDocument(documentOrThrow(docJson, file), o.out, { modelBytes: bytes });
      } else res = await exportDocument(loadDocument(src), o.out, { docDir: path.dirname(src) });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (o.json) console.log(JSON.stringify(res, null, 2));
    else console.log(`wrote ${res.path} (${res.bytes.toLocaleString('en-US')} bytes); ONNX Runtime reproduces the engine on ${res.compared} images: max abs diff ${res.maxAbsDiff.toExponential(2)} (tolerance ${res.tolerance})`);
    if (!res.ok) throw new UserError(`the exported model does not match the engine (max abs diff ${res.maxAbsDiff}, same class on ${res.sameArgmax}/${res.compared})`);
  });

const dataset = program.command('dataset').description('image-folder datasets');
dataset
  .command('inspect')
  .description('decode a dataset (through the cache) and report classes, counts per split, skipped files, duplicates and train/val leakage')
  .argument('<dir>')
  .option('--net <net.json>', "take size, channels, resize policy, split and seed from a network document")
  .option('--size <HxW>', 'decode size, e.g. 28x28 or 32 (default 32x32)')
  .addOption(new Option('--channels <c>', 'channels to decode to').choices(['1', '3']))
  .addOption(new Option('--resize <policy>', 'resize policy').choices([...RESIZE_POLICIES]))
  .option('--val-split <f>', 'fraction of each class held out for validation (default 0.1)', float('--val-split'))
  .option('--seed <s>', 'split seed (default 1)', int('--seed'))
  .option('--cache-dir <dir>', 'decoded-pixel cache folder (default ~/.cache/netwright/images)')
  .option('--no-cache', 'decode into a throwaway cache')
  .option('--json', 'print the report as JSON')
  .action(async (dir: string, o: { net?: string; size?: string; channels?: string; resize?: ResizePolicy; valSplit?: number; seed?: number; cacheDir?: string; cache: boolean; json?: boolean }) => {
    const doc = o.net ? loadDocument(o.net) : undefined;
    const spec = doc ? { ...imageSpec(doc), resize: doc.training.data?.resize } : { height: 32, width: 32, channels: 3 as 1 | 3, resize: undefined as ResizePolicy | undefined };
    if (o.size) {
      const m = /^(\d+)(?:x(\d+))?$/.exec(o.size);
      if (!m) throw new UserError(`--size must look like 28x28 or 32, got ${o.size}`);
      spec.height = Number(m[1]);
      spec.width = Number(m[2] ?? m[1]);
    }
    if (o.channels) spec.channels = Number(o.channels) as 1 | 3;
    if (o.resize) spec.resize = o.resize;
    const valSplit = o.valSplit ?? doc?.training.valSplit ?? 0.1;
    const seed = o.seed ?? doc?.training.seed ?? 1;
    const scan = await scanImageFolder(dir, { valSplit, seed });
    const tty = process.stderr.isTTY && !o.json;
    const bar = new cliProgress.SingleBar({ format: 'decoding |{bar}| {value}/{total}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    let barOn = false;
    const data = await loadDataset(scan, spec, {
      cacheDir: o.cache ? o.cacheDir : false,
      onProgress: (done, total) => {
        if (!tty || total < 500) return;
        if (!barOn) {
          bar.start(total, 0);
          barOn = true;
        }
        bar.update(done);
      },
    });
    if (barOn) bar.stop();
    data.close();
    const rep = datasetReport(scan, data);
    if (o.json) console.log(JSON.stringify({ ...rep, decode: { ...data.stats, spec, cache: o.cache ? data.cacheFolder : null } }, null, 2));
    else {
      console.log(formatReport(rep));
      console.log(`decoded ${data.stats.decoded} file(s), ${data.stats.fromCache} from the cache (${spec.height}x${spec.width}x${spec.channels}, ${spec.resize ?? 'stretch'})`);
    }
    if (rep.totals.train + rep.totals.val === 0) throw new UserError(`no usable images in ${printable(scan.root)}: every file was skipped; expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class`);
  });

program
  .command('demo')
  .description('the first run: write the sample dataset, train the sample project on it, and evaluate the result')
  .option('--out <dir>', 'output folder', path.join('runs', 'sample-shapes'))
  .action(async (o: { out: string }) => {
    const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
    const data = path.join(root, '.cache', 'sample-shapes');
    const n = writeSampleDataset(data);
    console.log(n ? `wrote the sample dataset (${n} images) to ${data}` : `sample dataset: ${data}`);
    await program.parseAsync(['train', path.join(root, 'examples', 'sample-shapes.json'), '--data', data, '--out', o.out], { from: 'user' });
    console.log(`\ntry it: netwright predict ${path.join(o.out, 'model.onnx')} ${path.join(data, 'circle', '0000.png')}`);
  });

program
  .command('sample-data')
  .description(`write the built-in sample dataset (${SAMPLE_CLASSES.join(', ')}) as PNG class folders`)
  .argument('<dir>')
  .option('--per-class <n>', 'images per class', int("--per-class"), 400)
  .option('--seed <s>', 'generator seed', int('--seed'), 1)
  .action((dir: string, o: { perClass: number; seed: number }) => {
    const n = writeSampleDataset(dir, o.perClass, o.seed);
    console.log(n ? `wrote ${n} images to ${printable(dir)}` : `${printable(dir)} already holds the sample dataset`);
  });

program
  .command('import-idx')
  .description('turn MNIST-style IDX files (plain or .gz) into a class-per-subfolder PNG folder')
  .argument('<images-idx>')
  .argument('<labels-idx>')
  .requiredOption('--out <dir>', 'output folder')
  .option('--classes <names>', "comma-separated class names for labels 0, 1, …, or 'fashion-mnist'")
  .option('--limit <n>', 'import only the first n images', int('--limit'))
  .action(async (images: string, labels: string, o: { out: string; classes?: string; limit?: number }) => {
    const classes = o.classes === 'fashion-mnist' ? FASHION_MNIST_CLASSES : o.classes?.split(',').map((s) => s.trim());
    const r = await importIdx(images, labels, o.out, { classes, limit: o.limit });
    console.log(`wrote ${r.count} images to ${printable(o.out)}: ${Object.entries(r.perClass).map(([k, v]) => `${printable(k)} ${v}`).join(', ')}`);
  });

program
  .command('serve')
  .description('web mode: serve the editor and its engine bridge on 127.0.0.1 (the URL carries a per-launch access token)')
  .option('--port <p>', 'port (default: a free one)', int('--port'))
  .option('--root <dir>', 'folder whose network documents the editor may open and save', '.')
  .option('--open', 'open the editor in the default browser')
  .option('--doc <net.json>', 'network document the editor opens first (inside --root)')
  .option('--data <dir>', 'dataset folder the Train view starts with (readable even outside --root)')
  .option('--datasets <dir>', 'a read-only folder of shared datasets (repeatable), e.g. /usr/share/datasets', (v: string, acc: string[]) => [...acc, path.resolve(v)], [] as string[])
  .option('--threads <n>', 'ONNX Runtime threads for training (default: all cores)', int('--threads'))
  .option('--lang <tag>', 'UI language, en or zh-CN (default: $NETWRIGHT_LANG, else the saved choice, else the browser\'s)')
  .action(async (o: { port?: number; root: string; open?: boolean; doc?: string; data?: string; datasets: string[]; threads?: number; lang?: string }) => {
    let web;
    const lang = o.lang ?? process.env.NETWRIGHT_LANG;
    if (lang && !/^(en|zh)([-_]|$)/i.test(lang)) throw new UserError(`--lang ${lang}: the UI speaks en and zh-CN`);
    try {
      web = await serve({ port: o.port, root: o.root, initialDoc: o.doc && path.resolve(o.doc), initialData: o.data && path.resolve(o.data), datasetRoots: o.datasets, threads: o.threads, lang });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    console.log(`Netwright editor: ${web.url}`);
    console.log('(listening on 127.0.0.1 only; Ctrl-C to stop)');
    if (o.open) {
      const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawn(cmd, [web.url], { stdio: 'ignore', detached: true }).on('error', () => console.error(`could not start ${cmd}; open the URL above yourself`)).unref();
    }
    const stop = () => void web.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

// `netwright eval … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await program.parseAsync();
} catch (e) {
  // A name deep in a message (a file a library could not read) gets the same escaping, line by line.
  console.error(`netwright: ${(e as Error).message.split('\n').map(printable).join('\n')}`);
  process.exitCode = 1;
}
