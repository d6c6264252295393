import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ByteReader } from "../byte-reader.js";
import { scanLayers } from "../layer-walk.js";
import type { StreamContext } from "../scan-context.js";
import { DEFAULT_LIMITS, type Finding, type Gap } from "../scan-types.js";
import { testCredentials } from "./credentials.js";

/** One way a tool writes bytes as text, applied to a secret in the text-decoder tests. */
export interface TextEncoder {
  readonly name: string;
  readonly encode: (bytes: Buffer) => Buffer;
  /** Its output is lines that start at a line start (a dump): embedded after a line break. */
  readonly lines?: boolean;
  /** Its output holds NUL bytes (UTF-16): stacked at most once, since UTF-16 of UTF-16 is not text. */
  readonly nul?: boolean;
}

/** Runs a real tool with `input` on stdin and returns its stdout. */
export function tool(command: string, args: string[], input: Buffer): Buffer {
  return execFileSync(command, args, { input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

function wrap(text: string, width: number, eol = "\n"): string {
  return (text.match(new RegExp(`.{1,${width}}`, "g")) ?? []).join(eol);
}

function hexPairs(bytes: Buffer, prefix: string, separator: string): string {
  return Array.from(bytes, (byte) => `${prefix}${byte.toString(16).padStart(2, "0")}`).join(separator);
}

const text = (value: string): Buffer => Buffer.from(value, "latin1");

/** Every character as `\uXXXX`, as a hostile or paranoid JSON encoder writes it. */
function jsonUnicode(bytes: Buffer): string {
  return Array.from(bytes, (byte) => `\\u${byte.toString(16).padStart(4, "0")}`).join("");
}

/** JSON.stringify with `/` as `\/` (PHP) and `+` as `\u002b` (Go's HTML-safe encoder does `<>&` the same way). */
function jsonMixed(bytes: Buffer): string {
  return JSON.stringify(bytes.toString("latin1")).slice(1, -1).replace(/\//g, "\\/").replace(/\+/g, "\\u002b");
}

/** A C string literal body: octal for every byte but letters and digits. */
function cOctal(bytes: Buffer): string {
  return Array.from(bytes, (byte) =>
    /[A-Za-z0-9]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `\\${byte.toString(8).padStart(3, "0")}`,
  ).join("");
}

/** MySQL's string escapes (what mysqldump writes for a BLOB without --hex-blob). */
function mysqlString(bytes: Buffer): string {
  const escapes: Record<number, string> = {
    0: "\\0",
    10: "\\n",
    13: "\\r",
    26: "\\Z",
    34: '\\"',
    39: "\\'",
    92: "\\\\",
  };
  return Array.from(bytes, (byte) => escapes[byte] ?? String.fromCharCode(byte)).join("");
}

function percentAll(bytes: Buffer): string {
  return Array.from(bytes, (byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/** The encodings of the table and property tests, most through the real tools (base64, xxd, hexdump, iconv). */
export const TEXT_ENCODERS: readonly TextEncoder[] = [
  { name: "base64 (coreutils, 76 columns)", encode: (bytes) => tool("base64", ["-w", "76"], bytes) },
  { name: "base64 at 64 columns", encode: (bytes) => text(wrap(bytes.toString("base64"), 64)) },
  { name: "base64 at 70 columns", encode: (bytes) => text(wrap(bytes.toString("base64"), 70)) },
  { name: "base64 at 76 columns, CRLF", encode: (bytes) => text(wrap(bytes.toString("base64"), 76, "\r\n")) },
  { name: "base64, no wrap", encode: (bytes) => tool("base64", ["-w", "0"], bytes) },
  { name: "base64url", encode: (bytes) => text(bytes.toString("base64url")) },
  {
    name: "base64 indented (YAML block)",
    lines: true,
    encode: (bytes) => text(`key: |\n    ${wrap(bytes.toString("base64"), 64, "\n    ")}\n`),
  },
  { name: "hex (plain)", encode: (bytes) => text(bytes.toString("hex")) },
  {
    name: "hex (mysqldump --hex-blob)",
    encode: (bytes) => text(`INSERT INTO \`t\` VALUES (1,0x${bytes.toString("hex").toUpperCase()});\n`),
  },
  { name: "hex (\\x..)", encode: (bytes) => text(hexPairs(bytes, "\\x", "")) },
  { name: "hex (colon separated)", encode: (bytes) => text(wrap(hexPairs(bytes, "", ":"), 45)) },
  { name: "hex (space separated)", encode: (bytes) => text(hexPairs(bytes, "", " ")) },
  { name: "hex (C array)", encode: (bytes) => text(`{ ${hexPairs(bytes, "0x", ", ")} };`) },
  { name: "xxd", lines: true, encode: (bytes) => tool("xxd", [], bytes) },
  { name: "xxd -p", encode: (bytes) => tool("xxd", ["-p"], bytes) },
  { name: "hexdump -C", lines: true, encode: (bytes) => tool("hexdump", ["-C"], bytes) },
  { name: "percent (encodeURIComponent)", encode: (bytes) => text(encodeURIComponent(bytes.toString("latin1"))) },
  {
    name: "percent (form, + as space)",
    encode: (bytes) => text(new URLSearchParams({ k: bytes.toString("latin1") }).toString()),
  },
  { name: "percent (every byte)", encode: (bytes) => text(percentAll(bytes)) },
  { name: "JSON \\u escapes (every character)", encode: (bytes) => text(`{"v":"${jsonUnicode(bytes)}"}`) },
  { name: "JSON \\/ and \\u002b", encode: (bytes) => text(`{"v":"${jsonMixed(bytes)}"}`) },
  { name: "SQL string (MySQL escapes)", encode: (bytes) => text(`INSERT INTO t VALUES ('${mysqlString(bytes)}');\n`) },
  { name: "C string (octal escapes)", encode: (bytes) => text(`char k[] = "${cOctal(bytes)}";\n`) },
  {
    name: "UTF-16LE with BOM (iconv)",
    nul: true,
    encode: (bytes) =>
      Buffer.concat([Buffer.from([0xff, 0xfe]), tool("iconv", ["-f", "latin1", "-t", "UTF-16LE"], bytes)]),
  },
  {
    name: "UTF-16BE without BOM (iconv)",
    nul: true,
    encode: (bytes) => tool("iconv", ["-f", "latin1", "-t", "UTF-16BE"], bytes),
  },
];

/** What separates an encoded value from the text around it in real files. */
const DELIMITERS = [" ", "\n", '"', "'", "=", ":", "\t", ">", ","];

/**
 * `encoded` at `offset` of `around`, set off by a delimiter on each side as
 * a tool writes a value into text (a line break before a dump, so its first
 * line is a line). `delimiter` picks them (any integer).
 */
export function embed(around: string, offset: number, encoded: Buffer, encoder: TextEncoder, delimiter = 0): Buffer {
  const at = Math.min(offset, around.length);
  const pick = (index: number): string => DELIMITERS[Math.abs(index) % DELIMITERS.length] ?? " ";
  const before = encoder.lines === true ? "\n" : pick(delimiter);
  const after = pick(delimiter >> 4);
  return Buffer.concat([
    Buffer.from(`${around.slice(0, at)}${before}`, "latin1"),
    encoded,
    Buffer.from(`${after}${around.slice(at)}`, "latin1"),
  ]);
}

/** Plain words and punctuation, as in a log or a config file around the secret. */
export function wordText(length: number): string {
  const words = ["config", "user=admin", "path: /var/log", "value", "ok", "retry", "{", "}", "42", "(x)", "id:"];
  let out = "";
  while (out.length < length)
    out += `${words[(randomBytes(1)[0] ?? 0) % words.length] ?? ""}${(randomBytes(1)[0] ?? 0) % 7 === 0 ? "\n" : " "}`;
  return out.slice(0, length);
}

/** One buffer as the chunk stream a ByteReader reads. */
async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(bytes);
}

/** Scans bytes as one stream through the layer walk (as a file's content is). */
export async function scanBytes(bytes: Buffer): Promise<{ findings: Finding[]; gaps: Gap[] }> {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const context: StreamContext = {
    matcher: testCredentials().matcher,
    limits: DEFAULT_LIMITS,
    maxDepth: 6,
    path: "blob",
    members: [],
    depth: 0,
    linkedPaths: undefined,
    findings,
    gaps,
  };
  await scanLayers(new ByteReader(once(bytes)), context);
  return { findings, gaps };
}
