import { createPrivateKey } from "node:crypto";
import { fingerprintOfKey, type ResidueMatcher } from "@connect-ops/connection-core";
import type { FindingEncoding } from "./scan-types.js";
import type { DetectScope } from "./hit.js";

// "-----" is searched with memchr (~8 GB/s); a longer needle switches V8 to Boyer-Moore (~2 GB/s).
const ANCHOR = Buffer.from("-----");
const BEGIN = Buffer.from("-----BEGIN ");
/** A 4096-bit key, double-escaped, is under 7 KB; anything longer is not one PEM block. */
export const MAX_PEM_LENGTH = 16 * 1024;

function encodingOf(body: string): FindingEncoding {
  if (body.includes("\r\n")) return "crlf";
  if (body.includes("\n")) return "raw";
  if (/\\\\+[rn]/.test(body)) return "double-escaped";
  if (/\\[rn]/.test(body)) return "escaped";
  return "one-line";
}

/** The base64 body with every separator form removed (LF, CRLF, `\n`, `\\n`, `\/`, spaces). */
export function normalizePemBody(body: string): string {
  return body.replace(/\\+\//g, "/").replace(/\\+[rn]|\\+$|\s/g, "");
}

function fingerprintIdOf(label: string, base64: string, matcher: ResidueMatcher): string | undefined {
  const lines = base64.match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
  let key;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    // Only the parse is guarded: a damaged or truncated block is data, checked line by line by the caller.
    return undefined;
  }
  return matcher.matchKeyFingerprint(fingerprintOfKey(key));
}

/** The gap of a private key whose PEM block is sealed with a passphrase: its key may be ours, it cannot be read. */
export const ENCRYPTED_PEM =
  "encrypted-content: encrypted PEM/PKCS#8 private key (a passphrase seals it): cannot be read, it may hold the App key";

/** `ENCRYPTED PRIVATE KEY` (PKCS#8) or a traditional block's `Proc-Type: 4,ENCRYPTED` header. */
function isEncrypted(buf: Buffer, label: string, bodyStart: number, end: number): boolean {
  if (label.startsWith("ENCRYPTED")) return true;
  const head = buf.toString("latin1", bodyStart, Math.min(end, bodyStart + 64));
  return /^\s*Proc-Type:\s*4,\s*ENCRYPTED/.test(head);
}

/**
 * Finds private-key PEM blocks that start in [from, to): the block is
 * unescaped, parsed with node:crypto (PKCS#1 or PKCS#8) and its public
 * fingerprint compared. A block that does not parse (damaged, truncated) is
 * checked line by line instead, so a fragment still counts. An encrypted
 * block is a limit (ENCRYPTED_PEM, a gap), never clean.
 */
export function detectPemKeys(scope: DetectScope, outerEncoding?: FindingEncoding, limits?: Set<string>): void {
  const { buf, to, end, matcher, covered, hits } = scope;
  let index = buf.indexOf(ANCHOR, scope.from);
  while (index !== -1 && index < to) {
    if (index + BEGIN.length > end || buf.compare(BEGIN, 0, BEGIN.length, index, index + BEGIN.length) !== 0) {
      index = buf.indexOf(ANCHOR, index + 1);
      continue;
    }
    const labelStart = index + BEGIN.length;
    const labelEnd = buf.indexOf("-----", labelStart);
    const label = labelEnd === -1 || labelEnd - labelStart > 40 ? "" : buf.toString("latin1", labelStart, labelEnd);
    if (label.endsWith("PRIVATE KEY") && isEncrypted(buf, label, labelEnd + 5, end)) limits?.add(ENCRYPTED_PEM);
    if (!label.endsWith("PRIVATE KEY") || label.startsWith("ENCRYPTED")) {
      index = buf.indexOf(ANCHOR, labelStart);
      continue;
    }
    const bodyStart = labelEnd + 5;
    const limit = Math.min(end, index + MAX_PEM_LENGTH);
    const footer = buf.indexOf(`-----END ${label}-----`, bodyStart);
    const bodyEnd = footer === -1 || footer > limit ? limit : footer;
    const blockEnd = footer === -1 || footer > limit ? limit : footer + 14 + label.length;
    const body = buf.toString("latin1", bodyStart, bodyEnd);
    const base64 = normalizePemBody(body);
    const encoding = outerEncoding ?? encodingOf(body);
    const id = footer === -1 ? undefined : fingerprintIdOf(label, base64, matcher);
    if (id !== undefined) {
      hits.push({ start: index, end: blockEnd, form: "pem-key", encoding, fingerprintId: id });
      covered.add(index, blockEnd);
    } else {
      const lineId = (base64.match(/.{64}/g) ?? [])
        .map((line) => matcher.matchPemLine(line))
        .find((x) => x !== undefined);
      if (lineId !== undefined) {
        hits.push({ start: index, end: blockEnd, form: "pem-line", encoding, fingerprintId: lineId });
        covered.add(index, blockEnd);
      }
    }
    index = buf.indexOf(ANCHOR, id === undefined ? labelStart : blockEnd);
  }
}
