import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandContext, CommandResult } from "../context.js";
import { createDemoSandbox, type DemoSandbox } from "./demo-sandbox.js";

export interface DemoStep {
  readonly name: string;
  readonly narration: string;
  readonly command: string;
  readonly exitCode: number;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly result: unknown;
  readonly human: readonly string[];
}

export interface DemoTranscript {
  readonly ok: boolean;
  readonly sandbox: string | null;
  readonly report: string;
  readonly signature: string;
  /** The audit signing public key; kept beside the report so the signature can be checked after the sandbox is gone. */
  readonly publicKey: string;
  readonly verdict: string | null;
  readonly durationMs: number;
  readonly steps: readonly DemoStep[];
}

interface StepPlan {
  readonly name: string;
  readonly narration: string;
  readonly command: string;
  readonly expectExit: number;
  readonly run: (context: CommandContext) => Promise<CommandResult>;
}

/** A demo step as the command would run it: wire the production ports, call the lifecycle, render. */
function demoSteps(sandbox: DemoSandbox, cloudUrl: string, backupRecipient: string): StepPlan[] {
  const report = join(sandbox.reportDir, "verify-cleanup.json");
  const data = ["--data-dir", sandbox.dataDir];
  const connectFlags = {
    cloudUrl,
    hostname: "ghes.demo.example",
    ghesVersion: "3.14.2",
    account: "enterprise:octo-demo",
  };
  return [
    {
      name: "init",
      narration: "Create the primary's state directory, its age identity and the audit signing key.",
      command: "connect-ops init",
      expectExit: 0,
      run: async (context) => {
        const { initStateDir } = await import("@connect-ops/credential-vault");
        const { renderInit } = await import("../render/init.js");
        return renderInit(
          await initStateDir(context.globals.stateDir, { recoveryRecipients: [], now: context.io.now }),
        );
      },
    },
    {
      name: "connect",
      narration:
        "Enable GitHub Connect: register the connection record, create the GitHub App, seal its key and first token.",
      command: `connect-ops connect --cloud-url ${cloudUrl} --hostname ghes.demo.example --ghes-version 3.14.2 --license ${sandbox.license} --account enterprise:octo-demo`,
      expectExit: 0,
      run: async (context) => {
        const { connectAppliance } = await import("../lifecycle/connect.js");
        const { renderConnect } = await import("../render/connect.js");
        const outcome = await connectAppliance(await (await import("../wiring/connect.js")).connectPorts(context), {
          ...connectFlags,
          licenseFile: sandbox.license,
          licensePath: sandbox.license,
        });
        return renderConnect(outcome, connectFlags);
      },
    },
    {
      name: "token",
      narration: "Ask for a token valid at least 10 minutes: the sealed one is reused, nothing is decrypted.",
      command: "connect-ops token --min-ttl 10m",
      expectExit: 0,
      run: async (context) => {
        const { ensureFreshToken, parseDuration } = await import("../lifecycle/token.js");
        const { renderToken } = await import("../render/token.js");
        return renderToken(
          await ensureFreshToken(await (await import("../wiring/connect.js")).tokenPorts(context), {
            minTtlMs: parseDuration("10m", "--min-ttl"),
            force: false,
            verify: false,
          }),
        );
      },
    },
    {
      name: "node enroll",
      narration:
        "Give the HA replica its own age identity, written only to the node; the vault is sealed again to include it.",
      command: `connect-ops node enroll --inventory ${sandbox.inventory} --node replica-1`,
      expectExit: 0,
      run: async (context) => {
        const { enrollNode } = await import("../lifecycle/node-enroll.js");
        const { runNodeEnrollOutput } = await import("../render/node-enroll.js");
        const { ports, request, source } = await (
          await import("../wiring/nodes.js")
        ).enrollPorts(context, { inventory: sandbox.inventory, node: "replica-1" });
        return runNodeEnrollOutput(await enrollNode(ports, request), "--inventory", source);
      },
    },
    {
      name: "replicate",
      narration:
        "Push the sealed credentials to the HA replica and both cluster nodes, atomically, and prove they converged.",
      command: `connect-ops replicate --inventory ${sandbox.inventory}`,
      expectExit: 0,
      run: async (context) => {
        const { replicateFromPrimary } = await import("../lifecycle/replicate.js");
        const { renderReplicate } = await import("../render/replicate.js");
        const ports = await (
          await import("../wiring/nodes.js")
        ).replicatePorts(context, { inventory: sandbox.inventory, acceptNewHostKeys: false }, {});
        return renderReplicate(await replicateFromPrimary(ports, { dryRun: false }));
      },
    },
    {
      name: "failover-check",
      narration:
        "Check that the replica could take over: same generation and key, token valid beyond the margin, sealed to its own identity, which it holds.",
      command: `connect-ops failover-check --inventory ${sandbox.inventory}`,
      expectExit: 0,
      run: async (context) => {
        const { parseDuration } = await import("@connect-ops/connection-core");
        const { checkFailover } = await import("../lifecycle/failover-check.js");
        const { renderFailover } = await import("../render/failover-check.js");
        const ports = await (
          await import("../wiring/nodes.js")
        ).failoverPorts(context, { inventory: sandbox.inventory });
        return renderFailover(
          await checkFailover(ports, { minTtlMs: parseDuration("10m", "--min-ttl"), rehearse: false }),
        );
      },
    },
    {
      name: "backup include",
      narration: "Seal the credentials into the newest backup snapshot, to the backup key (not the appliance's).",
      command: `connect-ops backup include ${sandbox.currentSnapshot} --recipient ${backupRecipient}`,
      expectExit: 0,
      run: async (context) => {
        const { includeIntoSnapshot } = await import("../lifecycle/backup-include.js");
        const { renderInclude } = await import("../render/backup-include.js");
        const ports = await (
          await import("../wiring/backup.js")
        ).includePorts(context, { recipient: [backupRecipient] });
        return renderInclude(await includeIntoSnapshot(ports, { snapshot: sandbox.currentSnapshot, force: false }));
      },
    },
    {
      name: "disconnect",
      narration:
        "Disconnect: delete the app and record on the cloud, prove the token is refused, destroy the vault, delete every node's copy, purge the snapshots.",
      command: `connect-ops disconnect --inventory ${sandbox.inventory} --data-dir ${sandbox.dataDir} --purge-backups --yes`,
      expectExit: 0,
      run: async (context) => {
        const { runDisconnect } = await import("../lifecycle/disconnect.js");
        const { renderDisconnect } = await import("../render/disconnect.js");
        // --yes: the plan needs no confirmation.
        const { ports, request } = await (
          await import("../wiring/disconnect.js")
        ).disconnectPorts(
          context,
          { topology: { inventory: sandbox.inventory }, dataDirs: [sandbox.dataDir], purgeBackups: true },
          () => Promise.resolve(),
        );
        return renderDisconnect(await runDisconnect(ports, request));
      },
    },
    {
      name: "verify-cleanup",
      narration: "Audit independently that the credentials are gone everywhere, and sign the report.",
      command: `connect-ops verify-cleanup --inventory ${sandbox.inventory} ${data.join(" ")} --report ${report}`,
      expectExit: 0,
      run: async (context) => {
        const { auditCleanup } = await import("../lifecycle/audit-cleanup.js");
        const { renderAudit } = await import("../render/verify-cleanup.js");
        const { ports, request } = await (
          await import("../wiring/disconnect.js")
        ).auditPorts(context, {
          topology: { inventory: sandbox.inventory },
          dataDirs: [sandbox.dataDir],
          reportFile: report,
          format: "json",
        });
        return renderAudit(await auditCleanup(ports, request));
      },
    },
    {
      name: "verify-report",
      narration: "Check the report's Ed25519 signature, as an auditor would (openssl works too).",
      command: `connect-ops verify-report ${report}`,
      expectExit: 0,
      run: async (context) => {
        const { checkSignedReport } = await import("../flows/audit-report-verify.js");
        const { renderSignatureCheck } = await import("../render/verify-report.js");
        return renderSignatureCheck(
          await checkSignedReport(report, join(context.globals.stateDir, "audit-signing.pub")),
        );
      },
    },
  ];
}

/**
 * Runs the whole lifecycle on the built-in default: the GitHub API simulator
 * in-process, a primary, one replica and two cluster nodes as local
 * directories, a backup-utils data dir. Each step wires the production
 * ports, calls the lifecycle and renders it as the command does, so the
 * demo exercises exactly what operators run. Stops at the
 * first step that does not exit as expected. Removes the sandbox unless
 * `keep` (the report and signature are then left where it says).
 */
export async function runDemo(
  context: CommandContext,
  options: { keep: boolean; onStep?: (step: DemoStep, plan: { narration: string }) => void },
): Promise<DemoTranscript> {
  const started = context.io.now();
  const { startGitHubSim } = await import("@connect-ops/github-sim");
  const { generateAgeIdentity } = await import("@connect-ops/credential-vault");
  const root = mkdtempSync(join(tmpdir(), "connect-ops-demo-"));
  // The signed report outlives the sandbox: it is what the demo leaves behind to look at.
  const reportDir = options.keep ? join(root, "audit") : mkdtempSync(join(tmpdir(), "connect-ops-demo-report-"));
  mkdirSync(reportDir, { recursive: true, mode: 0o700 });
  const sim = await startGitHubSim();
  const steps: DemoStep[] = [];
  try {
    const backup = await generateAgeIdentity();
    const sandbox = createDemoSandbox(root, backup.identity, reportDir);
    const stepContext: CommandContext = {
      ...context,
      globals: { ...context.globals, stateDir: sandbox.stateDir, configPath: undefined, json: false, progress: false },
      io: {
        ...context.io,
        env: { ...context.io.env, CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() },
        stdinIsTTY: false,
      },
      resolvePath: (path) => path,
    };
    for (const plan of demoSteps(sandbox, sim.url, backup.recipient)) {
      const stepStarted = context.io.now();
      let result: CommandResult;
      try {
        result = await plan.run(stepContext);
      } catch (error) {
        const { errorJson, exitCodeFor, formatError } = await import("../errors.js");
        result = { exitCode: exitCodeFor(error), json: errorJson(error), human: [formatError(error)] };
      }
      const step: DemoStep = {
        name: plan.name,
        narration: plan.narration,
        command: plan.command,
        exitCode: result.exitCode,
        ok: result.exitCode === plan.expectExit,
        durationMs: Math.round(context.io.now() - stepStarted),
        result: result.json,
        human: result.human,
      };
      steps.push(step);
      options.onStep?.(step, plan);
      if (!step.ok) break;
    }
    const report = join(sandbox.reportDir, "verify-cleanup.json");
    const publicKey = join(sandbox.reportDir, "audit-signing.pub");
    // Absent when the demo stopped before `init`; any other failure is the user's to see.
    const { ignoreMissing } = await import("@connect-ops/connection-core");
    await ignoreMissing(copyFile(join(sandbox.stateDir, "audit-signing.pub"), publicKey));
    const verdict =
      (steps.find((step) => step.name === "verify-cleanup")?.result as { verdict?: string } | undefined)?.verdict ??
      null;
    const ok = steps.length === demoSteps(sandbox, sim.url, backup.recipient).length && steps.every((step) => step.ok);
    return {
      ok,
      sandbox: options.keep ? root : null,
      report,
      signature: `${report}.sig`,
      publicKey,
      verdict,
      durationMs: Math.round(context.io.now() - started),
      steps,
    };
  } finally {
    await sim.close();
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
}
