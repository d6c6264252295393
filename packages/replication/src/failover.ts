import type { VaultMeta } from "@connect-ops/credential-vault";
import type { NodeProbe } from "./probe-nodes.js";

export interface FailoverCheck {
  readonly name: "reachable" | "intact" | "generation" | "key-fingerprint" | "token-ttl" | "recipients";
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
}

/**
 * Whether each HA replica (probes with role `replica`) could take over
 * GitHub Connect now. Checks: reachable; holds a complete pair (meta describes
 * credentials.age); same generation and key fingerprint as the primary; token
 * valid beyond `minTtlMs`; sealed to a recipient the replica can open.
 *
 * Recipient rule: when the inventory gives the replica's own `recipient`, the
 * node's meta must list it. Without one we cannot know the replica's key, so
 * we require the node's recipients to equal the primary's (the replica was
 * set up to share the primary's identity) and say so in the detail.
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
  checks.push(recipientCheck(primary, probe));
  return checks;
}

function recipientCheck(primary: VaultMeta, probe: NodeProbe): FailoverCheck {
  if (probe.recipient !== undefined) {
    const ok = probe.recipients.includes(probe.recipient);
    return {
      name: "recipients",
      ok,
      detail: ok ? "sealed to the replica's recipient" : "not sealed to the replica's recipient from the inventory",
    };
  }
  const same =
    probe.recipients.length === primary.recipients.length &&
    primary.recipients.every((recipient) => probe.recipients.includes(recipient));
  return {
    name: "recipients",
    ok: same,
    detail: same
      ? "inventory names no recipient for this replica; sealed to the primary's recipients"
      : "inventory names no recipient for this replica and its recipients differ from the primary's",
  };
}
