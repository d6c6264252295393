import type { CredentialVault } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import type { ShredPorts } from "../lifecycle/shred.js";
import { crashHook } from "./appliance.js";

// Composition root (see appliance.ts): shred, and the state verify-cleanup reads after one.
// A shredded state dir has no identity any more, so these ports never go through loadStateDir.

/** shred's production ports: the state dir (checked safe), its signing key, and the plan from what it recorded. */
export async function shredPorts(context: CommandContext): Promise<ShredPorts> {
  const { ensureSafeDirectory, readEnrolledNodes, readIdentityFile, recipientOf, STATE_FILES } =
    await import("@connect-ops/credential-vault");
  const stateDir = context.globals.stateDir;
  await ensureSafeDirectory(stateDir);
  const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
  const { toolVersion } = await import("../tool-version.js");
  const identityFile = join(stateDir, STATE_FILES.identity);
  return {
    stateDir,
    journalDir: join(stateDir, STATE_FILES.journal),
    signingKey: await readAuditSigningKey(stateDir),
    plan: async () => {
      const [identity] = await readIdentityFile(identityFile);
      const { readEscrows } = await import("../flows/escrow-record.js");
      const { planShred } = await import("../lifecycle/shred-plan.js");
      return await planShred({
        identityFile,
        applianceRecipient: await recipientOf(identity ?? ""),
        escrows: await readEscrows(stateDir),
        enrolledNodes: await readEnrolledNodes(stateDir),
      });
    },
    now: context.io.now,
    crash: await crashHook(context),
    toolVersion: await toolVersion(),
  };
}

/**
 * The state verify-cleanup audits: the appliance as `openAppliance` opens it, or — once a
 * shred destroyed the identity — the state dir's vault, journal and signing key without it.
 */
export async function auditedState(
  context: CommandContext,
): Promise<{ stateDir: string; vault: CredentialVault; journalDir: string }> {
  const vaultModule = await import("@connect-ops/credential-vault");
  const { ensureSafeDirectory, STATE_FILES } = vaultModule;
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const { lstat } = await import("node:fs/promises");
  const stateDir = context.globals.stateDir;
  const shredded =
    (await ignoreMissing(lstat(join(stateDir, STATE_FILES.shredAttestation)))) !== undefined &&
    (await ignoreMissing(lstat(join(stateDir, STATE_FILES.identity)))) === undefined;
  if (!shredded) {
    const { openAppliance } = await import("./appliance.js");
    const appliance = await openAppliance(context);
    return { stateDir: appliance.state.stateDir, vault: appliance.vault, journalDir: appliance.journalDir };
  }
  await ensureSafeDirectory(stateDir);
  return {
    stateDir,
    vault: new vaultModule.CredentialVault(join(stateDir, STATE_FILES.vault), { now: context.io.now }),
    journalDir: join(stateDir, STATE_FILES.journal),
  };
}

/** `--unreachable-copies FILE` through the bounded reader: one SHA-256 or path a line, `#` comments ignored. */
export async function readUnreachableCopies(
  context: CommandContext,
  file: string,
): Promise<{ source: string; lines: string[] }> {
  const { readArgumentFile } = await import("../flows/argument-file.js");
  const bytes = await readArgumentFile({
    path: context.resolvePath(file),
    given: file,
    kind: "copy-list",
    what: "unreachable-copies file",
    hint: "pass a text file naming each copy the audit cannot reach: its SHA-256 (sha256sum) or the path it was written to, one a line",
  });
  const lines = bytes
    .toString("utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  return { source: file, lines };
}
