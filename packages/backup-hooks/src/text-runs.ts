/**
 * The cheap candidate search every text decoder shares: a byte-class table
 * and a skip search for runs of class members with a length floor. The probe
 * looks at the last byte of a `minRun` window and walks back, so ordinary text
 * (a non-member every few bytes) costs about one probe per `minRun` bytes and
 * only real runs are walked.
 */

/** A 256-entry table: 1 for each byte of `chars` (latin1), 0 otherwise. Byte 0 is never a member. */
export function byteClass(chars: string): Uint8Array {
  const table = new Uint8Array(256);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  table[0] = 0;
  return table;
}

/**
 * The byte at `index`, or 0 outside the buffer (0 is a member of no class).
 * The bounds test keeps V8 on its fast typed-array load: one out-of-bounds
 * read turns every load at that site into a slow generic one.
 */
export function byteAt(buf: Buffer, index: number): number {
  return index >= 0 && index < buf.length ? (buf[index] ?? 0) : 0;
}

/** A half-open range of `buf`. */
export interface Run {
  readonly start: number;
  readonly stop: number;
}

/**
 * The first maximal run of `table` members at least `minRun` bytes long whose
 * probe window lies in [from, end) and begins before `to`. The run is
 * extended left to the start of the buffer (so a caller sees that it began
 * before `from`) and right up to `end`. Undefined when there is none.
 */
export function nextRun(
  buf: Buffer,
  from: number,
  to: number,
  end: number,
  table: Uint8Array,
  minRun: number,
): Run | undefined {
  let at = from;
  while (at < to && at + minRun <= end) {
    const probe = at + minRun - 1;
    if (table[byteAt(buf, probe)] !== 1) {
      at = probe + 1;
      continue;
    }
    let back = probe - 1;
    while (back >= at && table[byteAt(buf, back)] === 1) back -= 1;
    if (back >= at) {
      at = back + 1;
      continue;
    }
    let start = at;
    while (start > 0 && table[byteAt(buf, start - 1)] === 1) start -= 1;
    let stop = probe + 1;
    while (stop < end && table[byteAt(buf, stop)] === 1) stop += 1;
    return { start, stop };
  }
  return undefined;
}
