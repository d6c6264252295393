import type { CredentialVault } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import type { TopologyFlags } from "../flows/inventory.js";
import type { ShredNodePorts, ShredPorts } from "../lifecycle/shred.js";
import { crashHook } from "./appliance.js";

// Composition root (see appliance.ts): shred, and the state verify-cleanup reads after one.
// A shredded state dir has no identity any more, so these ports never go through loadStateDir.

/**
 * The enrolled nodes' transports: the nodes of `--inventory`/`--cluster-conf`, else of the inventory the
 * disconnect recorded (when it is still there); undefined when no node is enrolled or none is named.
 */
async function nodePorts(
  context: CommandContext,
  flags: TopologyFlags,
  stateDir: string,
): Promise<{ ports?: ShredNodePorts; paths: ReadonlyMap<string, string> }> {
  const { readEnrolledNodes, STATE_FILES } = await import("@connect-ops/credential-vault");
  if ((await readEnrolledNodes(stateDir)).length === 0) return { paths: new Map() };
  const { loadTopology } = await import("./topology.js");
  let topologyFlags: TopologyFlags | undefined =
    flags.inventory !== undefined || flags.clusterConf !== undefined ? flags : undefined;
  if (topologyFlags === undefined) {
    const { readDisconnectJournal } = await import("../lifecycle/disconnect-journal.js");
    const { ignoreMissing } = await import("@connect-ops/connection-core");
    const { lstat } = await import("node:fs/promises");
    const recorded = (await readDisconnectJournal(join(stateDir, STATE_FILES.journal)))?.locations.inventory ?? "";
    if (recorded !== "" && (await ignoreMissing(lstat(recorded))) !== undefined)
      topologyFlags = { ...flags, inventory: recorded };
  }
  if (topologyFlags === undefined) return { paths: new Map() };
  const topology = await loadTopology(context, topologyFlags);
  const specs = new Map(topology.all.map((node) => [node.name, node]));
  const { destroyNodeIdentity, readNodesForRehearsal } = await import("@connect-ops/replication");
  const { ConnectOpsError } = await import("@connect-ops/connection-core");
  const spec = (name: string) => {
    const node = specs.get(name);
    if (node === undefined)
      throw new ConnectOpsError("CLI_USAGE", `${topology.source} does not list the enrolled node ${name}`, {
        category: "input",
        hint: "re-run with --inventory FILE (or --cluster-conf FILE) naming every enrolled node",
      });
    return node;
  };
  const options = { ssh: topology.ssh };
  return {
    paths: new Map(topology.all.map((node) => [node.name, node.path])),
    ports: {
      readIdentity: async (name) => {
        const [read] = await readNodesForRehearsal([spec(name)], options);
        if (read === undefined) return null;
        if ("error" in read)
          throw new ConnectOpsError(read.error.code, read.error.message, {
            category: "incomplete",
            ...(read.error.hint === undefined ? {} : { hint: read.error.hint }),
          });
        read.files.sealed?.fill(0);
        return read.files.identity;
      },
      destroy: (name, identitySha256) => destroyNodeIdentity(spec(name), identitySha256, options),
    },
  };
}

/** shred's production ports: the state dir (checked safe), its signing key, the enrolled nodes' transports, and the plan from what it recorded. */
export async function shredPorts(context: CommandContext, flags: TopologyFlags = {}): Promise<ShredPorts> {
  const { ensureSafeDirectory, readEnrolledNodes, readIdentityFile, recipientOf, STATE_FILES } =
    await import("@connect-ops/credential-vault");
  const stateDir = context.globals.stateDir;
  await ensureSafeDirectory(stateDir);
  const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
  const { toolVersion } = await import("../tool-version.js");
  const identityFile = join(stateDir, STATE_FILES.identity);
  const nodes = await nodePorts(context, flags, stateDir);
  return {
    ...(nodes.ports === undefined ? {} : { nodes: nodes.ports }),
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
        nodePath: (name) => nodes.paths.get(name),
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
