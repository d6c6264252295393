import { ignoreMissing } from "@connect-ops/connection-core";
import { readIdentityFile, recipientOf, type EnrolledNode } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import type { EscrowEntry } from "../flows/escrow-record.js";

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
}

/** The recipient of the identity file at `path`, or undefined when it is absent or holds none. */
async function recipientAt(path: string): Promise<string | undefined> {
  if ((await ignoreMissing(lstat(path))) === undefined) return undefined;
  const [identity] = await readIdentityFile(path).catch(() => [] as string[]);
  return identity === undefined ? undefined : await recipientOf(identity);
}

/**
 * What a shred destroys: the appliance identity, each recorded escrow whose
 * identity is on this host (and holds the recorded recipient), and — listed
 * as not destroyed, so their copies stay residue — escrows elsewhere and the
 * enrolled nodes' identities (issue 17.3: destroying those over the
 * transport is not built yet).
 */
export async function planShred(input: {
  readonly identityFile: string;
  readonly applianceRecipient: string;
  readonly escrows: readonly EscrowEntry[];
  readonly enrolledNodes: readonly EnrolledNode[];
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
  for (const node of input.enrolledNodes)
    targets.push({
      recipient: node.recipient,
      role: "node",
      where: `${node.name}:age-identity`,
      state: "not-destroyed",
      reason: "node identities are not destroyed over the transport yet: copies sealed to it stay residue",
    });
  return targets;
}
