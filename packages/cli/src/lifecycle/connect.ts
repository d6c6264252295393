import type { ConnectJournal, ConnectOpsError, ConnectOutcome } from "@connect-ops/connection-core";
import { randomBytes } from "node:crypto";
import { CliError, usageError } from "../errors.js";
import { readArgumentFile } from "../flows/argument-file.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { CloudClientFactory, CrashHook, OpenedAppliance } from "./ports.js";
import { sealMintedToken } from "./seal-token.js";

/** What connect touches; the appliance is opened only once every input checked out. */
export interface ApplianceConnectPorts {
  readonly openAppliance: () => Promise<OpenedAppliance>;
  readonly cloud: CloudClientFactory;
  /** Whether the cloud client carries an admin token (registering a record needs it). */
  readonly hasAdminToken: boolean;
  readonly now: () => number;
  readonly crash: CrashHook;
}

export interface ConnectRequest {
  readonly cloudUrl: string;
  readonly hostname: string;
  readonly ghesVersion: string;
  /** The license file as typed (for messages) and resolved. */
  readonly licenseFile: string;
  readonly licensePath: string;
  readonly account: string;
}

/**
 * The enable flow: validates every input before touching anything, then runs
 * the journaled `runConnect` with the vault as its sealing port.
 */
export async function connectAppliance(ports: ApplianceConnectPorts, request: ConnectRequest): Promise<ConnectOutcome> {
  const core = await import("@connect-ops/connection-core");
  const vaultLib = await import("@connect-ops/credential-vault");
  const account = core.parseAccountSpec(request.account);
  if (account === undefined) {
    throw usageError(
      `--account "${request.account}" is not organization:LOGIN or enterprise:SLUG`,
      "pass e.g. --account enterprise:acme or --account organization:acme-ops",
    );
  }
  const licenseBytes = await readArgumentFile({
    path: request.licensePath,
    given: request.licenseFile,
    kind: "license",
    what: "license file",
    hint: "pass the .ghl/.json license file of this appliance with --license",
  });
  const license = core.parseLicense(licenseBytes, request.licenseFile);
  const record = core.parseInput(
    core.connectionRecordSchema,
    {
      licensePublicKey: license.publicKeyPem,
      licenseHash: license.licenseHash,
      customerName: license.customerName,
      hostname: request.hostname,
      ghesVersion: request.ghesVersion,
      account: { ...account, id: 0 },
    },
    "connect flags",
  );
  const appliance = await ports.openAppliance();
  const client = await ports.cloud(request.cloudUrl);
  const journalName = "connect";
  const journal = await readJournal<ConnectJournal>(appliance.journalDir, journalName);
  if (!ports.hasAdminToken && journal?.completedAt === undefined) {
    throw usageError(
      "the cloud admin token is missing",
      "export CONNECT_OPS_CLOUD_TOKEN=<an enterprise owner's token> (never pass it as an argument)",
    );
  }
  const identities = appliance.identities;
  return core
    .runConnect(
      client.baseUrl,
      { ...record, account },
      {
        client,
        now: ports.now,
        loadJournal: () => Promise.resolve(journal),
        saveJournal: (next) => writeJournal(appliance.journalDir, journalName, next),
        sealedApp: async () => {
          const meta = await appliance.vault.readMeta();
          if (meta === undefined) return undefined;
          const { bundle } = await appliance.vault.open(identities);
          if (bundle.cloudUrl !== client.baseUrl) return undefined;
          return { ...bundle.app, installationId: bundle.installationId };
        },
        sealApp: async (app, link) => {
          await vaultLib.sealAppKey(appliance.vault, appliance.recipients, {
            cloudUrl: client.baseUrl,
            app: { appId: app.appId, slug: app.slug, clientId: app.clientId, privateKeyPem: app.privateKeyPem },
            recordId: link.recordId,
            record: { ...record, account: { ...account, id: link.accountId } },
            saltBytes: randomBytes(16),
          });
        },
        sealToken: (installationId, token) => sealMintedToken(appliance, installationId, token),
        checkpoint: ports.crash,
      },
    )
    .catch((error: unknown) => {
      throw recordsUnsupported(error instanceof core.ConnectOpsError ? error : undefined, client.baseUrl) ?? error;
    });
}

/**
 * A cloud without the Connect-record API (github.com answers 404 for `POST /connect/records`) cannot be connected this
 * way: say which commands can, instead of a bare 404.
 */
function recordsUnsupported(error: ConnectOpsError | undefined, baseUrl: string): CliError | undefined {
  if (error?.code !== "CLOUD_NOT_FOUND" || error.context["route"] !== "POST /connect/records") return undefined;
  return new CliError(
    "CLI_CONNECT_RECORDS_UNSUPPORTED",
    `the cloud at ${baseUrl} has no Connect-record API (POST /connect/records answered 404, as github.com does): connect cannot register a record there`,
    {
      category: "input",
      hint: "create the App with `connect-ops connect --manifest --cloud-url URL --account organization:LOGIN`, or take over an App made in the settings page with `connect-ops adopt --cloud-url URL --app-id N --private-key FILE --account organization:LOGIN`",
      cause: error,
    },
  );
}
