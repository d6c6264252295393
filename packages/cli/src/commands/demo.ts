import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

export interface DemoOptions {
  readonly keep?: boolean;
}

export async function runDemoCommand(context: CommandContext, options: DemoOptions): Promise<CommandResult> {
  const { runDemo } = await import("../demo/demo.js");
  const live = !context.globals.json;
  let index = 0;
  const transcript = await runDemo(context, {
    keep: options.keep === true,
    onStep: (step) => {
      if (!live) return;
      index += 1;
      const out = context.io.stdout;
      out.write(`\n${index}. ${step.narration}\n   $ ${step.command}\n`);
      for (const line of step.human) out.write(`   ${line}\n`);
      out.write(`   ${step.ok ? "ok" : `FAILED (exit ${step.exitCode})`} in ${step.durationMs} ms\n`);
    },
  });
  const human = transcript.ok
    ? [
        "",
        `Verdict: ${transcript.verdict} — the credentials are gone from the primary, every node and every snapshot (${transcript.durationMs} ms in all).`,
        `The signed audit report is ${transcript.report} (signature ${transcript.signature});`,
        `  check it with: openssl pkeyutl -verify -pubin -inkey ${transcript.publicKey} -rawin -in ${transcript.report} -sigfile ${transcript.signature}`,
        transcript.sandbox === null
          ? "The sandbox was removed; run `connect-ops demo --keep` to explore the state dirs, nodes and snapshots."
          : `Sandbox kept in ${transcript.sandbox}.`,
      ]
    : ["", `The demo stopped at "${transcript.steps.at(-1)?.name}"; see the step's output above.`];
  return { exitCode: transcript.ok ? EXIT.ok : EXIT.internal, json: transcript, human };
}

export function registerDemo(program: Command, run: CommandRunner): void {
  program
    .command("demo")
    .description(
      "run the whole lifecycle in a sandbox: simulator, primary, replica, cluster nodes, backups (no setup, no root)",
    )
    .option("--keep", "keep the sandbox (state dirs, nodes, snapshots, the signed report) for exploring")
    .addHelpText("after", "\nExamples:\n  connect-ops demo\n  connect-ops demo --keep --json > transcript.json")
    .action((options: DemoOptions) => run((context) => runDemoCommand(context, options)));
}
