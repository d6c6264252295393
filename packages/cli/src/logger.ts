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

/**
 * The single logger factory: pino to stderr (fd 2) in JSON lines, secret
 * fields redacted. Loaded lazily so `--help` and `--version` stay fast.
 */
export async function createLogger(level: string, destination: { write(text: string): unknown }): Promise<Logger> {
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
    { write: (text: string) => destination.write(text) },
  );
}
