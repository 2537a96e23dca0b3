// Every layer kind Netwright knows. Adding a layer: its module in layers/, one line here, its tests.
import type { LayerDef } from './layer.ts';
import { Clip, ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh } from './layers/activations.ts';
import { BatchNorm } from './layers/batch-norm.ts';
import { Conv2D } from './layers/conv2d.ts';
import { Dense } from './layers/dense.ts';
import { Dropout } from './layers/dropout.ts';
import { Flatten } from './layers/flatten.ts';
import { GlobalAvgPool } from './layers/global-avg-pool.ts';
import { Input } from './layers/input.ts';
import { Add, Concat } from './layers/merge.ts';
import { Output } from './layers/output.ts';
import { AvgPool2D, MaxPool2D } from './layers/pool2d.ts';

export const LAYERS: readonly LayerDef[] = [
  Input, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool, Flatten, Dense, Dropout, BatchNorm, Add, Concat,
  ReLU, LeakyReLU, ELU, Sigmoid, Tanh, GELU, Softmax, Clip, Output,
];

const BY_TYPE = new Map(LAYERS.map((l) => [l.type, l]));

export function layerDef(type: string): LayerDef | undefined {
  return BY_TYPE.get(type);
}
