import { createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import {
  type ContentPieces,
  type ContentSecretKind,
  SECRET_TAG_BITS,
  pieceDigest,
  pieceRecord,
} from "./content-pieces.js";
import {
  PIECE_BYTES,
  PIECE_CHARS,
  PIECE_STRIDE,
  PREFILTER_BITS,
  TEXT_STRIDE,
  decodePieceText,
  hashAt,
  pieceOffsets,
} from "./content-tag.js";

/** A run of a secret confirmed in a buffer (offsets in that buffer, end exclusive). */
export interface ContentMatch {
  /** The span to report and overwrite: the matched pieces, plus the bytes of the secret they cannot vouch for. */
  readonly start: number;
  readonly end: number;
  /** Where the leftmost matching piece starts: a window reports the match only when this is in its range. */
  readonly anchor: number;
  readonly kind: ContentSecretKind;
  readonly fingerprintId: string;
}

/**
 * The pieces of every fingerprint set, prepared for the scanner's loops. The
 * loops hash candidate windows (content-tag.ts) and test `prefilter`; only on
 * a set bit do they call a match method, which checks the stored tags and
 * then the salted HMAC, and extends the match over the neighbouring pieces.
 */
export interface ContentIndex {
  /** Bit `hash >>> (32 - PREFILTER_BITS)` is set for every stored piece. */
  readonly prefilter: Uint8Array;
  /** False when no piece's text is all `[0-9A-Fa-f-]`: the text scanner may skip such windows (hex, UUIDs). */
  readonly scansHexish: boolean;
  /** False when every piece's bytes hold a byte of 0x80 or more: the byte scanner may skip windows of 7-bit bytes. */
  readonly scansSevenBit: boolean;
  /** The window of raw bytes at `position` (hash `hash`), with bytes up to `end` as context. */
  matchBytes(buf: Uint8Array, position: number, hash: number, end: number): ContentMatch | undefined;
  /** The 16 base64 characters at `position` (decoded hash `hash`) inside the base64 run [runStart, runEnd). */
  matchText(
    buf: Uint8Array,
    position: number,
    hash: number,
    runStart: number,
    runEnd: number,
  ): ContentMatch | undefined;
}

interface PreparedSecret {
  readonly fingerprintId: string;
  /** The set's salt as an HMAC key object: created once, it saves a third of each HMAC. */
  readonly salt: KeyObject;
  readonly kind: ContentSecretKind;
  readonly length: number;
  readonly shift: number;
  readonly tags: Uint32Array;
  readonly records: Buffer;
}

interface PieceRef {
  readonly secret: PreparedSecret;
  readonly index: number;
}

/** How one route (bytes or text) reads a piece out of the buffer. */
interface Route {
  readonly step: number;
  readonly width: number;
  /** Unverifiable bytes or characters of a secret that may touch a matched piece. */
  readonly margin: number;
  hash(buf: Uint8Array, position: number): number;
  window(buf: Uint8Array, position: number): Uint8Array;
  /** The secret's length in this route's units. */
  units(secret: PreparedSecret): number;
}

const PREFIX_SHIFT = 32 - PREFILTER_BITS;

function prepare(sets: ReadonlyArray<{ id: string; salt: string; content?: ContentPieces | undefined }>) {
  const secrets: PreparedSecret[] = [];
  for (const set of sets) {
    const salt = createSecretKey(Buffer.from(set.salt, "utf8"));
    for (const secret of set.content?.secrets ?? []) {
      const records = Buffer.from(secret.pieces, "base64");
      const count = pieceOffsets(secret.length).length;
      const tags = new Uint32Array(count);
      for (let index = 0; index < count; index += 1) tags[index] = pieceRecord(records, index).tag;
      secrets.push({
        fingerprintId: set.id,
        salt,
        kind: secret.kind,
        length: secret.length,
        shift: 32 - SECRET_TAG_BITS[secret.kind],
        tags,
        records,
      });
    }
  }
  return secrets;
}

/** The content index of `sets`, or undefined when none holds pieces (sets written before v2). */
export function createContentIndex(
  sets: ReadonlyArray<{ id: string; salt: string; content?: ContentPieces | undefined }>,
): ContentIndex | undefined {
  const secrets = prepare(sets);
  if (secrets.length === 0) return undefined;
  const prefilter = new Uint8Array(1 << (PREFILTER_BITS - 3));
  const byPrefix = new Map<number, PieceRef[]>();
  for (const secret of secrets) {
    // A tag of `bits` bits is the top of the hash: it stands for 2^(PREFILTER_BITS - bits) prefixes when shorter.
    const bits = 32 - secret.shift;
    const spread = Math.max(0, PREFILTER_BITS - bits);
    for (const [index, tag] of secret.tags.entries())
      for (let low = 0; low < 1 << spread; low += 1) {
        const prefix = spread > 0 ? (tag << spread) | low : tag >>> (bits - PREFILTER_BITS);
        prefilter[prefix >>> 3] = (prefilter[prefix >>> 3] ?? 0) | (1 << (prefix & 7));
        const refs = byPrefix.get(prefix);
        if (refs === undefined) byPrefix.set(prefix, [{ secret, index }]);
        else refs.push({ secret, index });
      }
  }
  const scratch = new Uint8Array(PIECE_BYTES);
  const bytesRoute: Route = {
    step: PIECE_STRIDE,
    width: PIECE_BYTES,
    margin: PIECE_STRIDE - 1,
    hash: hashAt,
    window: (buf, position) => buf.subarray(position, position + PIECE_BYTES),
    units: (secret) => secret.length,
  };
  const textRoute: Route = {
    step: TEXT_STRIDE,
    width: PIECE_CHARS,
    margin: TEXT_STRIDE - 1,
    hash: (buf, position) => {
      decodePieceText(buf, position, scratch);
      return hashAt(scratch, 0);
    },
    window: (buf, position) => {
      decodePieceText(buf, position, scratch);
      return scratch;
    },
    units: (secret) => Math.ceil((secret.length * 4) / 3),
  };

  const tagMatches = (secret: PreparedSecret, index: number, hash: number): boolean =>
    hash >>> secret.shift === secret.tags[index];
  const digestMatches = (secret: PreparedSecret, index: number, window: Uint8Array): boolean =>
    timingSafeEqual(pieceDigest(secret.salt, window), pieceRecord(secret.records, index).digest);
  const pieceMatches = (route: Route, ref: PieceRef, buf: Uint8Array, position: number): boolean =>
    tagMatches(ref.secret, ref.index, route.hash(buf, position)) &&
    digestMatches(ref.secret, ref.index, route.window(buf, position));

  /** Grows a confirmed piece over its neighbours within [low, high), then adds the unverifiable margin. */
  function extend(route: Route, ref: PieceRef, buf: Uint8Array, position: number, low: number, high: number) {
    const { secret } = ref;
    const count = secret.tags.length;
    let first = ref.index;
    let firstAt = position;
    while (
      first > 0 &&
      firstAt - route.step >= low &&
      pieceMatches(route, { secret, index: first - 1 }, buf, firstAt - route.step)
    ) {
      first -= 1;
      firstAt -= route.step;
    }
    let last = ref.index;
    let lastAt = position;
    while (
      last + 1 < count &&
      lastAt + route.step + route.width <= high &&
      pieceMatches(route, { secret, index: last + 1 }, buf, lastAt + route.step)
    ) {
      last += 1;
      lastAt += route.step;
    }
    const before = Math.min(route.margin, first * route.step, firstAt - low);
    const pieceEnd = lastAt + route.width;
    const after = Math.min(route.margin, route.units(secret) - (last * route.step + route.width), high - pieceEnd);
    return {
      start: firstAt - before,
      end: pieceEnd + Math.max(0, after),
      anchor: firstAt,
      kind: secret.kind,
      fingerprintId: secret.fingerprintId,
    };
  }

  return {
    prefilter,
    scansHexish: hasHexish(sets),
    scansSevenBit: hasSevenBit(sets),
    matchBytes(buf, position, hash, end) {
      for (const ref of byPrefix.get(hash >>> PREFIX_SHIFT) ?? []) {
        const { secret, index } = ref;
        if (!tagMatches(secret, index, hash)) continue;
        // A run of 18+ bytes around a piece holds a neighbouring piece too: its tag
        // (computed on demand) filters out nearly all chance matches before the HMAC.
        const right = index + 1 < secret.tags.length && position + PIECE_STRIDE + PIECE_BYTES <= end;
        const left = index > 0 && position >= PIECE_STRIDE;
        const neighbour =
          (right && tagMatches(secret, index + 1, hashAt(buf, position + PIECE_STRIDE))) ||
          (left && tagMatches(secret, index - 1, hashAt(buf, position - PIECE_STRIDE)));
        if (!neighbour || !digestMatches(secret, index, buf.subarray(position, position + PIECE_BYTES))) continue;
        return extend(bytesRoute, ref, buf, position, 0, end);
      }
      return undefined;
    },
    matchText(buf, position, hash, runStart, runEnd) {
      for (const ref of byPrefix.get(hash >>> PREFIX_SHIFT) ?? []) {
        // No neighbour filter here: a 19-character run may hold a single piece.
        if (!tagMatches(ref.secret, ref.index, hash)) continue;
        if (!digestMatches(ref.secret, ref.index, textRoute.window(buf, position))) continue;
        return extend(textRoute, ref, buf, position, runStart, runEnd);
      }
      return undefined;
    },
  };
}

function hasHexish(sets: ReadonlyArray<{ content?: ContentPieces | undefined }>): boolean {
  return sets.some((set) => set.content?.secrets.some((secret) => secret.hexishText === true) === true);
}

/** Whether a piece of some set may be all 7-bit bytes (a set that does not say otherwise may have one). */
function hasSevenBit(sets: ReadonlyArray<{ content?: ContentPieces | undefined }>): boolean {
  return sets.some((set) => set.content?.secrets.some((secret) => secret.highBitBytes !== true) === true);
}
