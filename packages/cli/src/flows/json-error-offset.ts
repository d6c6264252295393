// Where a JSON text first goes wrong. V8's JSON.parse messages name a position in some versions and quote the text
// in others (which may hold a secret): this scanner finds the offset itself, for "line:column" in error messages.

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** The offset of the first character that cannot continue valid JSON (`text.length` when it ends early); -1: valid. */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const fail = (): never => {
    throw new RangeError(String(at));
  };
  const space = (): void => {
    while (at < text.length && " \t\n\r".includes(text.charAt(at))) at += 1;
  };
  const expect = (char: string): void => {
    space();
    if (text.charAt(at) !== char) fail();
    at += 1;
  };
  const string = (): void => {
    if (text.charAt(at) !== '"') fail();
    at += 1;
    for (;;) {
      if (at >= text.length) fail();
      const char = text.charAt(at);
      if (char === '"') {
        at += 1;
        return;
      }
      if (char === "\\") {
        at += 1;
        const escape = text.charAt(at);
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) fail();
          at += 5;
        } else if (ESCAPES.has(escape)) at += 1;
        else fail();
      } else if (char < " ") fail();
      else at += 1;
    }
  };
  const members = (close: string, member: () => void): void => {
    at += 1;
    space();
    if (text.charAt(at) === close) {
      at += 1;
      return;
    }
    for (;;) {
      member();
      space();
      if (text.charAt(at) !== ",") break;
      at += 1;
    }
    expect(close);
  };
  const value = (): void => {
    space();
    const char = text.charAt(at);
    if (char === "{") {
      members("}", () => {
        space();
        string();
        expect(":");
        value();
      });
    } else if (char === "[") members("]", value);
    else if (char === '"') string();
    else {
      const literal = ["true", "false", "null"].find((word) => text.startsWith(word, at));
      if (literal !== undefined) {
        at += literal.length;
        return;
      }
      NUMBER.lastIndex = at;
      if (!NUMBER.test(text)) fail();
      at = NUMBER.lastIndex;
    }
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof RangeError) return Number(error.message);
    throw error;
  }
}
