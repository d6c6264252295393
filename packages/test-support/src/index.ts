// Test fixtures shared by the packages' suites and test/ (issue 12, item 3).
// Only test files and other test-support code import this package.
export { testdir, testdirSync, writeTree } from "./testdir.js";
export type { FileEntry, TestDir, TestDirOptions, TreeEntry, TreeSpec } from "./testdir.js";
export { CLI_BIN, CLI_DIR, cliTranscript, spawnCli } from "./cli-runner.js";
export type { CliEnv, CliRun, SpawnCliOptions } from "./cli-runner.js";
export { itemAt } from "./item-at.js";
export { SuiteResources } from "./suite-resources.js";
export { anyNumber, anyString, stringContaining, stringMatching, stringNotContaining } from "./matchers.js";
export { snapshotCli } from "./cli-snapshot.js";
export type { CliSnapshot, SnapshotCliOptions } from "./cli-snapshot.js";
export { cliErrorOf, parseJsonOutput } from "./json-output.js";
export { mariaDbAvailable, startMariaDb } from "./mariadb.js";
export type { MariaDb } from "./mariadb.js";
export { openSealedVault, openWithAge } from "./sealed-vault.js";
export type { SealedBundle } from "./sealed-vault.js";
export type { CliErrorDocument, JsonShape } from "./json-output.js";
export { ADMIN_HOST_IMAGE_TAG, NODE_IMAGE_TAG } from "./node-image.js";
export { freeLoopbackPort, NODE_TARGET, NodeContainer, startNodeNetwork } from "./node-container.js";
export type { NodeRole, SshNodeSpec, StartNodeOptions } from "./node-container.js";
export { hostKeyFingerprints, SshFixture, startNodes, startSshNodes } from "./ssh-nodes.js";
export type { NodeDefinition, SshTopology } from "./ssh-nodes.js";
export {
  APPLIANCE_NODES,
  applianceAt,
  connectArgv,
  connectedAppliance,
  copyTree,
  CURRENT_SNAPSHOT,
  DISCONNECT_CRASH_POINTS,
  initialisedAppliance,
  OLDER_SNAPSHOT,
  writeLicense,
} from "./appliance.js";
export type {
  Appliance,
  ApplianceLayout,
  ApplianceSecrets,
  BuildApplianceOptions,
  CliRunner,
  CloudEndpoint,
} from "./appliance.js";
export { startTinyproxy } from "./tinyproxy.js";
export type { Tinyproxy, TinyproxyOptions } from "./tinyproxy.js";
