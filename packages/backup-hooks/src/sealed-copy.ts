import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { Finding } from "./scan-types.js";
import type { FileEntry } from "./tree-walk.js";

const MANIFEST_MAX_BYTES = 1024 * 1024;

/**
 * A sealed credentials copy left by include is residue: whoever holds one of
 * the recipients' identities can open it. The recipients come from the
 * manifest next to it; an unreadable manifest yields an empty list.
 */
export async function readSealedCopy(file: FileEntry, matcher: ResidueMatcher): Promise<Finding> {
  let recipients: string[] = [];
  let fingerprintId = "unknown";
  try {
    const text = await readFile(join(dirname(file.path), "manifest.json"), { encoding: "utf8", flag: "r" });
    if (text.length <= MANIFEST_MAX_BYTES) {
      const manifest = JSON.parse(text) as { recipients?: unknown; keyFingerprint?: unknown };
      if (Array.isArray(manifest.recipients)) recipients = manifest.recipients.filter((entry): entry is string => typeof entry === "string");
      if (typeof manifest.keyFingerprint === "string") fingerprintId = matcher.matchKeyFingerprint(manifest.keyFingerprint) ?? "unknown";
    }
  } catch {
    // No manifest: still residue, recipients unknown.
  }
  return {
    path: file.path,
    offset: 0,
    length: file.size,
    form: "sealed-copy",
    encoding: "age",
    fingerprintId,
    recipients,
    ...(file.linkedPaths.length > 0 ? { linkedPaths: file.linkedPaths } : {}),
  };
}
