// File and class names in the CLI's text output. A name may hold any character but / (and NUL):
// a newline would split one report line in two, an escape sequence would drive the terminal, a
// bidi override would reorder what the user reads. Such a name is printed as a JSON string
// (quoted, those characters escaped); every other name is printed as it is.
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

export function printable(name: string): string {
  if (!UNSAFE.test(name)) return name;
  // JSON.stringify escapes C0 controls, quotes and backslashes; the rest by code point.
  return JSON.stringify(name).replace(UNSAFE_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
