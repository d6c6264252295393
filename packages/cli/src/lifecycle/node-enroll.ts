import type { EnrolledNode } from "@connect-ops/credential-vault";
import type { NodeSpec, ReplicationLogger, SshOptions } from "@connect-ops/replication";
import { usageError } from "../errors.js";
import type { CrashHook, OpenedAppliance } from "./ports.js";

/** What enrolling a node touches: the primary's state dir and vault, the node's transport. */
export interface EnrollPorts {
  readonly appliance: OpenedAppliance;
  /** The recipients every seal is to before this enrollment (own, recovery, enrolled nodes). */
  readonly enrolled: readonly EnrolledNode[];
  readonly ssh: SshOptions;
  readonly logger: ReplicationLogger;
  readonly now: () => number;
  readonly crash: CrashHook;
}

export interface EnrollRequest {
  readonly node: NodeSpec;
}

export interface EnrollOutcome {
  readonly node: string;
  readonly recipient: string;
  readonly identitySha256: string;
  /** False when the node already held the enrolled identity (a re-run after a crash or a second run). */
  readonly identityWritten: boolean;
  /** The vault generation sealed to the node's recipient; null when nothing is sealed yet (not connected). */
  readonly generation: number | null;
  readonly resealed: boolean;
}

/**
 * Gives `node` its own age identity: made here in memory, written to the node
 * (0600, atomic, through its transport), its recipient and the SHA-256 of the
 * file recorded in the state dir, then the vault sealed again to include the
 * recipient (a new generation for `replicate` to push). Resumable without a
 * journal: each step's effect is checked before it runs (a node that already
 * holds the recorded identity is not written again; a vault that already
 * lists the recipient is not resealed). A crash after the write but before
 * the record leaves an unrecorded identity on the node, which the re-run
 * replaces. Throws `CLI_USAGE` for the primary itself, and the transport's
 * errors (exit 3 for an unreachable node, 2 for a refused host key).
 */
export async function enrollNode(ports: EnrollPorts, request: EnrollRequest): Promise<EnrollOutcome> {
  const { node } = request;
  if (node.role === "primary") {
    throw usageError(
      `${node.name} is the primary: it opens the vault with the state dir's own identity`,
      "enroll the replicas and cluster nodes (--node NAME with role replica or cluster)",
    );
  }
  const vaultLib = await import("@connect-ops/credential-vault");
  const { readNodeIdentityDigest, writeNodeIdentity } = await import("@connect-ops/replication");
  const { appliance } = ports;
  const options = { ssh: ports.ssh, logger: ports.logger };

  let enrollment = ports.enrolled.find((entry) => entry.name === node.name);
  let identityWritten = false;
  if (enrollment !== undefined && (await readNodeIdentityDigest(node, options)) !== enrollment.identitySha256) {
    enrollment = undefined; // the node lost or replaced its identity: enroll it afresh
  }
  if (enrollment === undefined) {
    const { identity, recipient } = await vaultLib.generateAgeIdentity();
    const file = Buffer.from(vaultLib.formatIdentityFile(identity, recipient, new Date(ports.now())));
    const identitySha256 = vaultLib.sha256Hex(file);
    let written: string;
    try {
      written = await writeNodeIdentity(node, file, options);
    } finally {
      file.fill(0);
    }
    if (written !== identitySha256) {
      throw usageError(
        `node ${node.name} holds an identity file whose SHA-256 differs from the one just written`,
        "another process writes that file; stop it and run `connect-ops node enroll` again",
      );
    }
    identityWritten = true;
    ports.crash("enroll-identity-written");
    enrollment = { name: node.name, recipient, identitySha256, enrolledAt: new Date(ports.now()).toISOString() };
    const lock = await appliance.vault.lock(); // the state dir's ledgers have one writer at a time
    try {
      await vaultLib.recordEnrolledNodes(appliance.stateDir, [enrollment]);
    } finally {
      await lock.release();
    }
    ports.crash("enroll-recorded");
  }

  // The node's earlier recipient (a re-enrollment) goes: its identity is no longer on the node.
  const earlier = ports.enrolled.find((entry) => entry.name === node.name)?.recipient;
  const recipients = [
    ...new Set([...appliance.recipients.filter((recipient) => recipient !== earlier), enrollment.recipient]),
  ];
  const meta = await appliance.vault.readMeta();
  if (meta === undefined) {
    return { ...outcomeOf(enrollment, identityWritten), generation: null, resealed: false };
  }
  const sealed = await vaultLib.resealToRecipients(appliance.vault, appliance.identities, recipients);
  return { ...outcomeOf(enrollment, identityWritten), generation: sealed.meta.generation, resealed: sealed.resealed };
}

function outcomeOf(enrollment: EnrolledNode, identityWritten: boolean) {
  return {
    node: enrollment.name,
    recipient: enrollment.recipient,
    identitySha256: enrollment.identitySha256,
    identityWritten,
  };
}
