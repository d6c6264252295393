/** Line and column (both from 1) of a character offset in `text`. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/;
const STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

class SyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${String(offset)}`);
  }
}

/**
 * The offset of the first JSON syntax error in `text` (V8 does not always give one), or
 * undefined when the text is valid JSON. A small recursive-descent checker: it builds nothing.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxAt(at);
  };
  const skip = (): void => {
    while (at < text.length && WS.has(text[at] ?? "")) at++;
  };
  const expect = (char: string): void => {
    skip();
    if (text[at] !== char) fail();
    at++;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail();
    skip();
    const char = text[at];
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      at++;
      skip();
      if (text[at] === close) {
        at++;
        return;
      }
      for (;;) {
        if (char === "{") {
          skip();
          const key = STRING.exec(text.slice(at));
          if (key === null) fail();
          else at += key[0].length;
          expect(":");
        }
        value(depth + 1);
        skip();
        if (text[at] === ",") {
          at++;
          continue;
        }
        expect(close);
        return;
      }
    }
    const rest = text.slice(at, at + 64 * 1024);
    const match = char === '"' ? STRING.exec(text.slice(at)) : (NUMBER.exec(rest) ?? /^(true|false|null)/.exec(rest));
    if (match === null) fail();
    else at += match[0].length;
  };
  try {
    value(0);
    skip();
    if (at < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    throw error;
  }
}

/** ` (line L, column C)` for the first syntax error of `text`, or "" when none is found. */
export function jsonErrorWhere(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return "";
  const { line, column } = lineColumnOf(text, offset);
  return ` (line ${String(line)}, column ${String(column)})`;
}
