import { createHash } from "node:crypto";
import { ByteReader } from "./byte-reader.js";
import type { LayerDecoder } from "./layer-decoder.js";
import { addGap, memberOf, type StreamContext } from "./scan-context.js";

/** The first line of every binary age v1 file. */
const AGE_MAGIC = Buffer.from("age-encryption.org/v1\n");
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";
/** Whitespace allowed before an armored file (age's own decoder ignores it too). */
const LEADING_SPACE = /^[\t\n\r ]*/;
/**
 * An age file is read whole into memory (hash, trial open): sealed copies are
 * a few KiB. A larger one is a gap (`age-size-limit`), never CLEAN.
 */
export const AGE_MAX_BYTES = 64 * 1024 * 1024;

function isArmored(head: Uint8Array): boolean {
  const text = Buffer.from(head.subarray(0, 256)).toString("latin1");
  const start = LEADING_SPACE.exec(text)?.[0].length ?? 0;
  return text.startsWith(ARMOR_BEGIN, start);
}

function isBinary(head: Uint8Array): boolean {
  return head.length >= AGE_MAGIC.length && AGE_MAGIC.equals(head.subarray(0, AGE_MAGIC.length));
}

/** The binary age file inside an armor (a PEM-like base64 block), or undefined when it is not one. */
function unarmor(bytes: Buffer): Buffer | undefined {
  const text = bytes.toString("latin1").trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END)) return undefined;
  const body = text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/[\r\n]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  const file = Buffer.from(body, "base64");
  return isBinary(file) ? file : undefined;
}

/**
 * The whole file, through a slice: the layer's raw scan skips it. Nothing of
 * an age file goes unjudged that way: its bytes are all covered by the ledger
 * hash, authenticated by the open, or the file is a gap. (Raw-scanning an
 * armored file would decode its base64 to the same age file a second time.)
 */
async function readAll(reader: ByteReader, slice: (length: number) => ByteReader): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of slice(AGE_MAX_BYTES + 1).take(AGE_MAX_BYTES + 1)) {
    length += chunk.length;
    chunks.push(Buffer.from(chunk));
  }
  if (length <= AGE_MAX_BYTES) return Buffer.concat(chunks, length);
  await reader.drain();
  return undefined;
}

type OpenOutcome = { readonly plaintext: Uint8Array } | { readonly notOurs: true } | { readonly damaged: string };

/** Trial-opens `file` with the identities the audit holds (in memory): the plaintext, or why not. */
async function trialOpen(file: Buffer, identities: readonly string[]): Promise<OpenOutcome> {
  if (identities.length === 0) return { notOurs: true };
  const { openSealedBytes, VaultError } = await import("@connect-ops/credential-vault");
  try {
    return { plaintext: await openSealedBytes(file, identities, [], "age file") };
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    if (error.code === "VAULT_IDENTITY_MISMATCH") return { notOurs: true };
    return { damaged: error.code };
  }
}

/**
 * An age file (binary `age-encryption.org/v1`, or armored), met as any stream
 * of the walk: a file under any name, a tar or zip member, a decoded run.
 * Issue 13.3: it is (a) a known sealed copy when its SHA-256 (of the binary
 * file) is in the sealed-copy ledger: a `sealed-copy` finding carrying the
 * hash and the recorded recipients, which the include policy and the shred
 * evidence then judge; else (b) trial-opened with the identities the audit
 * holds, in memory, and the plaintext walked as the next layer (`(age)`);
 * else (c) a gap: sealed to a recipient we do not hold. Never CLEAN.
 * There is no rewriter: a finding inside makes redact name the file as failed.
 */
export const ageLayer: LayerDecoder = {
  kind: "age",
  detect: (head) => isBinary(head) || isArmored(head),
  async open(reader, context, walk) {
    const bytes = await readAll(reader, (length) => walk.slice(length));
    if (bytes === undefined) {
      addGap(context, `age-size-limit: an age file over ${AGE_MAX_BYTES} bytes is not opened`);
      return;
    }
    const file = isBinary(bytes) ? bytes : unarmor(bytes);
    if (file === undefined) {
      addGap(context, "corrupt-age: an armored age file that does not decode; not opened");
      return;
    }
    const sha256 = createHash("sha256").update(file).digest("hex");
    const known = context.age?.knownCopies.find((copy) => copy.sha256 === sha256);
    if (known !== undefined) {
      pushSealedCopy(context, bytes.length, sha256, known.recipients);
      return;
    }
    const opened = await trialOpen(file, context.age?.identities ?? []);
    if ("plaintext" in opened) {
      await walk.child({ name: "(age)", reader: new ByteReader(once(Buffer.from(opened.plaintext))) });
      return;
    }
    addGap(
      context,
      "damaged" in opened
        ? `corrupt-age: an age file that fails to open (${opened.damaged}: truncated or altered); its content was not read`
        : `age-not-ours: an age file not in the sealed-copy ledger and sealed to a recipient this audit holds no identity of (${context.age?.identities.length ?? 0} held); its content was not read`,
    );
  },
};

function pushSealedCopy(context: StreamContext, length: number, sha256: string, recipients: readonly string[]): void {
  const member = memberOf(context);
  context.findings.push({
    path: context.path,
    ...(member === undefined ? {} : { member }),
    offset: 0,
    length,
    form: "sealed-copy",
    encoding: "age",
    fingerprintId: "unknown",
    recipients,
    sha256,
    ...(context.linkedPaths && context.linkedPaths.length > 0 ? { linkedPaths: context.linkedPaths } : {}),
  });
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(bytes);
}
