import { redactSecrets } from "@connect-ops/connection-core";
import type { Logger } from "pino";

/** Every field name under which a secret could ever be logged; pino replaces its value. */
export const REDACTED_PATHS = [
  "privateKeyPem",
  "pem",
  "token",
  "installationToken",
  "clientSecret",
  "client_secret",
  "webhookSecret",
  "identity",
  "identities",
  "adminToken",
  "authorization",
  "headers.authorization",
  "*.privateKeyPem",
  "*.pem",
  "*.token",
  "*.installationToken",
  "*.clientSecret",
  "*.client_secret",
  "*.identity",
  "*.identities",
  "*.adminToken",
  "*.authorization",
  "*.headers.authorization",
  "request.headers.authorization",
];

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warning",
  50: "error",
  60: "fatal",
};
const OWN_FIELDS = new Set(["level", "time", "tool", "msg"]);

/**
 * One pino JSON line as a person reads it on a terminal:
 * `warning: closing the node connection failed (node=ghes-3 code=REPL_TIMEOUT)`.
 * The fields are the redacted ones pino wrote; a line that is not JSON passes through.
 */
export function humanLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof record.level === "number" ? (LEVEL_NAMES[record.level] ?? "log") : "log";
  const fields = Object.entries(record)
    .filter(([key]) => !OWN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const message = typeof record.msg === "string" ? record.msg : "";
  return `${level}: ${message}${fields.length === 0 ? "" : ` (${fields.join(" ")})`}\n`;
}

/**
 * The single logger factory: pino to stderr (fd 2), secret fields redacted;
 * JSON lines, or on a terminal (`human`) one readable line each. Loaded
 * lazily so `--help` and `--version` stay fast.
 */
export async function createLogger(
  level: string,
  destination: { write(text: string): unknown },
  { human = false }: { readonly human?: boolean } = {},
): Promise<Logger> {
  const { pino } = await import("pino");
  return pino(
    {
      level,
      base: { tool: "connect-ops" },
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      // Field paths cover structured data; message strings go through the one text redactor.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg: unknown) => (typeof arg === "string" ? redactSecrets(arg) : arg)) as Parameters<
              typeof method
            >,
          );
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    { write: (text: string) => destination.write(human ? humanLogLine(text) : text) },
  );
}
