// Every UI text exists in both languages, and each pair is one ICU message with the same
// placeholders: a key missing from a language, a message ICU cannot parse, or a translation that
// drops or renames a {placeholder} fails here (not as a raw key or "{n}" on screen).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { createI18n, LANGUAGES, NAMESPACES, RESOURCES } from '../../renderer/i18n/index.ts';

type Tree = { [k: string]: string | Tree };

/** Every leaf of a nested resource as 'a.b.c' → text. */
export function flatten(tree: Tree, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') for (const [kk, vv] of flatten(v as Tree, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

/** The arguments a message uses, with their kind ('n:number', 'count:plural', 'name:text'). */
export function placeholders(message: string): Set<string> {
  const out = new Set<string>();
  const walk = (els: MessageFormatElement[]) => {
    for (const e of els) {
      if (e.type === TYPE.argument) out.add(`${e.value}:text`);
      else if (e.type === TYPE.number) out.add(`${e.value}:number`);
      else if (e.type === TYPE.date || e.type === TYPE.time) out.add(`${e.value}:date`);
      else if (e.type === TYPE.plural) (out.add(`${e.value}:plural`), Object.values(e.options).forEach((o) => walk(o.value)));
      else if (e.type === TYPE.select) (out.add(`${e.value}:select`), Object.values(e.options).forEach((o) => walk(o.value)));
      else if (e.type === TYPE.tag) walk(e.children);
    }
  };
  walk(parse(message));
  return out;
}

/** What is wrong between two languages' resources (empty: nothing). */
export function compareResources(a: Record<string, Tree>, b: Record<string, Tree>, names = ['a', 'b']): string[] {
  const problems: string[] = [];
  for (const ns of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = flatten(a[ns] ?? {});
    const fb = flatten(b[ns] ?? {});
    for (const [k] of fa) if (!fb.has(k)) problems.push(`${ns}:${k} is in ${names[0]} but not in ${names[1]}`);
    for (const [k] of fb) if (!fa.has(k)) problems.push(`${ns}:${k} is in ${names[1]} but not in ${names[0]}`);
    for (const [k, va] of fa) {
      const vb = fb.get(k);
      if (vb === undefined) continue;
      if (typeof va !== 'string' || typeof vb !== 'string') {
        problems.push(`${ns}:${k} is not a string in ${typeof va !== 'string' ? names[0] : names[1]}`);
        continue;
      }
      if (!va.trim() || !vb.trim()) problems.push(`${ns}:${k} is empty in ${!va.trim() ? names[0] : names[1]}`);
      let pa: Set<string>, pb: Set<string>;
      try {
        pa = placeholders(va);
      } catch (e) {
        problems.push(`${ns}:${k} in ${names[0]} is not an ICU message: ${(e as Error).message}`);
        continue;
      }
      try {
        pb = placeholders(vb);
      } catch (e) {
        problems.push(`${ns}:${k} in ${names[1]} is not an ICU message: ${(e as Error).message}`);
        continue;
      }
      const da = [...pa].filter((p) => !pb.has(p));
      const db = [...pb].filter((p) => !pa.has(p));
      if (da.length || db.length) problems.push(`${ns}:${k} placeholders differ: ${names[0]} {${[...pa].join(', ')}}, ${names[1]} {${[...pb].join(', ')}}`);
    }
  }
  return problems;
}

const asTrees = (r: unknown) => r as Record<string, Tree>;

test('every key of every namespace is in both languages, with the same ICU placeholders', () => {
  assert.deepEqual(Object.keys(RESOURCES), [...LANGUAGES]);
  for (const l of LANGUAGES) assert.deepEqual(Object.keys(RESOURCES[l]), [...NAMESPACES], `${l} has every namespace`);
  assert.deepEqual(compareResources(asTrees(RESOURCES.en), asTrees(RESOURCES['zh-CN']), ['en', 'zh-CN']), []);
  assert.ok(flatten(asTrees(RESOURCES.en).common).size > 300, 'the common namespace holds the whole UI');
});

test('the check itself catches a missing nested key, a broken message and a renamed placeholder', () => {
  const en = { common: { a: { b: 'x', c: '{n, number} layers' }, d: '{count, plural, one {# x} other {# xs}}' } };
  assert.deepEqual(compareResources(en, { common: { a: { b: 'x', c: '{n, number} 层' }, d: '{count, plural, other {# 个}}' } }), []);
  const missing = compareResources(en, { common: { a: { c: '{n, number} 层' }, d: '{count, plural, other {# 个}}' } });
  assert.deepEqual(missing, ['common:a.b is in a but not in b']);
  const broken = compareResources(en, { common: { a: { b: 'x', c: '{n, number 层' }, d: '{count, plural, other {# 个}}' } });
  assert.equal(broken.length, 1);
  assert.match(broken[0], /common:a\.c in b is not an ICU message/);
  const renamed = compareResources(en, { common: { a: { b: 'x', c: '{m, number} 层' }, d: '{count, plural, other {# 个}}' } });
  assert.deepEqual(renamed, ['common:a.c placeholders differ: a {n:number}, b {m:number}']);
  const kind = compareResources(en, { common: { a: { b: 'x', c: '{n} 层' }, d: '{count, plural, other {# 个}}' } });
  assert.equal(kind.length, 1, 'a number shown as plain text is a different placeholder');
  const extraNs = compareResources({ ...en, learn: { x: 'y' } }, en);
  assert.deepEqual(extraNs, ['learn:x is in a but not in b']);
});

test('ICU plurals and numbers render per language', () => {
  const en = createI18n('en', false);
  const zh = createI18n('zh-CN', false);
  assert.equal(en.t('sample.layers', { count: 1 }), '1 layer');
  assert.equal(en.t('sample.layers', { count: 1234 }), '1,234 layers');
  assert.equal(zh.t('sample.layers', { count: 1234 }), '1,234 层');
  assert.equal(zh.t('language.label'), '语言');
});
