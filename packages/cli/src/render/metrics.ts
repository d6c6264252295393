import type { HealthReport } from "../lifecycle/health.js";
import type { ScheduledCommand } from "../flows/last-success.js";

export interface MetricsInput {
  readonly health: HealthReport;
  readonly lastSuccess: Partial<Record<ScheduledCommand, number>>;
  /** Findings of the last `backup scan`/`backup hook` per snapshot id, when one was recorded. */
  readonly residue: Readonly<Record<string, number>>;
}

/** A label value as the text exposition format wants it: `\`, `"` and newlines escaped. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly samples: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value: number }[];
}

function family(name: string, help: string, samples: Family["samples"]): Family {
  return { name, help, samples };
}

/**
 * The Prometheus text exposition (version 0.0.4) for node_exporter's textfile
 * collector. A family with nothing to report is still declared (HELP/TYPE),
 * so a dashboard can tell "no replicas" from "metrics missing".
 */
export function renderMetrics(input: MetricsInput): string {
  const { health } = input;
  const expiry = health.tokenExpiresAt === null ? undefined : Date.parse(health.tokenExpiresAt) / 1000;
  const families: Family[] = [
    family("connect_ops_up", "1 when connect-ops could read its state (0: see connect-ops check).", [
      { value: health.state === "UNKNOWN" && health.generation === null ? 0 : 1 },
    ]),
    family(
      "connect_ops_token_expiry_timestamp_seconds",
      "When the sealed installation token expires (seconds since the epoch).",
      expiry === undefined ? [] : [{ value: Math.floor(expiry) }],
    ),
    family(
      "connect_ops_vault_generation",
      "The generation of the sealed credentials on this appliance.",
      health.generation === null ? [] : [{ value: health.generation }],
    ),
    family(
      "connect_ops_node_generation",
      "The generation each node holds (-1: it could not be read or holds none).",
      health.nodes.map((node) => ({ labels: { node: node.name }, value: node.generation ?? -1 })),
    ),
    family(
      "connect_ops_failover_ready",
      "1 when the replica could take over GitHub Connect now (connect-ops failover-check).",
      health.replicas.map((replica) => ({ labels: { replica: replica.name }, value: replica.ready ? 1 : 0 })),
    ),
    family(
      "connect_ops_last_success_timestamp_seconds",
      "When each scheduled connect-ops command last exited 0 (seconds since the epoch).",
      Object.entries(input.lastSuccess).map(([command, value]) => ({ labels: { command }, value })),
    ),
    family(
      "connect_ops_backup_residue_findings",
      "Credential residue found in each snapshot by the last backup scan or hook.",
      Object.entries(input.residue).map(([snapshot, value]) => ({ labels: { snapshot }, value })),
    ),
  ];
  const lines: string[] = [];
  for (const { name, help, samples } of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const sample of samples) {
      const labels = Object.entries(sample.labels ?? {})
        .map(([key, value]) => `${key}="${label(value)}"`)
        .join(",");
      lines.push(`${name}${labels === "" ? "" : `{${labels}}`} ${sample.value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
