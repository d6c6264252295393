import type { CliIO } from "../io.js";
import { CliError } from "../errors.js";
import type { DisconnectJournal } from "../lifecycle/disconnect-journal.js";

/** The disconnect's confirm port: shows the plan on stderr and asks, unless --yes; throws when not confirmed. */
export function confirmDisconnect(
  io: CliIO,
  options: { yes: boolean; purgeBackups: boolean },
): (journal: DisconnectJournal) => Promise<void> {
  return async (journal) => {
    if (options.yes) return;
    if (!io.stdinIsTTY) {
      throw new CliError(
        "CLI_CONFIRMATION_REQUIRED",
        "disconnect deletes the GitHub App and every copy of its credentials and needs confirmation",
        {
          category: "input",
          hint: "run it on a terminal to confirm, or pass --yes in a runbook",
        },
      );
    }
    const lines = [
      "This will delete:",
      `  cloud      app ${journal.subject?.appSlug ?? "?"} (id ${journal.subject?.appId ?? "?"}), installation ${journal.subject?.installationId ?? "-"}, connection record ${journal.subject?.recordId ?? "-"} at ${journal.subject?.cloudUrl ?? "?"}`,
      `  primary    the vault ${journal.locations.vault} and any temp files in ${journal.locations.stateDir}`,
      ...journal.nodes
        .filter((node) => node.status === "pending")
        .map(
          (node) =>
            `  node       ${node.name} (${node.role}) ${node.transport === "ssh" ? `${node.host}:` : ""}${node.path}`,
        ),
      ...journal.locations.dataDirs.map(
        (dir) =>
          `  snapshots  ${dir} ${options.purgeBackups ? "(redacted)" : "(listed only; --purge-backups redacts)"}`,
      ),
    ];
    io.stderr.write(`${lines.join("\n")}\n`);
    if (!(await io.confirm("Disconnect GitHub Connect now?"))) {
      throw new CliError("CLI_CONFIRMATION_REQUIRED", "disconnect was not confirmed; nothing was changed", {
        category: "input",
        hint: "answer y to proceed",
      });
    }
  };
}
