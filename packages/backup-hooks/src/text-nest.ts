import type { DetectScope, Hit } from "./hit.js";
import type { FindingEncoding } from "./scan-types.js";
import type { Run } from "./text-runs.js";

/**
 * How many text encodings are unwrapped inside each other: base64 of hex of a
 * JSON-escaped PEM is 3. A run still encoded past this is a limit (a gap).
 */
export const MAX_TEXT_DEPTH = 4;

/** A decoded run whose bytes a layer decoder opens (base64 of a .tar.gz): the scanner walks it. */
export interface EmbeddedStream {
  /** The encoded run in the buffer of the outermost call (what redact overwrites). */
  readonly start: number;
  readonly end: number;
  readonly bytes: Buffer;
  readonly encoding: FindingEncoding;
}

/** What the text decoders of one `detectSecrets` call share with the caller (the window scanner). */
export interface TextNest {
  /** Text encodings decoded above this buffer: 0 for a window of the stream itself. */
  readonly depth: number;
  /** True when `end` is the end of the stream (the last window, or a decoded run): a run reaching it is whole. */
  readonly final: boolean;
  /** True when a layer decoder of the walk opens a stream starting with these bytes (gzip, tar, …). */
  readonly opens: (bytes: Buffer) => boolean;
  /** Decoded archives found, for the caller to hand to the layer walk (spans in the caller's buffer). */
  readonly embedded: EmbeddedStream[];
  /** Limits met (each distinct reason is one gap of the stream). */
  readonly limits: Set<string>;
}

/** The whole detector set over a decoded buffer (detectSecrets, passed in so the text decoders need not import it). */
export type Rescan = (buf: Buffer, nest: TextNest) => Hit[];

/** A detector scope as the text decoders see it. */
export interface TextScope extends DetectScope {
  readonly nest: TextNest;
  readonly rescan: Rescan;
}

/** A word glued to a run decodes to at most this many bytes before the archive's magic. */
const MAX_GLUE_BYTES = 4;

/** The decoded bytes from the archive magic on, when a layer decoder opens them within MAX_GLUE_BYTES. */
function archiveIn(decoded: Buffer, nest: TextNest): Buffer | undefined {
  for (let skip = 0; skip <= MAX_GLUE_BYTES && skip < decoded.length; skip += 1) {
    const bytes = decoded.subarray(skip);
    if (nest.opens(bytes)) return bytes;
  }
  return undefined;
}

/** Bytes of a run an earlier hit may leave out and still be the same finding (a closing `\n"`, a quote). */
const EDGE_SLACK = 8;

/**
 * True when earlier hits of the same secret and form already span all of
 * `run` but its edges (the PEM block of a JSON string, the string without its
 * trailing `\n`): reporting it again would count one secret twice.
 */
function foundAlready(hits: readonly Hit[], run: Run, hit: Hit): boolean {
  let uncovered = run.stop - run.start;
  for (const earlier of hits)
    if (earlier.fingerprintId === hit.fingerprintId && earlier.form === hit.form)
      uncovered -= Math.max(0, Math.min(run.stop, earlier.end) - Math.max(run.start, earlier.start));
  return uncovered <= EDGE_SLACK;
}

/**
 * One decoded run [run.start, run.stop) of `scope.buf`: the decoded bytes go
 * through every detector again (one text level deeper) and each secret inside
 * makes the whole encoded run a hit, labelled `encoding`. A decoded archive is
 * queued for the layer walk. A run cut by the end of the window, or one past
 * MAX_TEXT_DEPTH, is a limit. Returns true when the run is a hit.
 */
export function inspectDecoded(scope: TextScope, run: Run, decoded: Buffer, encoding: FindingEncoding): boolean {
  const { nest } = scope;
  if (!nest.final && run.stop >= scope.end)
    nest.limits.add(
      `text-run-limit: a ${encoding} run longer than the scan window (${scope.end - run.start} bytes seen) is decoded only up to the window's end`,
    );
  // Decoding that changed nothing (a `%` without hex digits) would only find the same run again.
  if (decoded.length === 0 || decoded.equals(scope.buf.subarray(run.start, run.stop))) return false;
  if (nest.depth >= MAX_TEXT_DEPTH) {
    nest.limits.add(
      `text-depth-limit: a ${encoding} run nested inside ${MAX_TEXT_DEPTH} text encodings is not decoded`,
    );
    return false;
  }
  const inner: TextNest = { ...nest, depth: nest.depth + 1, final: true, embedded: [] };
  const hits = scope.rescan(decoded, inner).filter((hit) => !foundAlready(scope.hits, run, hit));
  for (const hit of hits) scope.hits.push({ ...hit, start: run.start, end: run.stop, encoding });
  // An archive deeper down is still walked as this run (the span redact overwrites).
  for (const stream of inner.embedded) nest.embedded.push({ ...stream, start: run.start, end: run.stop });
  const archive = hits.length === 0 && inner.embedded.length === 0 ? archiveIn(decoded, nest) : undefined;
  if (archive !== undefined) nest.embedded.push({ start: run.start, end: run.stop, bytes: archive, encoding });
  if (hits.length === 0) return false;
  scope.covered.add(run.start, run.stop);
  return true;
}
