import { isConnectOpsError, readInputText } from "@connect-ops/connection-core";
import { CliError } from "../errors.js";
import { jsonErrorOffset } from "./json-error-offset.js";

// The config file (`--config FILE`, default `<state-dir>/config.json`) checked by hand, without zod: every command
// checks a given --config before it runs, the token cache hit and `status --offline` included, and loading zod costs
// more than the whole rest of such a run. It accepts exactly what connection-core's `configSchema` accepts
// (config-file.test.ts holds the two to the same table); the state-dir loader parses it with the schema again.

/** The config's fields as the checked file has them (defaults are the schema's). */
export interface CheckedConfig {
  readonly recoveryRecipients: readonly string[];
  readonly backupRecipients: readonly string[];
  readonly tokenMinTtlSeconds: number | undefined;
  /** A proxy for every cloud request (wins over HTTPS_PROXY/HTTP_PROXY; NO_PROXY still applies). Holds credentials: never print it. */
  readonly proxy: string | undefined;
}

const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const HINT = "fix the file (see docs/reference/config-and-inventory.md), or leave --config out";

function invalid(path: string, what: string): CliError {
  return new CliError("CONFIG_INVALID", `the config ${path} is invalid: ${what}`, {
    category: "input",
    hint: HINT,
    context: { path },
  });
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `${line}:${offset - before.lastIndexOf("\n")}`;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // V8 quotes part of the text in its message, and the file may hold a secret by mistake: only the place is told.
    const offset = jsonErrorOffset(text);
    throw invalid(path, `not valid JSON (at line:column ${lineColumn(text, Math.max(offset, 0))})`);
  }
}

function recipients(value: unknown, key: string, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(path, `${key} must be an array of age recipients`);
  return value.map((entry: unknown, index) => {
    if (typeof entry !== "string" || !AGE_RECIPIENT.test(entry)) {
      throw invalid(path, `${key}[${index}]: expected an age X25519 recipient (age1…)`);
    }
    return entry;
  });
}

/** What connection-core's `parseProxy` accepts (curl: no scheme means http://), checked without loading it. */
function isProxyUrl(value: string): boolean {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
}

/** Checks a parsed config document; throws `CONFIG_INVALID` naming the key. */
export function checkConfigDocument(document: unknown, path: string): CheckedConfig {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw invalid(path, "expected a JSON object");
  }
  const fields = document as Record<string, unknown>;
  const known = new Set(["recoveryRecipients", "backupRecipients", "tokenMinTtlSeconds", "proxy"]);
  const unknown = Object.keys(fields).find((key) => !known.has(key));
  if (unknown !== undefined) throw invalid(path, `unknown key "${unknown}"`);
  const ttl = fields["tokenMinTtlSeconds"];
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0 || ttl > 3600)) {
    throw invalid(path, "tokenMinTtlSeconds must be a whole number of seconds from 0 to 3600");
  }
  const proxy = fields["proxy"];
  // The value may hold the proxy's password: the message names the key, never the value.
  if (proxy !== undefined && (typeof proxy !== "string" || !isProxyUrl(proxy))) {
    throw invalid(path, "proxy must be an http:// or https:// proxy URL (http://USER:PASSWORD@HOST:PORT)");
  }
  return {
    recoveryRecipients: recipients(fields["recoveryRecipients"], "recoveryRecipients", path),
    backupRecipients: recipients(fields["backupRecipients"], "backupRecipients", path),
    tokenMinTtlSeconds: ttl,
    proxy,
  };
}

/**
 * Reads and checks a config file through the one bounded reader. A given file that is missing: `CONFIG_NOT_FOUND`;
 * unreadable, not JSON or not a config: `CONFIG_INVALID` (with line:column for JSON); not a regular file or too
 * large: the reader's `INPUT_*` codes. All exit 2.
 * `optional`: a missing file is the empty config (the default `<state-dir>/config.json`).
 */
export async function readConfigFile(path: string, options: { optional: boolean }): Promise<CheckedConfig> {
  let text: string;
  try {
    text = await readInputText(path, { kind: "config", flag: "--config" });
  } catch (error) {
    const errno = isConnectOpsError(error) ? error.context["errno"] : undefined;
    if (errno === "ENOENT") {
      if (options.optional) return checkConfigDocument({}, path);
      throw new CliError("CONFIG_NOT_FOUND", `the config ${path} does not exist`, {
        category: "input",
        hint: "pass the path of an existing config file to --config, or leave --config out",
        context: { path },
      });
    }
    // Not a regular file, too large, a read that hangs: the one reader's own codes (INPUT_*, exit 2), as for every file.
    if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
    throw invalid(path, `cannot read it (${typeof errno === "string" ? errno : "error"})`);
  }
  return checkConfigDocument(parseJson(text, path), path);
}
