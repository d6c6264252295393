import { newTempId } from "@connect-ops/credential-vault";
import { nodeDirIsSymlink, ReplicationError, sanitizeRemoteText } from "./errors.js";
import { parseCommitOutput, parseProbeOutput, parseRemoveOutput, parseSweepOutput } from "./remote-output.js";
import {
  commitScript,
  normalizeNodeDir,
  probeScript,
  REFUSED_SYMLINK,
  removeScript,
  sweepScript,
} from "./remote-scripts.js";
import {
  identityDigestScript,
  identityWriteScript,
  parseIdentityDigestOutput,
  parseIdentityWriteOutput,
  parseRehearsalOutput,
  rehearsalReadScript,
} from "./node-identity.js";
import { identityDestroyScript, parseIdentityDestroyOutput } from "./node-identity-destroy.js";
import { lockedError, type NodeLockOptions } from "./node-lock.js";
import { sha256Hex } from "./payload.js";
import type { RemoteShell, ShellResult } from "./remote-shell.js";
import type { NodeTransport } from "./transport.js";

/** The `ssh` driver's logic, over any `RemoteShell`: one sh script per step; commits under the node-side lock when `lock` is given. */
export function createShellTransport(
  nodeName: string,
  dir: string,
  shell: RemoteShell,
  lock?: NodeLockOptions,
): NodeTransport {
  const checkExit = (result: ShellResult, what: string): ShellResult => {
    if (result.code === 0) {
      if (result.stdout.length === REFUSED_SYMLINK.length && result.stdout.toString("latin1") === REFUSED_SYMLINK) {
        throw nodeDirIsSymlink(nodeName, normalizeNodeDir(dir));
      }
      return result;
    }
    const detail = sanitizeRemoteText(result.stderr.toString("utf8"));
    throw new ReplicationError(
      "REPL_REMOTE_OUTPUT_INVALID",
      `the ${what} step on node ${nodeName} exited with ${result.code ?? "a signal"}${detail === "" ? "" : `: ${detail}`}`,
      {
        category: "incomplete",
        hint: "check that the SSH user's shell can run sh with coreutils on the node",
        context: { node: nodeName },
      },
    );
  };

  return {
    async probe(signal) {
      const result = checkExit(await shell.run(probeScript(dir), [], signal), "probe");
      return parseProbeOutput(result.stdout, nodeName);
    },
    async commit(payload, expected, signal) {
      const script = commitScript({
        dir,
        id: newTempId(),
        metaLength: payload.metaBytes.length,
        sealedSha256: payload.sealedSha256,
        metaSha256: payload.metaSha256,
        expectedSealed: expected.sealedSha256,
        expectedMeta: expected.metaSha256,
        ...(lock === undefined ? {} : { lock }),
      });
      const result = checkExit(await shell.run(script, [payload.metaBytes, payload.sealed], signal), "write");
      const locked =
        lock === undefined ? undefined : lockedError(result.stdout.toString("latin1"), nodeName, lock.waitMs);
      if (locked !== undefined) throw locked;
      return parseCommitOutput(result.stdout, result.stderr, nodeName, dir);
    },
    async sweepTemps(signal) {
      const result = checkExit(await shell.run(sweepScript(dir), [], signal), "sweep");
      return parseSweepOutput(result.stdout, result.stderr, nodeName, dir);
    },
    async remove(signal) {
      const result = checkExit(await shell.run(removeScript(dir), [], signal), "delete");
      return parseRemoveOutput(result.stdout, result.stderr, nodeName, dir);
    },
    async writeIdentity(identityFile, signal) {
      const script = identityWriteScript(dir, newTempId(), sha256Hex(identityFile));
      const result = checkExit(await shell.run(script, [identityFile], signal), "identity write");
      return parseIdentityWriteOutput(result.stdout, result.stderr, nodeName, dir);
    },
    async identityDigest(signal) {
      const result = checkExit(await shell.run(identityDigestScript(dir), [], signal), "identity digest");
      return parseIdentityDigestOutput(result.stdout, nodeName);
    },
    async readForRehearsal(signal) {
      const result = checkExit(await shell.run(rehearsalReadScript(dir), [], signal), "rehearsal read");
      try {
        return parseRehearsalOutput(result.stdout, nodeName);
      } finally {
        result.stdout.fill(0); // the identity crossed in this buffer; the parsed copy is the caller's to zero
      }
    },
    async destroyIdentity(expectedSha256, signal) {
      const result = checkExit(
        await shell.run(identityDestroyScript(dir, expectedSha256), [], signal),
        "identity destroy",
      );
      return parseIdentityDestroyOutput(result.stdout, result.stderr, nodeName, dir);
    },
    [Symbol.asyncDispose]: () => shell[Symbol.asyncDispose](),
  };
}
