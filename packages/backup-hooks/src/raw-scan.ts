import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { ByteReader } from "./byte-reader.js";
import { WindowScanner, type DecodedStreamPorts, type StreamHit } from "./window-scanner.js";

/**
 * The detectors over the raw bytes of one layer (issue 13: "the raw bytes of
 * every layer are scanned too"): headers, comments, extra fields, bytes a
 * parser skipped or could not parse (after damage), trailing data. Bytes a
 * decoder hands on verbatim as a child (a stored tar member, a script's
 * payload) are skipped here: the child's own walk scans them. Each contiguous
 * run of raw bytes is one scanner, so offsets are those of the layer's stream.
 */
export class RawLayerScan {
  readonly #matcher: ResidueMatcher;
  readonly #onHit: (hit: StreamHit) => void;
  readonly #ports: DecodedStreamPorts;
  #scanner: WindowScanner | undefined;
  #next = 0;
  readonly #skips: Array<[number, number]> = [];
  hits = 0;

  constructor(matcher: ResidueMatcher, onHit: (hit: StreamHit) => void, ports: DecodedStreamPorts) {
    this.#matcher = matcher;
    this.#onHit = onHit;
    this.#ports = ports;
  }

  /** Observes `reader` from now on: everything it hands out outside the skipped ranges goes to the detectors. */
  attach(reader: ByteReader): void {
    reader.observe((chunk, offset) => this.#push(chunk, offset));
  }

  /** Bytes [start, end) of the layer's stream are a child's (`slice`): not scanned here. */
  skip(start: number, end: number): void {
    this.#skips.push([start, end]);
  }

  async #push(chunk: Buffer, offset: number): Promise<void> {
    let from = 0;
    while (from < chunk.length) {
      const at = offset + from;
      let skip = this.#skips[0];
      while (skip !== undefined && skip[1] <= at) {
        this.#skips.shift();
        skip = this.#skips[0];
      }
      if (skip !== undefined && skip[0] <= at) {
        from = Math.min(chunk.length, skip[1] - offset);
        continue;
      }
      const to = skip === undefined ? chunk.length : Math.min(chunk.length, skip[0] - offset);
      await this.#scan(chunk.subarray(from, to), at);
      from = to;
    }
  }

  async #scan(bytes: Buffer, offset: number): Promise<void> {
    if (this.#scanner !== undefined && offset !== this.#next) await this.#flush();
    if (this.#scanner === undefined) {
      const base = offset;
      this.#scanner = new WindowScanner(
        this.#matcher,
        (hit) => {
          this.hits += 1;
          this.#onHit({ ...hit, offset: base + hit.offset });
        },
        this.#ports,
      );
    }
    await this.#scanner.push(bytes);
    this.#next = offset + bytes.length;
  }

  async #flush(): Promise<void> {
    const scanner = this.#scanner;
    if (scanner === undefined) return;
    this.#scanner = undefined;
    try {
      await scanner.finish();
    } finally {
      scanner.release();
    }
  }

  /** Scans what is left; the layer is done. */
  async finish(): Promise<void> {
    await this.#flush();
  }
}
