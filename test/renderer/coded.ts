// What the coded-error tests (test/renderer/*-error-codes.test.ts) check of an engine message:
// its code, that the en resource says exactly what the engine said, and that zh-CN is Chinese
// and keeps every plain param (of the message and of the coded messages inside it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { problemLine } from '../../engine/graph/error-codes.ts';
import type { EngineText } from '../../engine/protocol.ts';
import { Project } from '../../engine/session/project.ts';
import { engineText } from '../../renderer/i18n/errors.ts';
import { createI18n } from '../../renderer/i18n/index.ts';
import { sampleData, tempDir } from '../fixtures/sample.ts';

export const en = createI18n('en', false);
export const zh = createI18n('zh-CN', false);
export const HAN = /[\u4e00-\u9fff]/;

/** The en resource's own text (engineText shows English messages as they are, so this checks the resource). */
export function enText(t: EngineText): string {
  const params: Record<string, string | number> = Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, typeof v === 'object' ? v.message : v]));
  if (t.problems) params.problems = t.problems.map((p) => problemLine(p, p.message)).join('\n');
  return en.t(`errors:${t.code}`, params);
}

/** Every plain param of `t` and of the coded messages inside it. */
export const plainParams = (t: EngineText): (string | number)[] => Object.values(t.params).flatMap((v) => (typeof v === 'object' ? plainParams(v) : [v]));

/** `text` (of `message`) has `code`; its en text is the message; zh-CN is Chinese and shows every plain param. Returns the zh text. */
export function codedText(message: string, text: EngineText | undefined, code: string): string {
  assert.equal(text?.code, code, `${message}: ${JSON.stringify(text)}`);
  assert.equal(enText(text), message);
  assert.equal(engineText(en.t, en, { message, text }), message);
  const s = engineText(zh.t, zh, { message, text });
  assert.match(s, HAN, s);
  assert.notEqual(s, message);
  for (const v of plainParams(text)) assert.ok(s.includes(String(v)), `${code}: ${s} lacks ${v}`);
  return s;
}

/** `e` is an Error whose text has `code`, checked as codedText does. Returns the zh text. */
export function coded(e: unknown, code: string): string {
  assert.ok(e instanceof Error, `expected an error, got ${String(e)}`);
  return codedText(e.message, (e as { text?: EngineText }).text, code);
}

/** What `f` throws or rejects with (the test fails when it does not). */
export const failure = (f: () => unknown): Promise<unknown> => Promise.resolve().then(f).then(() => assert.fail('expected a refusal'), (e: unknown) => e);

/** A temporary project folder with a dataset of 2 images a class in ds/, removed after the file's tests. */
export function projectWithData(): { root: string; project: Project } {
  const root = tempDir();
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const data = sampleData(2);
  fs.cpSync(data, path.join(root, 'ds'), { recursive: true });
  fs.rmSync(data, { recursive: true, force: true });
  return { root, project: new Project(root) };
}

/** What `f` throws (the test fails with `what` when it returns). */
export function thrown<E = unknown>(f: () => unknown, what = 'expected a refusal'): E {
  try {
    f();
  } catch (e) {
    return e as E;
  }
  return assert.fail(what);
}
