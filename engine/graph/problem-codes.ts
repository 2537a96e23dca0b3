// Every code a problem the user sees can carry: shape inference and wiring (graph/infer.ts and
// the layer modules), loading a document (graph/document.ts) and the dataset report
// (data/report.ts). The renderer shows `engine.<code>` in the UI's language with the problem's
// `params`; the CLI prints the English `message`. test/renderer/engine-codes.test.ts checks that
// each code here has a text in every language and that the engine emits no code missing here.
export const PROBLEM_CODES = [
  // wiring and graph structure
  'dangling-edge', 'cycle', 'bad-port', 'port-wired-twice', 'output-has-consumer', 'no-input', 'several-inputs',
  'no-output', 'several-outputs', 'disconnected', 'unconnected-port', 'dead-end',
  // layer shape rules
  'rank', 'groups', 'kernel-too-large', 'pad-too-large', 'shape-mismatch', 'classes', 'clip-range',
  // loading a document
  'json', 'not-a-document', 'future-version', 'schema', 'duplicate-id', 'bad-block', 'unknown-layer', 'unknown-param', 'param-type', 'param-range',
  // the dataset report
  'one-class', 'empty-class', 'imbalance', 'duplicates', 'leakage',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** A problem's parameters for its translated text: plain values only. */
export type ProblemParams = Record<string, string | number | undefined>;
