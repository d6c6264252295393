export { ReplicationError, isTransientReplicationError } from "./errors.js";
export type { ReplicationErrorCode } from "./errors.js";
export {
  DEFAULT_NODE_PATH,
  GHES_SSH_PORT,
  GHES_SSH_USER,
  inventorySchema,
  parseInventory,
  selectNodes,
} from "./inventory.js";
export type { Inventory, JumpHostSpec, LoadInventoryOptions, NodeRole, NodeSpec, SshSettings } from "./inventory.js";
export { readInventoryFile, readClusterConfFile } from "./inventory-file.js";
export { importClusterConf } from "./cluster-conf.js";
export type { ImportClusterConfOptions } from "./cluster-conf.js";
export { knownHostsName, lookupHostKey, parseKnownHosts, sshFingerprint } from "./known-hosts.js";
export type { HostKeyLookup, KnownHostEntry, ParsedKnownHosts } from "./known-hosts.js";
export { HostKeyVerifier } from "./host-key-verifier.js";
export type { HostIdentity, HostKeyVerifierOptions } from "./host-key-verifier.js";
export { createReplicationPayload, readVaultPayload } from "./payload.js";
export type { ReplicationPayload } from "./payload.js";
export type { CommitResult, ExpectedPair, NodeState, NodeTransport, RemoveResult } from "./transport.js";
export { createLocalTransport } from "./local-transport.js";
export { shellQuote } from "./shell-quote.js";
export { createShellTransport } from "./shell-transport.js";
export type { RemoteShell, ShellResult } from "./remote-shell.js";
export { openSshShell } from "./ssh-shell.js";
export type { OpenSshShellOptions, SshNodeAddress } from "./ssh-shell.js";
export { createTransportOpener } from "./transport-opener.js";
export type { SshOptions, TransportOpener } from "./transport-opener.js";
export { decidePush, pushToNode } from "./push-to-node.js";
export type { PushDecision, PushOutcome } from "./push-to-node.js";
export { mapWithConcurrency } from "./fan-out.js";
export { withDeadline } from "./with-deadline.js";
export { silentLogger } from "./logger.js";
export type { ReplicationLogger } from "./logger.js";
export { MAX_CONCURRENCY } from "./node-runner.js";
export type { FanOutOptions, NodeError } from "./node-runner.js";
export { allConverged, replicateToNodes } from "./replicate.js";
export type { NodeResult, ReplicateOptions, ReplicateStatus } from "./replicate.js";
export { deleteFromNodes } from "./delete-nodes.js";
export type { DeleteOptions, DeleteStatus, NodeDeleteResult } from "./delete-nodes.js";
export { driftOf, probeNodes } from "./probe-nodes.js";
export type { Drift, ExpectedVault, NodeProbe, ProbeOptions } from "./probe-nodes.js";
export { assessFailoverReadiness } from "./failover.js";
export { NODE_IDENTITY_FILE } from "./node-identity.js";
export type { RehearsalFiles } from "./node-identity.js";
export { readNodeIdentityDigest, readNodesForRehearsal, writeNodeIdentity } from "./node-identity-fan-out.js";
export type { NodeRehearsalRead } from "./node-identity-fan-out.js";
export { destroyNodeIdentity } from "./node-identity-fan-out.js";
export { NODE_IDENTITY_ASIDE } from "./node-identity-destroy.js";
export type { IdentityDestroyResult } from "./node-identity-destroy.js";
export type {
  FailoverCheck,
  FailoverCheckName,
  FailoverOptions,
  FailoverReadiness,
  ReplicaReadiness,
} from "./failover.js";
