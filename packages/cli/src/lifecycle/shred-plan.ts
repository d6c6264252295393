import { ignoreMissing } from "@connect-ops/connection-core";
import { readIdentityFile, recipientOf, type EnrolledNode } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import type { EscrowEntry } from "../flows/escrow-record.js";

/** `node-identity.txt` (replication's NODE_IDENTITY_FILE), spelled here so planning loads no transport code. */
const NODE_IDENTITY_FILE = "node-identity.txt";

/** One identity `shred` is to destroy, and what became of it. Paths and recipients only: nothing secret. */
export interface ShredTarget {
  readonly recipient: string;
  readonly role: "appliance" | "escrow" | "node";
  /** Where the identity lives: a path on this host, or `NODE:PATH`. */
  readonly where: string;
  readonly state: "pending" | "destroyed" | "not-destroyed";
  readonly bytes?: number;
  readonly destroyedAt?: string;
  /** Why a target was not destroyed (shown in the attestation; its copies stay residue). */
  readonly reason?: string;
  /** A node target: the enrolled node's name and the SHA-256 of its identity file (the enrolled-nodes ledger's). */
  readonly node?: string;
  readonly identitySha256?: string;
  /** A node target destroyed while its file was already gone (the ledger recorded it there). */
  readonly absent?: boolean;
  /** How often a pending node target could not be reached (a re-run retries it). */
  readonly attempts?: number;
}

/** The recipient of the identity file at `path`, or undefined when it is absent or holds none. */
async function recipientAt(path: string): Promise<string | undefined> {
  if ((await ignoreMissing(lstat(path))) === undefined) return undefined;
  const [identity] = await readIdentityFile(path).catch(() => [] as string[]);
  return identity === undefined ? undefined : await recipientOf(identity);
}

/**
 * What a shred destroys: the appliance identity, each recorded escrow whose
 * identity is on this host (and holds the recorded recipient), and each
 * enrolled node's identity (over the node's transport; `nodePath` says where
 * the node keeps it when an inventory names the node). Escrows elsewhere are
 * listed as not destroyed: their copies stay residue.
 */
export async function planShred(input: {
  readonly identityFile: string;
  readonly applianceRecipient: string;
  readonly escrows: readonly EscrowEntry[];
  readonly enrolledNodes: readonly EnrolledNode[];
  readonly nodePath?: (name: string) => string | undefined;
}): Promise<ShredTarget[]> {
  const targets: ShredTarget[] = [
    { recipient: input.applianceRecipient, role: "appliance", where: input.identityFile, state: "pending" },
  ];
  for (const escrow of input.escrows) {
    const found = await recipientAt(escrow.path);
    targets.push(
      found === escrow.recipient
        ? { recipient: escrow.recipient, role: "escrow", where: escrow.path, state: "pending" }
        : {
            recipient: escrow.recipient,
            role: "escrow",
            where: escrow.path,
            state: "not-destroyed",
            reason:
              found === undefined
                ? "the escrow identity is not on this host: destroy it where it is kept, then run shred there"
                : "the file there now holds another identity",
          },
    );
  }
  for (const node of input.enrolledNodes) {
    const dir = input.nodePath?.(node.name);
    targets.push({
      recipient: node.recipient,
      role: "node",
      where: `${node.name}:${dir === undefined ? "" : `${dir.replace(/(.)\/+$/, "$1")}/`}${NODE_IDENTITY_FILE}`,
      state: "pending",
      node: node.name,
      identitySha256: node.identitySha256,
    });
  }
  return targets;
}
