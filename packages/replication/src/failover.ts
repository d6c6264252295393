import type { EnrolledNode, VaultMeta } from "@connect-ops/credential-vault";
import type { NodeProbe } from "./probe-nodes.js";

export type FailoverCheckName =
  | "reachable"
  | "intact"
  | "generation"
  | "key-fingerprint"
  | "token-ttl"
  | "enrolled"
  | "recipients"
  | "identity"
  | "rehearsal";

export interface FailoverCheck {
  readonly name: FailoverCheckName;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReplicaReadiness {
  readonly name: string;
  readonly ready: boolean;
  readonly checks: readonly FailoverCheck[];
}

export interface FailoverReadiness {
  readonly ready: boolean;
  readonly replicas: readonly ReplicaReadiness[];
}

export interface FailoverOptions {
  /** The token must stay valid at least this long after `now` (the margin). */
  readonly minTtlMs: number;
  readonly now: Date;
  /** The nodes the primary's state dir enrolled (`node enroll`): their recipients and identity-file hashes. */
  readonly enrolled: readonly EnrolledNode[];
}

/**
 * Whether each HA replica (probes with role `replica`) could take over
 * GitHub Connect now. Checks: reachable; holds a complete pair (meta describes
 * credentials.age); same generation and key fingerprint as the primary; token
 * valid beyond `minTtlMs`; enrolled with its own identity; its copy sealed to
 * that identity's recipient; the identity file present on the node with the
 * recorded SHA-256 (probes taken `withIdentity`).
 *
 * A replica that is not enrolled is not ready: nothing proves it could open
 * its copy (the primary's identity never leaves the primary). An inventory
 * `recipient` that differs from the enrolled one fails the recipients check.
 * `ready` is true only when there is at least one replica and all are ready.
 */
export function assessFailoverReadiness(
  primaryMeta: VaultMeta,
  probes: readonly NodeProbe[],
  options: FailoverOptions,
): FailoverReadiness {
  const replicas = probes
    .filter((probe) => probe.role === "replica")
    .map((probe) => {
      const checks = checksFor(primaryMeta, probe, options);
      return { name: probe.name, ready: checks.every((check) => check.ok), checks };
    });
  return { ready: replicas.length > 0 && replicas.every((replica) => replica.ready), replicas };
}

function checksFor(primary: VaultMeta, probe: NodeProbe, options: FailoverOptions): FailoverCheck[] {
  if (probe.status === "unreachable" || probe.status === "failed") {
    return [{ name: "reachable", ok: false, detail: probe.error?.message ?? `node ${probe.name} could not be probed` }];
  }
  const checks: FailoverCheck[] = [{ name: "reachable", ok: true, detail: "probed over its transport" }];
  checks.push(
    probe.consistent
      ? { name: "intact", ok: true, detail: "meta.json describes credentials.age" }
      : {
          name: "intact",
          ok: false,
          detail: probe.status === "absent" ? "no credentials on the node" : "meta.json does not match credentials.age",
        },
  );
  checks.push({
    name: "generation",
    ok: probe.generation === primary.generation,
    detail: `node ${probe.generation ?? "none"}, primary ${primary.generation}`,
  });
  const fingerprintOk = probe.keyFingerprint !== null && probe.keyFingerprint === (primary.keyFingerprint ?? null);
  checks.push({
    name: "key-fingerprint",
    ok: fingerprintOk,
    detail: fingerprintOk
      ? "same App key as the primary"
      : `node ${probe.keyFingerprint ?? "none"}, primary ${primary.keyFingerprint ?? "none"}`,
  });
  const expiresAt = probe.tokenExpiresAt === null ? Number.NaN : Date.parse(probe.tokenExpiresAt);
  const remainingMs = expiresAt - options.now.getTime();
  checks.push({
    name: "token-ttl",
    ok: Number.isFinite(remainingMs) && remainingMs >= options.minTtlMs,
    detail: Number.isFinite(remainingMs)
      ? `token valid for ${Math.max(0, Math.floor(remainingMs / 1000))} s, margin ${Math.floor(options.minTtlMs / 1000)} s`
      : "no token expiry recorded on the node",
  });
  checks.push(...identityChecks(probe, options.enrolled));
  return checks;
}

/** Enrolled, sealed to the node's recipient, identity file present with the recorded hash. */
export function identityChecks(probe: NodeProbe, enrolled: readonly EnrolledNode[]): FailoverCheck[] {
  const enrollment = enrolled.find((node) => node.name === probe.name);
  if (enrollment === undefined) {
    return [
      {
        name: "enrolled",
        ok: false,
        detail:
          "the node has no identity of its own, so nothing proves it can open its copy (the primary's identity never leaves the primary)",
      },
    ];
  }
  const checks: FailoverCheck[] = [{ name: "enrolled", ok: true, detail: `recipient ${enrollment.recipient}` }];
  const inventoryDiffers = probe.recipient !== undefined && probe.recipient !== enrollment.recipient;
  const sealedToNode = probe.recipients.includes(enrollment.recipient);
  checks.push({
    name: "recipients",
    ok: sealedToNode && !inventoryDiffers,
    detail: inventoryDiffers
      ? `the inventory names recipient ${probe.recipient ?? ""}, the node was enrolled with ${enrollment.recipient}`
      : sealedToNode
        ? "sealed to the node's own recipient"
        : "the node's copy is not sealed to its recipient (replicate after the enrollment)",
  });
  const digest = probe.identitySha256;
  checks.push({
    name: "identity",
    ok: digest === enrollment.identitySha256,
    detail:
      digest === undefined
        ? "the node's identity file was not checked"
        : digest === null
          ? "the node's identity file is missing"
          : digest === enrollment.identitySha256
            ? "identity file present with the recorded SHA-256"
            : "the node's identity file differs from the one enrolled (replaced or damaged)",
  });
  return checks;
}
