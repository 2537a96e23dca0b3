// Every layer kind in the registry is shown in each UI language: its canvas summary line (each
// part's `nodeSummary.<key>`), its label, help and parameter texts, and every enum option. A new
// layer kind, parameter, option or summary part without a text fails here, naming it. English
// summaries are the engine's own line (graph/summary.ts); the English resource must say the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { i18n as I18n } from 'i18next';
import { withDefaults, type LayerDef, type Params } from '../../engine/graph/layer.ts';
import { LAYERS } from '../../engine/graph/registry.ts';
import { partText, SUMMARY_CODES, summaryText, type SummaryPart } from '../../engine/graph/summary.ts';
import { createI18n, LANGUAGES } from '../../renderer/i18n/index.ts';
import { summaryLine } from '../../renderer/i18n/summary.ts';

const en = createI18n('en', false);
const zh = createI18n('zh-CN', false);

/** Params that reach every branch of a layer's summary: the defaults, each enum option, each bool flipped, one number moved. */
function variants(def: LayerDef): Params[] {
  const base = withDefaults(def);
  const out: Params[] = [base];
  for (const [name, spec] of Object.entries(def.params)) {
    if (spec.kind === 'enum') for (const o of spec.options) out.push({ ...base, [name]: o });
    else if (spec.kind === 'bool') out.push({ ...base, [name]: !spec.default });
    else out.push({ ...base, [name]: spec.default === spec.max ? spec.min : spec.kind === 'int' ? Math.min(spec.max, spec.default + 1) : Math.min(spec.max, spec.default + 0.25) });
  }
  return out;
}

/** Words a Chinese line may keep: names, symbols and axis letters. */
const KEEP = /\b(RGB|MSE|softmax|H|W)\b/g;

/** What `inst` cannot show of `def` in its language (empty: everything). */
function untranslated(def: LayerDef, inst: I18n): string[] {
  const missing: string[] = [];
  const need = (key: string) => inst.exists(key) || missing.push(`${inst.language}: ${def.type}: ${key}`);
  need(`layer.${def.type}.label`);
  need(`layer.${def.type}.help`);
  for (const [name, spec] of Object.entries(def.params)) {
    need(`layer.${def.type}.param.${name}`);
    need(`paramName.${name}`);
    if (spec.kind === 'enum') for (const o of spec.options) need(`option.${name}.${o}`);
  }
  for (const p of variants(def)) {
    for (const part of def.summary(p)) {
      if (!need(`nodeSummary.${part.key}`)) continue;
      const text = inst.t(`nodeSummary.${part.key}`, part.params as Record<string, unknown>);
      if (/[{}]/.test(text)) missing.push(`${inst.language}: ${def.type}: nodeSummary.${part.key} leaves a placeholder: ${text}`);
      if (inst.language.startsWith('en') && text !== partText(part)) missing.push(`en: ${def.type}: nodeSummary.${part.key} says "${text}", the engine "${partText(part)}"`);
      if (inst.language === 'zh-CN' && /[A-Za-z]{2,}/.test(text.replace(KEEP, ''))) missing.push(`zh-CN: ${def.type}: nodeSummary.${part.key} is English: ${text}`);
    }
  }
  return missing;
}

test('every layer kind has its summary, label, help, params and options in every language', () => {
  assert.ok(LAYERS.length >= 20);
  for (const l of LANGUAGES) assert.ok([en, zh].some((i) => i.language === l), l);
  for (const inst of [en, zh]) assert.deepEqual(LAYERS.flatMap((d) => untranslated(d, inst)), []);
});

test('every summary code is used by some layer kind', () => {
  const used = new Set(LAYERS.flatMap((d) => variants(d).flatMap((p) => d.summary(p).map((x) => x.key))));
  assert.deepEqual(SUMMARY_CODES.filter((c) => !used.has(c)), []);
});

test('the check catches a layer kind with no texts', () => {
  const fake = { ...LAYERS.find((d) => d.type === 'Dense')!, type: 'Fancy', summary: () => [{ key: 'shiny' } as unknown as SummaryPart] } as LayerDef;
  const missing = untranslated(fake, zh);
  assert.ok(missing.includes('zh-CN: Fancy: layer.Fancy.label'), missing.join('\n'));
  assert.ok(missing.includes('zh-CN: Fancy: nodeSummary.shiny'), missing.join('\n'));
});

test('summary lines: English is the engine line, Chinese is translated with the same values', () => {
  const conv = LAYERS.find((d) => d.type === 'Conv2D')!;
  const parts = conv.summary(withDefaults(conv, { filters: 16, kernel: 3, stride: 1, padding: 'same' }));
  assert.equal(summaryText(parts), '16 · 3x3 · s1 · same');
  assert.equal(summaryLine(en.t, en, parts), '16 · 3x3 · s1 · same');
  assert.equal(summaryLine(zh.t, zh, parts), '16 核 · 3x3 · 步长 1 · 同尺寸');
  const pool = LAYERS.find((d) => d.type === 'AvgPool2D')!;
  const pp = pool.summary(withDefaults(pool, { padding: 'explicit', pad: 1, ceil: true, countPad: false }));
  assert.equal(summaryText(pp), '2x2 · s2 · pad 1 · ceil · pixels only');
  assert.equal(summaryLine(zh.t, zh, pp), '2x2 · 步长 2 · 填充 1 · 向上取整 · 仅计像素');
  const dense = LAYERS.find((d) => d.type === 'Dense')!;
  assert.equal(summaryText(dense.summary(withDefaults(dense, { units: 1 }))), '1 unit');
  assert.equal(summaryText(dense.summary(withDefaults(dense, { units: 1024 }))), '1024 units');
  assert.equal(summaryLine(zh.t, zh, dense.summary(withDefaults(dense, { units: 10 }))), '10 单元');
});
