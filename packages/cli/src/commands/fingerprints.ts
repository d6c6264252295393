import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** The flags as commander names them. */
export interface FingerprintsExportOptions {
  readonly out?: string;
  readonly force?: boolean;
}

export async function runFingerprintsExportCommand(
  context: CommandContext,
  options: FingerprintsExportOptions,
): Promise<CommandResult> {
  if (options.out === undefined || options.out.trim() === "")
    throw usageError("--out FILE is required", "pass --out fingerprints.json (the file to copy to the auditor)");
  const { fingerprintExportPorts } = await import("../wiring/disconnect.js");
  const { exportFingerprints } = await import("../lifecycle/fingerprints-export.js");
  const outcome = await exportFingerprints(await fingerprintExportPorts(context), {
    outFile: context.resolvePath(options.out),
    given: options.out,
    force: options.force === true,
  });
  return {
    exitCode: EXIT.ok,
    json: {
      file: outcome.file,
      fingerprintSets: outcome.fingerprintSets,
      sealedCopies: outcome.sealedCopies,
      subject: outcome.subject ?? null,
    },
    human: [
      `Wrote ${String(outcome.fingerprintSets.length)} fingerprint set(s) (${outcome.fingerprintSets.join(", ")}) to ${outcome.file}`,
      `  and the SHA-256 and recipients of ${String(outcome.sealedCopies)} sealed cop${outcome.sealedCopies === 1 ? "y" : "ies"} the ledger recorded`,
      "  secret-free: salted one-way digests, hashes of ciphertext and public keys only; copy it to the auditor's machine",
      `  then: connect-ops verify-cleanup --fingerprints ${options.out} --data-dir DIR --report audit.json`,
    ],
  };
}

/** `connect-ops fingerprints …`: the secret-free fingerprint sets an audit looks for. */
export function registerFingerprints(program: Command, run: CommandRunner): void {
  const group = program
    .command("fingerprints")
    .description("the secret-free fingerprints of the credentials, for audits off the appliance")
    .addHelpText(
      "after",
      "\nRunbook: docs/runbooks/disconnect-and-audit.md\n\nExample (on the appliance):\n  connect-ops fingerprints export --out /tmp/connect-fingerprints.json",
    );
  group
    .command("export")
    .description("write this state dir's fingerprint sets (vault and disconnect journal) to a file; exit 0 written")
    .option("--out <file>", "the file to write (required; atomically, mode 0644: it holds no secret)")
    .option("--force", "replace --out FILE when it already exists")
    .addHelpText(
      "after",
      "\nThe file names the connection (cloud URL, app id and slug) and holds salted one-way digests only;\nverify-cleanup --fingerprints FILE and backup scan --fingerprints FILE read it.\n\nExample (on the appliance, then on the auditor's machine):\n  connect-ops fingerprints export --out /tmp/connect-fingerprints.json\n  connect-ops verify-cleanup --fingerprints connect-fingerprints.json --data-dir /data/ghe-backup --report audit.json",
    )
    .action((options: FingerprintsExportOptions) => run((context) => runFingerprintsExportCommand(context, options)));
}
