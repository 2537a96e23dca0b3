// Starting points for the editor. Each must analyse with no problems and train as it is
// (test/renderer/templates.test.ts checks both the analysis and the expected parameter counts).
import { FORMAT, FORMAT_VERSION, documentSchema, type NetworkDocument } from '../../engine/graph/document.ts';
import type { ParamValue } from '../../engine/graph/layer.ts';
import { NODE_SPACING } from './editor-store.ts';

export type Spec = [id: string, type: string, params?: Record<string, ParamValue>];

/** Builds a document layer by layer (the templates here, the bench's nets in bench/nets.ts). */
export class Builder {
  nodes: NetworkDocument['nodes'] = [];
  edges: NetworkDocument['edges'] = [];
  private y = 40;

  /** Appends layers one under another at column `x`, each fed by the one before (the first by `from`). */
  chain(from: string | null, specs: Spec[], x = 80): string {
    let prev = from;
    for (const [id, type, params = {}] of specs) {
      this.nodes.push({ id, type, params, position: { x, y: this.y } });
      this.y += NODE_SPACING;
      if (prev) this.link(prev, id);
      prev = id;
    }
    return prev!;
  }

  link(source: string, target: string, targetPort = 0): void {
    this.edges.push({ id: `e${this.edges.length + 1}`, source, target, targetPort });
  }

  doc(name: string): NetworkDocument {
    return documentSchema.parse({ format: FORMAT, version: FORMAT_VERSION, name, nodes: this.nodes, edges: this.edges });
  }
}

function mlp(name: string): NetworkDocument {
  const b = new Builder();
  b.chain(null, [
    ['input', 'Input', { height: 28, width: 28, color: 'grayscale' }],
    ['flatten', 'Flatten'],
    ['fc1', 'Dense', { units: 256 }],
    ['relu1', 'ReLU'],
    ['fc2', 'Dense', { units: 10 }],
    ['output', 'Output', { loss: 'cross_entropy' }],
  ]);
  return b.doc(name);
}

function lenet5(name: string): NetworkDocument {
  const b = new Builder();
  b.chain(null, [
    ['input', 'Input', { height: 28, width: 28, color: 'grayscale' }],
    ['conv1', 'Conv2D', { filters: 6, kernel: 5, padding: 'explicit', pad: 2 }],
    ['relu1', 'ReLU'],
    ['pool1', 'MaxPool2D', { size: 2, stride: 2 }],
    ['conv2', 'Conv2D', { filters: 16, kernel: 5, padding: 'valid' }],
    ['relu2', 'ReLU'],
    ['pool2', 'MaxPool2D', { size: 2, stride: 2 }],
    ['flatten', 'Flatten'],
    ['fc1', 'Dense', { units: 120 }],
    ['relu3', 'ReLU'],
    ['fc2', 'Dense', { units: 84 }],
    ['relu4', 'ReLU'],
    ['fc3', 'Dense', { units: 10 }],
    ['output', 'Output', { loss: 'cross_entropy' }],
  ]);
  return b.doc(name);
}

function vgg(name: string): NetworkDocument {
  const b = new Builder();
  const block = (i: number, filters: number): Spec[] => [
    [`conv${i}a`, 'Conv2D', { filters, kernel: 3, padding: 'same' }],
    [`relu${i}a`, 'ReLU'],
    [`conv${i}b`, 'Conv2D', { filters, kernel: 3, padding: 'same' }],
    [`relu${i}b`, 'ReLU'],
    [`pool${i}`, 'MaxPool2D', { size: 2, stride: 2 }],
  ];
  b.chain(null, [
    ['input', 'Input', { height: 32, width: 32, color: 'rgb' }],
    ...block(1, 32),
    ...block(2, 64),
    ['flatten', 'Flatten'],
    ['fc1', 'Dense', { units: 128 }],
    ['relu3', 'ReLU'],
    ['drop', 'Dropout', { rate: 0.5 }],
    ['fc2', 'Dense', { units: 10 }],
    ['output', 'Output', { loss: 'cross_entropy' }],
  ]);
  return b.doc(name);
}

function resnet(name: string): NetworkDocument {
  const b = new Builder();
  // Residual block: conv-bn-relu-conv-bn, plus the block's input, then ReLU.
  // The branch sits to the right, so the skip connection runs straight down beside it.
  const block = (from: string, i: number, filters: number): string => {
    const branch = b.chain(from, [
      [`b${i}conv1`, 'Conv2D', { filters, kernel: 3, padding: 'same', bias: false }],
      [`b${i}bn1`, 'BatchNorm'],
      [`b${i}relu1`, 'ReLU'],
      [`b${i}conv2`, 'Conv2D', { filters, kernel: 3, padding: 'same', bias: false }],
      [`b${i}bn2`, 'BatchNorm'],
    ], 340);
    const add = b.chain(branch, [[`b${i}add`, 'Add', { inputs: 2 }]]);
    b.link(from, add, 1);
    return b.chain(add, [[`b${i}relu2`, 'ReLU']]);
  };
  let x = b.chain(null, [
    ['input', 'Input', { height: 32, width: 32, color: 'rgb' }],
    ['stem', 'Conv2D', { filters: 16, kernel: 3, padding: 'same', bias: false }],
    ['stembn', 'BatchNorm'],
    ['stemrelu', 'ReLU'],
  ]);
  x = block(x, 1, 16);
  x = b.chain(x, [
    ['down', 'Conv2D', { filters: 32, kernel: 3, stride: 2, padding: 'same', bias: false }],
    ['downbn', 'BatchNorm'],
    ['downrelu', 'ReLU'],
  ]);
  x = block(x, 2, 32);
  b.chain(x, [
    ['gap', 'GlobalAvgPool'],
    ['fc', 'Dense', { units: 10 }],
    ['output', 'Output', { loss: 'cross_entropy' }],
  ]);
  return b.doc(name);
}

/**
 * The templates in the toolbar's menu. Their label, help and document name are texts of the UI
 * (`template.<id>.label`, `.help`, `.name` in common.json): `make` takes the name in the UI's
 * language, English by default (the name the CLI and tests see).
 */
export const TEMPLATES: { id: string; make: (name?: string) => NetworkDocument }[] = [
  { id: 'mlp', make: (name = 'MLP (28x28x1)') => mlp(name) },
  { id: 'lenet5', make: (name = 'LeNet-5 (28x28x1)') => lenet5(name) },
  { id: 'vgg', make: (name = 'Small VGG (32x32 RGB)') => vgg(name) },
  { id: 'resnet', make: (name = 'Small ResNet (32x32 RGB)') => resnet(name) },
];
