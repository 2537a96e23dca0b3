// The bench's nets as Netwright documents: the three 28x28 grayscale examples, and the RGB nets
// users start from (a ResNet-style net at 64x64, a MobileNetV2-style net at 96x96). Their
// PyTorch twins are bench/torch/nets.py; the bench checks both sides count the same parameters.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type NetworkDocument } from '../engine/graph/document.ts';
import { importOnnx } from '../engine/graph/from-onnx.ts';
import { Builder, type Spec } from '../renderer/store/templates.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Conv (no bias, PyTorch's symmetric padding), BatchNorm, then an optional activation. */
function convBn(id: string, filters: number, kernel: number, stride: number, act: Spec | null, groups = 1): Spec[] {
  return [
    [`${id}conv`, 'Conv2D', { filters, kernel, stride, padding: 'explicit', pad: (kernel - 1) >> 1, groups, bias: false }],
    [`${id}bn`, 'BatchNorm'],
    ...(act ? [[`${id}${act[0]}`, act[1], act[2] ?? {}] as Spec] : []),
  ];
}

/** ResNet at 64x64 RGB: stem, two stages of two basic blocks (32 then 64 channels, the second stage at stride 2). */
export function resnet64(): NetworkDocument {
  const c = new Builder();
  const relu: Spec = ['relu', 'ReLU'];
  const block = (from: string, id: string, filters: number, stride: number, down: boolean): string => {
    const branch = c.chain(from, [...convBn(`${id}a`, filters, 3, stride, relu), ...convBn(`${id}b`, filters, 3, 1, null)]);
    const skip = down ? c.chain(from, convBn(`${id}down`, filters, 1, stride, null)) : from;
    const add = c.chain(branch, [[`${id}add`, 'Add', { inputs: 2 }]]);
    c.link(skip, add, 1);
    return c.chain(add, [[`${id}relu`, 'ReLU']]);
  };
  let x = c.chain(null, [['input', 'Input', { height: 64, width: 64, color: 'rgb' }], ...convBn('stem', 32, 3, 1, relu)]);
  x = block(x, 's1b1', 32, 1, false);
  x = block(x, 's1b2', 32, 1, false);
  x = block(x, 's2b1', 64, 2, true);
  x = block(x, 's2b2', 64, 1, false);
  c.chain(x, [['gap', 'GlobalAvgPool'], ['fc', 'Dense', { units: 10 }], ['output', 'Output', { loss: 'cross_entropy' }]]);
  return c.doc('resnet-64: ResNet-style, 64x64 RGB');
}

/** MobileNetV2 at 96x96 RGB: stem at stride 2, inverted residuals (t, c, n, s) = (1,16,1,1), (6,24,2,2), (6,32,2,2), 1x1 to 128. */
export function mobilenetv2_96(): NetworkDocument {
  const c = new Builder();
  const relu6: Spec = ['relu6', 'Clip', { min: 0, max: 6 }];
  let x = c.chain(null, [['input', 'Input', { height: 96, width: 96, color: 'rgb' }], ...convBn('stem', 32, 3, 2, relu6)]);
  let channels = 32;
  let i = 0;
  for (const [t, out, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2]]) {
    for (let r = 0; r < n; r++) {
      const id = `ir${++i}`;
      const stride = r === 0 ? s : 1;
      const hidden = channels * t;
      const specs: Spec[] = [
        ...(t !== 1 ? convBn(`${id}exp`, hidden, 1, 1, relu6) : []),
        ...convBn(`${id}dw`, hidden, 3, stride, relu6, hidden),
        ...convBn(`${id}proj`, out, 1, 1, null),
      ];
      const y = c.chain(x, specs);
      if (stride === 1 && channels === out) {
        const add = c.chain(y, [[`${id}add`, 'Add', { inputs: 2 }]]);
        c.link(x, add, 1);
        x = add;
      } else x = y;
      channels = out;
    }
  }
  x = c.chain(x, convBn('head', 128, 1, 1, relu6));
  c.chain(x, [['gap', 'GlobalAvgPool'], ['fc', 'Dense', { units: 10 }], ['output', 'Output', { loss: 'cross_entropy' }]]);
  return c.doc('mobilenetv2-96: MobileNetV2-style, 96x96 RGB');
}

/**
 * torchvision's resnet18 (10 classes) at 224x224, as `netwright import` reads PyTorch's export
 * (bench/torch/export_resnet18.py, cached in .cache/bench/). The bench times its inference and
 * head-only fine-tuning; the weights (random) do not matter for speed and are left out.
 */
export function resnet18_224(): NetworkDocument {
  const file = path.join(root, '.cache', 'bench', 'resnet18-224.onnx');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench', 'torch', 'export_resnet18.py'), file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`resnet18-224 needs python3-torch and python3-torchvision to export resnet18: ${r.stderr}`);
  }
  const { doc } = importOnnx(fs.readFileSync(file), { name: 'resnet18-224: torchvision resnet18, 224x224 RGB' });
  delete doc.weights;
  return doc;
}

const EXAMPLES: Record<string, string> = { mlp: 'examples/mlp.json', lenet5: 'examples/lenet5.json', small_cnn: 'examples/small-cnn.json' };
const BUILT: Record<string, () => NetworkDocument> = { 'resnet-64': resnet64, 'mobilenetv2-96': mobilenetv2_96, 'resnet18-224': resnet18_224 };

/** What the bench times per net, and at which training batch (bench/torch/nets.py PLAN: the same). */
export function benchPlan(name: string): { batch: number; phases: ('train' | 'head' | 'infer')[] } {
  if (name === 'resnet18-224') return { batch: 32, phases: ['head', 'infer'] };
  return { batch: 64, phases: ['train', 'infer'] };
}

/** Inference batch: 256 for 28x28 images, 64 for the RGB nets, 32 for resnet18 at 224. */
export function inferBatch(name: string, perSample: number): number {
  if (name === 'resnet18-224') return 32;
  return perSample > 4096 ? 64 : 256;
}

/** Every net the bench knows, by the name both sides use. */
export const BENCH_NETS = [...Object.keys(EXAMPLES), ...Object.keys(BUILT)];

export function benchNet(name: string): NetworkDocument {
  if (BUILT[name]) return BUILT[name]();
  const file = EXAMPLES[name];
  if (!file) throw new Error(`unknown bench net '${name}' (known: ${BENCH_NETS.join(', ')})`);
  const r = parseDocument(fs.readFileSync(path.join(root, file), 'utf8'));
  if (!r.ok) throw new Error(`cannot load ${file}`);
  return r.doc;
}
