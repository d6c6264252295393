import { VAULT_FILES } from "@connect-ops/credential-vault";
import { ReplicationError, sanitizeRemoteText } from "./errors.js";
import { parseVaultMetaBytes, sha256Hex } from "./payload.js";
import type { CommitResult, NodeState, RemoveResult } from "./transport.js";

/** Upper bound on meta.json we accept from a node; a real one is a few KiB. */
export const MAX_REMOTE_META_BYTES = 1024 * 1024;

const HASH = /^(?:[0-9a-f]{64}|absent)$/;
const COUNT = /^(?:0|[1-9][0-9]{0,5})$/;

function invalid(nodeName: string, what: string): ReplicationError {
  return new ReplicationError(
    "REPL_REMOTE_OUTPUT_INVALID",
    `node ${nodeName} answered the ${what} step with unexpected output`,
    {
      category: "incomplete",
      hint: "check that the node has sh and GNU coreutils (sha256sum, head) on the PATH of the SSH user",
      context: { node: nodeName },
    },
  );
}

/** Reads `key value` lines in a fixed order; anything else is refused. */
function takeLines(text: string, keys: readonly string[], nodeName: string, what: string): string[] {
  const lines = text.split("\n");
  return keys.map((key, index) => {
    const line = lines[index] ?? "";
    const prefix = `${key} `;
    if (!line.startsWith(prefix)) throw invalid(nodeName, what);
    return line.slice(prefix.length);
  });
}

const hashOrNull = (value: string, nodeName: string, what: string): string | null => {
  if (!HASH.test(value)) throw invalid(nodeName, what);
  return value === "absent" ? null : value;
};

export function parseProbeOutput(stdout: Buffer, nodeName: string): NodeState {
  const followsAt = stdout.indexOf("meta-follows\n");
  const absentAt = stdout.indexOf("meta-absent\n");
  const markerAt = followsAt >= 0 ? followsAt : absentAt;
  if (markerAt < 0) throw invalid(nodeName, "probe");
  const head = stdout.subarray(0, markerAt).toString("latin1");
  const [version, dir, sealed, temps, writable] = takeLines(
    head,
    ["probe", "dir", "sealed", "temps", "writable"],
    nodeName,
    "probe",
  );
  if (
    version !== "1" ||
    (dir !== "0" && dir !== "1") ||
    temps === undefined ||
    !COUNT.test(temps) ||
    (writable !== "0" && writable !== "1")
  ) {
    throw invalid(nodeName, "probe");
  }
  let metaBytes: Buffer | null = null;
  if (followsAt >= 0) {
    metaBytes = stdout.subarray(followsAt + "meta-follows\n".length);
    if (metaBytes.length > MAX_REMOTE_META_BYTES) throw invalid(nodeName, "probe");
  } else if (stdout.length !== absentAt + "meta-absent\n".length) {
    throw invalid(nodeName, "probe");
  }
  const meta = metaBytes === null ? null : (parseVaultMetaBytes(metaBytes, `${nodeName}:${VAULT_FILES.meta}`) ?? null);
  return {
    directoryExists: dir === "1",
    sealedSha256: hashOrNull(sealed ?? "", nodeName, "probe"),
    metaSha256: metaBytes === null ? null : sha256Hex(metaBytes),
    meta,
    metaInvalid: metaBytes !== null && meta === null,
    tempFiles: Number(temps),
    writable: writable === "1",
  };
}

/** Parses the commit step; a `failed STEP` result becomes `REPL_REMOTE_WRITE_FAILED` with the node's stderr, sanitized. */
export function parseCommitOutput(stdout: Buffer, stderr: Buffer, nodeName: string, dir: string): CommitResult {
  const text = stdout.toString("latin1");
  const [result] = takeLines(text, ["result"], nodeName, "write");
  if (result === "conflict" && text === "result conflict\n") return { result: "conflict" };
  if (result === "committed") {
    const [, sealed, meta] = takeLines(text, ["result", "sealed", "meta"], nodeName, "write");
    if (text.split("\n").length !== 4 || !text.endsWith("\n")) throw invalid(nodeName, "write");
    return {
      result: "committed",
      sealedSha256: hashOrNull(sealed ?? "", nodeName, "write"),
      metaSha256: hashOrNull(meta ?? "", nodeName, "write"),
    };
  }
  const step = /^failed (mkdir|lock|sweep|write|verify|sync|rename)$/.exec(result ?? "")?.[1];
  if (step === undefined) throw invalid(nodeName, "write");
  const detail = sanitizeRemoteText(stderr.toString("utf8"));
  throw new ReplicationError(
    "REPL_REMOTE_WRITE_FAILED",
    `could not ${step} the credential files in ${dir} on node ${nodeName}${detail === "" ? "" : `: ${detail}`}; temp files were removed and the previous files are untouched`,
    {
      category: "incomplete",
      hint: "check that the directory is writable and its filesystem has free space (df), then run again",
      context: { node: nodeName, path: dir, step },
    },
  );
}

/** Parses the sweep step: the number of leftover temp files removed. */
export function parseSweepOutput(stdout: Buffer, stderr: Buffer, nodeName: string, dir: string): number {
  const text = stdout.toString("latin1");
  if (text === "result failed sweep\n") {
    const detail = sanitizeRemoteText(stderr.toString("utf8"));
    throw new ReplicationError(
      "REPL_REMOTE_WRITE_FAILED",
      `could not remove leftover temp files in ${dir} on node ${nodeName}${detail === "" ? "" : `: ${detail}`}`,
      {
        category: "incomplete",
        hint: "check the directory's permissions on the node, then run again",
        context: { node: nodeName, path: dir },
      },
    );
  }
  const [result, removed] = takeLines(text, ["result", "removed"], nodeName, "sweep");
  if (result !== "swept" || !COUNT.test(removed ?? "") || text.split("\n").length !== 3)
    throw invalid(nodeName, "sweep");
  return Number(removed);
}

export function parseRemoveOutput(stdout: Buffer, stderr: Buffer, nodeName: string, dir: string): RemoveResult {
  const text = stdout.toString("latin1");
  if (text.startsWith("result failed")) {
    const detail = sanitizeRemoteText(stderr.toString("utf8"));
    throw new ReplicationError(
      "REPL_REMOTE_WRITE_FAILED",
      `could not remove the credential files in ${dir} on node ${nodeName}${detail === "" ? "" : `: ${detail}`}`,
      {
        category: "incomplete",
        hint: "check the directory's permissions on the node, then run again",
        context: { node: nodeName, path: dir },
      },
    );
  }
  const [result, removed, remaining] = takeLines(text, ["result", "removed", "remaining"], nodeName, "delete");
  if (
    result !== "done" ||
    !COUNT.test(removed ?? "") ||
    !COUNT.test(remaining ?? "") ||
    text.split("\n").length !== 4
  ) {
    throw invalid(nodeName, "delete");
  }
  return { removed: Number(removed), remaining: Number(remaining) };
}
