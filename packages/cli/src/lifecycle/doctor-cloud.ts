import type { AppAuth, CloudClient } from "@connect-ops/connection-core";
import type { VaultMeta } from "@connect-ops/credential-vault";
import { webBaseOf } from "./app-settings-page.js";
import { failedRow, row, type DoctorRow } from "./doctor.js";

/** What the cloud checks reach: raw requests through the proxy, the cloud client, the sealed App key. All reads. */
export interface DoctorCloudPorts {
  /** `--cloud-url`, else the connected cloud's (meta.json), else undefined: the cloud is not checked. */
  readonly cloudUrl: string | undefined;
  readonly now: () => number;
  /** The fetch every cloud request goes through (proxy, NO_PROXY, --ca-file); throws for a malformed proxy setting. */
  readonly fetch: () => Promise<typeof globalThis.fetch>;
  /** CONNECT_OPS_CLOUD_TOKEN(_FILE): undefined when not set; throws when it cannot be read. Secret. */
  readonly adminToken: () => string | undefined;
  readonly client: (baseUrl: string) => Promise<CloudClient>;
  /** Opens the vault (read-only) for the App's id and key. Secret. */
  readonly openApp: () => Promise<AppAuth>;
}

/** More than this between our clock and the cloud's `Date`: JWTs and token lifetimes are judged on a wrong clock. */
export const MAX_CLOCK_SKEW_MS = 30_000;
const REQUEST_TIMEOUT_MS = 15_000;

interface Answer {
  readonly status: number;
  readonly date: string | null;
  readonly body: unknown;
}

type Outcome = { readonly ok: true; readonly answer: Answer } | { readonly ok: false; readonly error: unknown };

/** The errno/code at the bottom of a failed fetch ("fetch failed" → ECONNREFUSED). */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  let last: string | undefined;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    if (current.name === "TimeoutError") return "timed out";
    last = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  // The innermost message of a socket error ("bad port"); fetch's own errors name no URL credentials.
  return last;
}

async function request(
  fetchFn: typeof globalThis.fetch,
  url: string,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  try {
    const response = await fetchFn(url, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/vnd.github+json", "user-agent": "connect-ops-doctor", ...headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    return { ok: true, answer: { status: response.status, date: response.headers.get("date"), body } };
  } catch (error) {
    return { ok: false, error };
  }
}

const PROXY_OR_NETWORK =
  "check the network path: HTTPS_PROXY/NO_PROXY or the config's proxy, DNS and the firewall for this host";

function reachRow(check: string, url: string, outcome: Outcome): DoctorRow {
  if (outcome.ok) return row(check, url, "pass", `answered HTTP ${outcome.answer.status}`);
  const error = outcome.error;
  const coded = (error as { code?: unknown }).code;
  if (typeof coded === "string" && coded.startsWith("CLOUD_")) return failedRow(check, url, error, PROXY_OR_NETWORK);
  const code = causeCode(error) ?? "no answer";
  return row(check, url, "fail", `cannot reach ${new URL(url).host} (${code})`, PROXY_OR_NETWORK);
}

function isTlsFailure(outcome: Outcome): boolean {
  return !outcome.ok && (outcome.error as { code?: unknown }).code === "CLOUD_TLS_UNTRUSTED";
}

function tlsRow(base: string, api: Outcome, web: Outcome, webUrl: string): DoctorRow {
  const untrusted = isTlsFailure(api) ? api : isTlsFailure(web) ? web : undefined;
  if (untrusted !== undefined && !untrusted.ok)
    return failedRow("tls", isTlsFailure(api) ? base : webUrl, untrusted.error, "pass the CA with --ca-file FILE");
  if (new URL(base).protocol === "http:")
    return row("tls", base, "skip", "plain http (a simulator on loopback): no certificate to check");
  if (!api.ok || !web.ok) return row("tls", base, "skip", "not checked: the host could not be reached (see above)");
  return row("tls", base, "pass", "the certificates of both hosts verify");
}

function clockRow(base: string, api: Outcome, now: number): DoctorRow {
  if (!api.ok) return row("clock-skew", base, "skip", "not checked: the API host could not be reached");
  const serverMs = Date.parse(api.answer.date ?? "");
  if (Number.isNaN(serverMs)) return row("clock-skew", base, "skip", "the cloud's answer carries no Date header");
  const skewMs = serverMs - now;
  const seconds = Math.round(skewMs / 1000);
  const detail = `the cloud's Date is ${Math.abs(seconds)} s ${seconds >= 0 ? "ahead of" : "behind"} this machine's clock`;
  return Math.abs(skewMs) <= MAX_CLOCK_SKEW_MS
    ? row("clock-skew", base, "pass", detail)
    : row(
        "clock-skew",
        base,
        "fail",
        `${detail} (more than ${MAX_CLOCK_SKEW_MS / 1000} s)`,
        "synchronise this machine's clock with NTP (`timedatectl set-ntp true`, or chrony/ntpd); App JWTs and token lifetimes depend on it",
      );
}

const TOKEN_HINT =
  "CONNECT_OPS_CLOUD_TOKEN (or the file CONNECT_OPS_CLOUD_TOKEN_FILE names) holds a token the cloud refuses: create a new one for an owner of the account and set it";

async function adminTokenRow(
  ports: DoctorCloudPorts,
  fetchFn: typeof globalThis.fetch,
  base: string,
): Promise<DoctorRow> {
  const target = `${base}/user`;
  let token: string | undefined;
  try {
    token = ports.adminToken();
  } catch (error) {
    return failedRow("admin-token", "CONNECT_OPS_CLOUD_TOKEN", error, TOKEN_HINT);
  }
  if (token === undefined)
    return row(
      "admin-token",
      target,
      "skip",
      "CONNECT_OPS_CLOUD_TOKEN is not set (connect and the Connect-record steps need it)",
    );
  const outcome = await request(fetchFn, target, { authorization: `Bearer ${token}` });
  if (!outcome.ok) return reachRow("admin-token", target, outcome);
  const { status, body } = outcome.answer;
  if (status === 200) {
    const login = (body as { login?: unknown } | undefined)?.login;
    return row("admin-token", target, "pass", `accepted (GET /user: ${typeof login === "string" ? login : "?"})`);
  }
  return row(
    "admin-token",
    target,
    "fail",
    `the cloud refused the admin token (GET /user: HTTP ${status})`,
    TOKEN_HINT,
  );
}

async function appRows(ports: DoctorCloudPorts, base: string, meta: VaultMeta | undefined): Promise<DoctorRow[]> {
  if (meta?.appId === undefined || meta.tokenExpiresAt === undefined) {
    const why = "not connected: nothing sealed";
    const hint = "run `connect-ops connect` or `connect-ops adopt` first";
    return [
      row("app-jwt", `${base}/app`, "skip", why, hint),
      row("token-ttl", "installation token", "skip", why, hint),
    ];
  }
  const rows: DoctorRow[] = [];
  try {
    const app = await ports.openApp();
    const probe = await (await ports.client(base)).probeAppKey(app);
    rows.push(
      probe.accepted
        ? row(
            "app-jwt",
            `${base}/app`,
            "pass",
            `the App's JWT is accepted (GET /app: app ${probe.app.appId}, ${probe.app.slug})`,
          )
        : row(
            "app-jwt",
            `${base}/app`,
            "fail",
            `the cloud refuses the App's JWT (GET /app: HTTP ${probe.status}): its key was deleted or revoked, or the App deleted`,
            "if the App still exists, give it a new key with `connect-ops adopt --private-key FILE`; else connect again (`connect-ops connect`)",
          ),
    );
  } catch (error) {
    rows.push(failedRow("app-jwt", `${base}/app`, error, "check the state dir's identity and the cloud (see above)"));
  }
  const remainingMs = Date.parse(meta.tokenExpiresAt) - ports.now();
  rows.push(
    remainingMs > 0
      ? row(
          "token-ttl",
          "installation token",
          "pass",
          `valid for ${Math.floor(remainingMs / 60_000)} min more (until ${meta.tokenExpiresAt})`,
        )
      : row(
          "token-ttl",
          "installation token",
          "fail",
          `expired at ${meta.tokenExpiresAt}`,
          "run `connect-ops token`, and check the timer that should run it (`connect-ops schedule`)",
        ),
  );
  return rows;
}

/** Reachability of the API and web hosts, TLS trust, clock skew, the admin token, the App's JWT and the token's TTL. */
export async function cloudRows(ports: DoctorCloudPorts, meta: VaultMeta | undefined): Promise<DoctorRow[]> {
  const base = (ports.cloudUrl ?? meta?.cloudUrl)?.replace(/\/+$/, "");
  if (base === undefined) {
    const hint = "pass --cloud-url URL (e.g. https://api.github.com) to check a cloud before connecting";
    return ["cloud-api", "cloud-web", "tls", "clock-skew", "admin-token", "app-jwt", "token-ttl"].map((check) =>
      row(check, "cloud", "skip", "no cloud to check: not connected and no --cloud-url", hint),
    );
  }
  let fetchFn: typeof globalThis.fetch;
  try {
    fetchFn = await ports.fetch();
  } catch (error) {
    return [failedRow("cloud-api", base, error, PROXY_OR_NETWORK)];
  }
  const webUrl = webBaseOf(base);
  const sentAt = ports.now();
  const [api, web] = await Promise.all([request(fetchFn, `${base}/`), request(fetchFn, `${webUrl}/`)]);
  return [
    reachRow("cloud-api", base, api),
    reachRow("cloud-web", webUrl, web),
    tlsRow(base, api, web, webUrl),
    clockRow(base, api, sentAt),
    await adminTokenRow(ports, fetchFn, base),
    ...(await appRows(ports, base, meta)),
  ];
}
