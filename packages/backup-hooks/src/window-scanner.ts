import type { ResidueMatcher } from "@connect-ops/connection-core";
import { detectSecrets } from "./detect-secrets.js";
import type { Hit } from "./hit.js";

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

const WINDOW_BYTES = LEFT + OVERLAP + WINDOW_DATA;
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
  readonly #matcher: ResidueMatcher;
  readonly #onHit: (hit: StreamHit) => void;
  readonly #sink: ChunkSink | undefined;

  constructor(matcher: ResidueMatcher, onHit: (hit: StreamHit) => void, sink?: ChunkSink) {
    this.#matcher = matcher;
    this.#onHit = onHit;
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

  async #scan(final: boolean): Promise<void> {
    const scanEnd = final ? this.#filled : this.#filled - OVERLAP;
    // A view ending at the data: indexOf must not search stale bytes of the reused buffer.
    const hits = detectSecrets(
      this.buffer.subarray(0, this.#filled),
      this.#scanFrom,
      scanEnd,
      this.#filled,
      this.#matcher,
    );
    for (const hit of hits) {
      const { start, end, ...rest } = hit;
      this.#onHit({ ...rest, offset: this.#base + start, length: end - start });
      if (this.#sink) this.buffer.fill(0x58, start, end);
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
