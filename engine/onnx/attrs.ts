// Reading a node's attributes: the value when the node has it, the default when it does not.
// One set of readers for the gradient rules (graphs we built) and the ONNX import (graphs
// anyone built), so a wrongly typed attribute fails the same way everywhere.
import type { Attr, NodeIR } from './model.ts';

/** An attribute of the wrong type; the import turns it into an error naming the node (errors:onnx-attr-type). */
export class AttrTypeError extends Error {
  constructor(readonly attr: string, readonly expected: 'int' | 'float' | 'ints') {
    super(`attribute ${attr} should be ${{ int: 'an integer', float: 'a float', ints: 'a list of integers' }[expected]}`);
  }
}

const attr = (n: NodeIR, k: string): Attr | undefined => n.attrs?.[k];

/** An integer attribute (a float one is read as its number, as exporters sometimes write it). */
export function int(n: NodeIR, k: string, d: number): number {
  const a = attr(n, k);
  if (!a) return d;
  if ('i' in a) return a.i;
  if ('f' in a) return a.f;
  throw new AttrTypeError(k, 'int');
}

export function float(n: NodeIR, k: string, d: number): number {
  const a = attr(n, k);
  if (!a) return d;
  if ('f' in a) return a.f;
  if ('i' in a) return a.i;
  throw new AttrTypeError(k, 'float');
}

/** A list of integers (a single integer is read as a list of one). */
export function ints(n: NodeIR, k: string, d: number[] = []): number[] {
  const a = attr(n, k);
  if (!a) return d;
  if ('ints' in a) return a.ints;
  if ('i' in a) return [a.i];
  throw new AttrTypeError(k, 'ints');
}

export function string(n: NodeIR, k: string, d: string): string {
  const a = attr(n, k);
  return a && 's' in a ? a.s : d;
}

export const hasAttr = (n: NodeIR, k: string): boolean => attr(n, k) !== undefined;
