import type { ResidueMatcher } from "@connect-ops/connection-core";
import { detectSecrets } from "./detect-secrets.js";
import type { Hit } from "./hit.js";
import type { Finding, FindingEncoding } from "./scan-types.js";
import type { TextNest } from "./text-nest.js";

/**
 * Right context kept between windows. Every span we look for (a double-escaped
 * 4096-bit key, a base64 run we decode) is shorter, so a secret straddling a
 * chunk boundary is seen whole in the next window.
 */
export const OVERLAP = 64 * 1024;
/** Bytes kept left of the scan start: enough to see the `\` before an escaped line. */
const LEFT = 64;
export const WINDOW_DATA = 1024 * 1024;

/** A hit located in the whole stream (absolute offsets). */
export interface StreamHit extends Omit<Hit, "start" | "end"> {
  readonly offset: number;
  readonly length: number;
}

export type ChunkSink = (chunk: Buffer) => Promise<void>;

/**
 * What the layer walk offers the detectors of one stream (layer-walk.ts
 * builds it): an archive found inside decoded text (base64 of a .tar.gz) is
 * walked as a stream one layer down, and the limits the text decoders meet
 * become gaps of the stream.
 */
export interface DecodedStreamPorts {
  /** True when a layer decoder opens a stream starting with these bytes. */
  opens(bytes: Buffer): boolean;
  /** Walks decoded bytes as a stream; resolves to the findings inside (its gaps are recorded by the walk). */
  walk(bytes: Buffer, encoding: FindingEncoding): Promise<readonly Finding[]>;
  /** A limit met: one gap of the stream (each distinct reason once). */
  limit(reason: string): void;
}

const WINDOW_BYTES = LEFT + OVERLAP + WINDOW_DATA;

const IS_HEX_DIGIT = new Uint8Array(256);
for (const code of Buffer.from("0123456789abcdefABCDEF", "latin1")) IS_HEX_DIGIT[code] = 1;
/** What may sit between the digits of hex values (text-hex.ts HEX_TEXT); a span with anything else is a dump. */
const IS_HEX_SEPARATOR = new Uint8Array(256);
for (const code of Buffer.from(" xX:,+\\\r\n\t", "latin1")) IS_HEX_SEPARATOR[code] = 1;

function onlyHexValues(buffer: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += 1) {
    const code = buffer[at] ?? 0;
    if (IS_HEX_DIGIT[code] !== 1 && IS_HEX_SEPARATOR[code] !== 1) return false;
  }
  return true;
}

/**
 * Overwrites a hit, same length: with `X`, except a run of hex values only,
 * whose digits become `0` and whose separators and `0x` prefixes stay. A hex run may span
 * several values (`0x2D2D…,0x6768…` in a mysqldump --hex-blob row): `X`
 * there made `0xXXXX` an identifier ("Unknown column") and ate the commas
 * (column count); zeros keep every value a hex literal and the row loadable.
 */
function overwrite(buffer: Buffer, hit: Hit): void {
  // A dump (xxd, hexdump -C) has an ASCII column that spells the secret too: all of it goes to X.
  if (hit.encoding !== "hex" || !onlyHexValues(buffer, hit.start, hit.end)) {
    buffer.fill(0x58, hit.start, hit.end);
    return;
  }
  for (let at = hit.start; at < hit.end; at += 1) if (IS_HEX_DIGIT[buffer[at] ?? 0] === 1) buffer[at] = 0x30;
}
/** Window buffers are reused: thousands of small files must not each allocate a megabyte. */
const freeBuffers: Buffer[] = [];
const MAX_POOLED = 16;

/**
 * Streams one logical byte sequence (a file, a tar member, an inflated gzip)
 * through the detectors with bounded memory: one buffer of
 * LEFT + OVERLAP + WINDOW_DATA bytes, reused. With a `sink` (redaction) the
 * hits are overwritten with `X` before the bytes go out, same length.
 */
export class WindowScanner {
  readonly buffer: Buffer;
  #filled = 0;
  #scanFrom = 0;
  #emitted = 0;
  #base = 0;
  /** Stream offset up to which a reported hit reaches (it may run past the window that found it). */
  #claimedTo = 0;
  readonly #matcher: ResidueMatcher;
  readonly #onHit: (hit: StreamHit) => void;
  readonly #sink: ChunkSink | undefined;
  readonly #ports: DecodedStreamPorts;
  readonly #limits = new Set<string>();

  constructor(matcher: ResidueMatcher, onHit: (hit: StreamHit) => void, ports: DecodedStreamPorts, sink?: ChunkSink) {
    this.#matcher = matcher;
    this.#onHit = onHit;
    this.#ports = ports;
    this.#sink = sink;
    this.buffer = freeBuffers.pop() ?? Buffer.allocUnsafe(WINDOW_BYTES);
  }

  /** Returns the buffer to the pool; the scanner must not be used afterwards. */
  release(): void {
    if (freeBuffers.length < MAX_POOLED) freeBuffers.push(this.buffer);
  }

  /** Free space at the end of the buffer, for reading a file straight into it. */
  get freeStart(): number {
    return this.#filled;
  }

  get freeLength(): number {
    return this.buffer.length - this.#filled;
  }

  /** Records `length` bytes written at `freeStart` by the caller; scans when the window is full. */
  async commit(length: number): Promise<void> {
    this.#filled += length;
    if (this.#filled === this.buffer.length) await this.#scan(false);
  }

  /** Copies a chunk in (streams whose buffers we do not own). */
  async push(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const length = Math.min(this.freeLength, chunk.length - offset);
      this.buffer.set(chunk.subarray(offset, offset + length), this.#filled);
      offset += length;
      await this.commit(length);
    }
  }

  /** Scans what is left; returns the total length of the stream. */
  async finish(): Promise<number> {
    await this.#scan(true);
    return this.#base + this.#filled;
  }

  #limit(reason: string): void {
    if (this.#limits.has(reason)) return;
    this.#limits.add(reason);
    this.#ports.limit(reason);
  }

  /** Archives inside decoded runs go to the layer walk; a secret in one makes its encoded run a hit. */
  async #walkEmbedded(nest: TextNest, hits: Hit[], final: boolean): Promise<void> {
    for (const stream of nest.embedded) {
      if (hits.some((hit) => hit.start < stream.end && hit.end > stream.start)) continue;
      if (!final && stream.end >= this.#filled) {
        this.#limit(
          `text-archive-limit: a ${stream.encoding} run holding an archive continues past the scan window; not opened`,
        );
        continue;
      }
      const [found] = await this.#ports.walk(stream.bytes, stream.encoding);
      if (found === undefined) continue;
      hits.push({
        start: stream.start,
        end: stream.end,
        form: found.form,
        encoding: stream.encoding,
        ...(found.variant === undefined ? {} : { variant: found.variant }),
        fingerprintId: found.fingerprintId,
      });
    }
  }

  async #scan(final: boolean): Promise<void> {
    const scanEnd = final ? this.#filled : this.#filled - OVERLAP;
    const nest: TextNest = {
      depth: 0,
      final,
      opens: (bytes) => this.#ports.opens(bytes),
      embedded: [],
      limits: new Set(),
    };
    // A view ending at the data: indexOf must not search stale bytes of the reused buffer.
    const hits = detectSecrets(
      this.buffer.subarray(0, this.#filled),
      this.#scanFrom,
      scanEnd,
      this.#filled,
      this.#matcher,
      nest,
      Math.max(0, this.#claimedTo - this.#base),
    );
    await this.#walkEmbedded(nest, hits, final);
    for (const reason of nest.limits) this.#limit(reason);
    for (const hit of hits) {
      const { start, end, ...rest } = hit;
      this.#onHit({ ...rest, offset: this.#base + start, length: end - start });
      this.#claimedTo = Math.max(this.#claimedTo, this.#base + end);
      if (this.#sink) overwrite(this.buffer, hit);
    }
    if (this.#sink && scanEnd > this.#emitted) {
      // Copy out: the buffer is reused for the next window.
      await this.#sink(Buffer.from(this.buffer.subarray(this.#emitted, scanEnd)));
    }
    if (final) return;
    const keepFrom = Math.max(0, scanEnd - LEFT);
    this.buffer.copy(this.buffer, 0, keepFrom, this.#filled);
    this.#base += keepFrom;
    this.#filled -= keepFrom;
    this.#scanFrom = scanEnd - keepFrom;
    this.#emitted = this.#scanFrom;
  }
}
