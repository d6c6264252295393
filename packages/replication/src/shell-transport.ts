import { newTempId } from "@connect-ops/credential-vault";
import { nodeDirIsSymlink, ReplicationError, sanitizeRemoteText } from "./errors.js";
import { parseCommitOutput, parseProbeOutput, parseRemoveOutput, parseSweepOutput } from "./remote-output.js";
import {
  commitScript,
  normalizeNodeDir,
  probeEndMarker,
  probeScript,
  pushScript,
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
import type { NodeState, NodeTransport, PushStep } from "./transport.js";

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
    async push(payload, write, signal) {
      const id = newTempId();
      const marker = probeEndMarker(id);
      let state: NodeState | undefined;
      let verb: "write" | "sweep" | "skip" = "skip";
      const script = pushScript({
        dir,
        id,
        metaLength: payload.metaBytes.length,
        sealedSha256: payload.sealedSha256,
        metaSha256: payload.metaSha256,
        ...(lock === undefined ? {} : { lock }),
      });
      const answer = (head: Buffer): readonly Uint8Array[] => {
        const probed = parseProbeOutput(head, nodeName);
        state = probed;
        if (write(probed)) {
          verb = "write";
          const line = `write ${probed.sealedSha256 ?? "absent"} ${probed.metaSha256 ?? "absent"}\n`;
          return [Buffer.from(line, "latin1"), payload.metaBytes, payload.sealed];
        }
        verb = probed.tempFiles > 0 ? "sweep" : "skip";
        return [Buffer.from(`${verb}\n`, "latin1")];
      };
      const result = checkExit(await shell.converse(script, { marker, answer }, signal), "push");
      const at = result.stdout.indexOf(marker);
      if (state === undefined || at < 0) {
        // The script ended before its probe finished: parse what it printed for the precise error.
        parseProbeOutput(result.stdout, nodeName);
        throw invalidPush(nodeName);
      }
      const tail = result.stdout.subarray(at + marker.length);
      return finishPush(state, verb, { ...result, stdout: tail });
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

  function finishPush(state: NodeState, verb: "write" | "sweep" | "skip", tail: ShellResult): PushStep {
    if (verb === "skip") {
      if (tail.stdout.length !== 0) throw invalidPush(nodeName);
      return { state, step: "none" };
    }
    if (tail.stdout.length === REFUSED_SYMLINK.length && tail.stdout.toString("latin1") === REFUSED_SYMLINK) {
      throw nodeDirIsSymlink(nodeName, normalizeNodeDir(dir));
    }
    if (verb === "sweep")
      return { state, step: "swept", removed: parseSweepOutput(tail.stdout, tail.stderr, nodeName, dir) };
    const locked = lock === undefined ? undefined : lockedError(tail.stdout.toString("latin1"), nodeName, lock.waitMs);
    if (locked !== undefined) throw locked;
    return { state, step: "committed", commit: parseCommitOutput(tail.stdout, tail.stderr, nodeName, dir) };
  }
}

function invalidPush(nodeName: string): ReplicationError {
  return new ReplicationError(
    "REPL_REMOTE_OUTPUT_INVALID",
    `node ${nodeName} answered the push step with unexpected output`,
    {
      category: "incomplete",
      hint: "check that the node has sh and GNU coreutils (sha256sum, head) on the PATH of the SSH user",
      context: { node: nodeName },
    },
  );
}
