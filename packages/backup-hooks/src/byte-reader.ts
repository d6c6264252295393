/** Sees each consumed range once, with the stream offset of its first byte. */
export type ConsumeObserver = (chunk: Buffer, offset: number) => Promise<void>;

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
  #observer: ConsumeObserver | undefined;
  /** Bytes put back by `unread`: already observed once. */
  #unobserved = 0;
  /** A source failure met by `peek` after some bytes: thrown by the read that reaches it. */
  #failure: { readonly error: unknown } | undefined;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /**
   * Calls `observer` with every byte range handed out from now on (read, take,
   * skip), in order, with its offset: the walk scans a layer's raw bytes this way.
   */
  observe(observer: ConsumeObserver | undefined): void {
    this.#observer = observer;
  }

  async #notify(chunk: Buffer): Promise<void> {
    const seen = Math.min(this.#unobserved, chunk.length);
    this.#unobserved -= seen;
    if (this.#observer !== undefined && seen < chunk.length)
      await this.#observer(chunk.subarray(seen), this.#consumed + seen);
  }

  /** Bytes handed out so far. */
  get consumed(): number {
    return this.#consumed;
  }

  async #fill(): Promise<boolean> {
    if (this.#failure !== undefined) {
      const { error } = this.#failure;
      this.#failure = undefined;
      throw error;
    }
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

  /** Up to `length` bytes without consuming them (fewer only at the end of the stream, or before a failure of the source). */
  async peek(length: number): Promise<Buffer> {
    try {
      while (this.#pending.length < length && (await this.#fill()));
    } catch (error) {
      // The bytes before a failure (a damaged gzip's last good ones) are still read; the next read throws it.
      if (this.#pending.length === 0) throw error;
      this.#failure = { error };
    }
    return this.#pending.subarray(0, Math.min(length, this.#pending.length));
  }

  /** Exactly `length` bytes, or fewer when the stream ends first. */
  async read(length: number): Promise<Buffer> {
    const head = Buffer.from(await this.peek(length));
    this.#pending = this.#pending.subarray(head.length);
    await this.#notify(head);
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
      await this.#notify(chunk);
      this.#consumed += chunk.length;
      left -= chunk.length;
      yield chunk;
    }
  }

  /**
   * Puts back the last `bytes` handed out (a decoder that read past the end of
   * its part, such as a deflate stream of unknown length), to be read again.
   * They are not observed a second time.
   */
  unread(bytes: Buffer): void {
    this.#pending = this.#pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([bytes, this.#pending]);
    this.#consumed -= bytes.length;
    this.#unobserved += bytes.length;
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
