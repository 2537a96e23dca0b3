// The dataset folder chosen for each document, kept in the page's local storage, so a reload (or
// reopening the document) brings it back; the recent folders are the picker's shortcuts.
const KEY = 'netwright.datasets';
const MAX_RECENT = 8;

interface Saved {
  byDoc: Record<string, string>;
  recent: string[];
}

function read(): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '') as Partial<Saved>;
    return { byDoc: v.byDoc && typeof v.byDoc === 'object' ? v.byDoc : {}, recent: Array.isArray(v.recent) ? v.recent.filter((x) => typeof x === 'string') : [] };
  } catch {
    return { byDoc: {}, recent: [] };
  }
}

/** A document is known by its file, or by its name while it has none. */
export const docKey = (s: { path: string | null; doc: { name: string } }): string => s.path ?? `untitled:${s.doc.name}`;

export function recallDataDir(key: string): string | null {
  return read().byDoc[key] ?? null;
}

export function rememberDataDir(key: string, dir: string): void {
  const v = read();
  v.byDoc[key] = dir;
  v.recent = [dir, ...v.recent.filter((d) => d !== dir)].slice(0, MAX_RECENT);
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    // storage full or off: the choice lasts until the reload
  }
}

export function recentDataDirs(): string[] {
  return read().recent;
}
