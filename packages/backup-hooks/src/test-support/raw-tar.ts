import { Header, type HeaderData } from "tar/header";
import { Pax } from "tar/pax";
import { parseTarHeader, type TarHeader } from "../tar-header.js";

/**
 * One tar entry built with node-tar's `Header`, for hostile cases GNU tar
 * refuses to create (hard links leaving the archive, sparse members, sizes that
 * disagree with pax records). `header.size` defaults to the content length.
 */
export function tarEntry(header: HeaderData, content: Buffer = Buffer.alloc(0)): Buffer {
  const block = Buffer.alloc(512);
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: content.length, ...header }).encode(block);
  return Buffer.concat([block, content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

/** A pax extended header (`x`, or `g` when global) with node-tar's `Pax`: header block and padded body. */
export function paxEntry(records: HeaderData, global = false): Buffer {
  return new Pax(records, global).encode();
}

/** The header the walker parses from the first block of `tar`; throws when it does not parse (corrupt). */
export function firstHeader(tar: Buffer): TarHeader {
  const header = parseTarHeader(tar.subarray(0, 512));
  if (header === undefined) throw new Error("the first tar header block does not parse (bad checksum or field)");
  return header;
}

export function rawTar(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}
