// A path written relative to one document's folder, rewritten for a document saved elsewhere
// (an imported model's `weights` file after Save as). Pure string work, so the editor uses it too;
// '/' and '\' both separate, and a path that is already absolute is kept as it is.

export const isAbsolutePath = (p: string): boolean => /^([A-Za-z]:)?[\\/]/.test(p);
const parts = (p: string) => p.split(/[\\/]+/).filter((s) => s && s !== '.');

function normalize(segs: string[]): string[] {
  const out: string[] = [];
  for (const s of segs) {
    if (s === '..' && out.length && out.at(-1) !== '..') out.pop();
    else out.push(s);
  }
  return out;
}

/** `rel`, relative to `fromFile`'s folder, as seen from `toFile`'s folder. */
export function rebaseRelative(rel: string, fromFile: string, toFile: string): string {
  if (isAbsolutePath(rel)) return rel;
  const from = normalize(parts(fromFile).slice(0, -1));
  const to = normalize(parts(toFile).slice(0, -1));
  const target = normalize([...from, ...parts(rel)]);
  let i = 0;
  while (i < to.length && i < target.length && to[i] === target[i]) i++;
  return [...to.slice(i).map(() => '..'), ...target.slice(i)].join('/') || '.';
}
