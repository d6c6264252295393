/**
 * Pull-based reader over a chunk stream: exact reads for tar headers, bounded
 * sub-streams for member data, and a peek for sniffing the format. Holds at
 * most one pending chunk.
 */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #pending: Buffer = Buffer.alloc(0);
  #done = false;
  #consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Bytes handed out so far. */
  get consumed(): number {
    return this.#consumed;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#source.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    return true;
  }

  /** Up to `length` bytes without consuming them (fewer only at the end of the stream). */
  async peek(length: number): Promise<Buffer> {
    while (this.#pending.length < length && (await this.#fill()));
    return this.#pending.subarray(0, Math.min(length, this.#pending.length));
  }

  /** Exactly `length` bytes, or fewer when the stream ends first. */
  async read(length: number): Promise<Buffer> {
    const head = Buffer.from(await this.peek(length));
    this.#pending = this.#pending.subarray(head.length);
    this.#consumed += head.length;
    return head;
  }

  /** Yields the next `length` bytes as chunks; stops early at the end of the stream. */
  async *take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) return;
      const chunk = this.#pending.subarray(0, Math.min(left, this.#pending.length));
      this.#pending = this.#pending.subarray(chunk.length);
      this.#consumed += chunk.length;
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Discards `length` bytes; returns how many were actually there. */
  async skip(length: number): Promise<number> {
    let skipped = 0;
    for await (const chunk of this.take(length)) skipped += chunk.length;
    return skipped;
  }

  /** Drains and counts everything left. */
  async drain(): Promise<number> {
    return this.skip(Number.MAX_SAFE_INTEGER);
  }
}
