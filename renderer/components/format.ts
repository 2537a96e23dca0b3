// Numbers for people: 61,706 params; 0.83 MFLOPs; 12.3 KB.
export const count = (n: number): string => n.toLocaleString('en-US');

export function short(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KB`;
  return `${n} B`;
}

/** "1 class", "3 classes", "1 image", "0 images". */
export function plural(n: number, one: string, many = `${one}${/(s|x|ch|sh)$/.test(one) ? 'es' : 's'}`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** An optimizer's name as people write it (the document stores 'sgd', 'adam', 'adamw'); the same in every language. */
export const OPTIMIZER_NAMES: Record<string, string> = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW' };
