import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ResidueMatcher } from "@connect-ops/connection-core";
import { errnoOf } from "./fs-errors.js";
import type { Finding, Gap } from "./scan-types.js";
import type { FileEntry } from "./tree-walk.js";

const MANIFEST_MAX_BYTES = 1024 * 1024;

interface ManifestFacts {
  readonly recipients: string[];
  readonly fingerprintId: string;
  /** Why the manifest could not be read: who can open the copy is then unknown. */
  readonly gap?: Gap;
}

async function readManifest(path: string, matcher: ResidueMatcher): Promise<ManifestFacts> {
  const unknown = (reason: string): ManifestFacts => ({
    recipients: [],
    fingerprintId: "unknown",
    gap: { path, reason: `${reason}; recipients of the sealed copy unknown` },
  });
  let text: string;
  try {
    text = await readFile(path, { encoding: "utf8", flag: "r" });
  } catch (error) {
    // No manifest (a copy not written by include, or half of one): still residue, recipients unknown, nothing unread.
    if (errnoOf(error) === "ENOENT") return { recipients: [], fingerprintId: "unknown" };
    return unknown(`unreadable-manifest: ${errnoOf(error) ?? "error"}`);
  }
  if (text.length > MANIFEST_MAX_BYTES) return unknown(`invalid-manifest: over ${MANIFEST_MAX_BYTES} bytes`);
  let manifest: { recipients?: unknown; keyFingerprint?: unknown };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return unknown("invalid-manifest: not JSON");
  }
  return {
    recipients: Array.isArray(manifest.recipients)
      ? manifest.recipients.filter((entry): entry is string => typeof entry === "string")
      : [],
    fingerprintId:
      typeof manifest.keyFingerprint === "string"
        ? (matcher.matchKeyFingerprint(manifest.keyFingerprint) ?? "unknown")
        : "unknown",
  };
}

/**
 * A sealed credentials copy left by include is residue: whoever holds one of
 * the recipients' identities can open it. The recipients come from the
 * manifest next to it; a manifest that exists but cannot be read or parsed is
 * also a gap (the report cannot say who can open the copy).
 */
export async function readSealedCopy(
  file: FileEntry,
  matcher: ResidueMatcher,
): Promise<{ finding: Finding; gap?: Gap }> {
  const { recipients, fingerprintId, gap } = await readManifest(join(dirname(file.path), "manifest.json"), matcher);
  const finding: Finding = {
    path: file.path,
    offset: 0,
    length: file.size,
    form: "sealed-copy",
    encoding: "age",
    fingerprintId,
    recipients,
    ...(file.linkedPaths.length > 0 ? { linkedPaths: file.linkedPaths } : {}),
  };
  return gap === undefined ? { finding } : { finding, gap };
}
