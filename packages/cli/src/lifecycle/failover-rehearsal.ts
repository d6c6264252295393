import { isConnectOpsError, parseInput, parseJsonText } from "@connect-ops/connection-core";
import type { VaultMeta } from "@connect-ops/credential-vault";
import type { FailoverCheck, NodeSpec, ReplicationLogger, SshOptions } from "@connect-ops/replication";
import type { CloudClientFactory } from "./ports.js";

export interface RehearsalPorts {
  readonly ssh: SshOptions;
  readonly logger: ReplicationLogger;
  readonly cloud: CloudClientFactory;
}

const failed = (detail: string): FailoverCheck => ({ name: "rehearsal", ok: false, detail });

/**
 * `failover-check --rehearse`: for each replica, reads its identity file and
 * credentials.age into memory over its transport, opens the copy with the
 * node's own identity, and proves the App key it holds authenticates against
 * the cloud (App JWT → `GET /app` answers the primary's app id). Nothing is
 * written anywhere; buffers holding the identity or the plaintext are zeroed.
 * Every failure is a failed `rehearsal` check with the reason (never thrown),
 * so the command still answers READY or NOT READY.
 */
export async function rehearseFailover(
  ports: RehearsalPorts,
  primary: VaultMeta,
  replicas: readonly NodeSpec[],
): Promise<Map<string, FailoverCheck>> {
  const { readNodesForRehearsal } = await import("@connect-ops/replication");
  const reads = await readNodesForRehearsal(replicas, { ssh: ports.ssh, logger: ports.logger });
  const checks = new Map<string, FailoverCheck>();
  for (const read of reads) {
    if ("error" in read) {
      checks.set(read.name, failed(`could not read the node's files: ${read.error.message}`));
      continue;
    }
    const { identity, sealed } = read.files;
    try {
      checks.set(read.name, await rehearseOne(ports, primary, read.name, identity, sealed));
    } finally {
      identity?.fill(0);
    }
  }
  return checks;
}

async function rehearseOne(
  ports: RehearsalPorts,
  primary: VaultMeta,
  name: string,
  identityFile: Buffer | null,
  sealed: Buffer | null,
): Promise<FailoverCheck> {
  if (identityFile === null) return failed("the node has no identity file");
  if (sealed === null) return failed("the node holds no credentials.age");
  const identities = identityFile
    .toString("latin1")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(line));
  if (identities.length === 0) return failed("the node's identity file holds no age identity (damaged)");
  const vaultLib = await import("@connect-ops/credential-vault");
  let plaintext: Uint8Array;
  try {
    plaintext = await vaultLib.openSealedBytes(sealed, identities, [], `${name}:credentials.age`);
  } catch (error) {
    // A damaged identity is not a valid key (age refuses to parse it) or not the one the copy is sealed to.
    const reason = isConnectOpsError(error) ? error.message : "the node's identity is not a valid age identity";
    return failed(`the node's identity does not open its copy: ${reason}`);
  }
  let bundle;
  try {
    bundle = parseInput(
      vaultLib.credentialsBundleSchema,
      parseJsonText(Buffer.from(plaintext).toString("utf8"), `${name}:credentials.age`),
      `${name}:credentials.age`,
    );
  } catch {
    return failed("the node's copy opened but does not hold a credentials bundle");
  } finally {
    plaintext.fill(0);
  }
  if (primary.cloudUrl === undefined || bundle.cloudUrl !== primary.cloudUrl || bundle.app.appId !== primary.appId) {
    return failed(`the node's copy holds app ${bundle.app.appId} at ${bundle.cloudUrl}, not the primary's`);
  }
  try {
    const client = await ports.cloud(primary.cloudUrl);
    const app = await client.getApp({
      appId: bundle.app.appId,
      privateKeyPem: bundle.app.privateKeyPem,
      slug: bundle.app.slug,
    });
    return app.appId === primary.appId
      ? {
          name: "rehearsal",
          ok: true,
          detail: `opened the copy with the node's identity; the App key authenticates as app ${app.appId} (GET /app)`,
        }
      : failed(`the cloud answered GET /app for app ${app.appId}, not ${primary.appId}`);
  } catch (error) {
    const reason = isConnectOpsError(error) ? `${error.code}: ${error.message}` : "the cloud request failed";
    return failed(`the App key in the node's copy did not authenticate against the cloud (${reason})`);
  }
}
