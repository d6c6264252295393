import { signRs256Jwt } from "../jwt.js";

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { message?: string };
}

/** Calls the sim over real HTTP on 127.0.0.1. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: "application/vnd.github+json", ...options.headers };
  if (options.auth !== undefined) headers["authorization"] = options.auth;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? {} : (JSON.parse(text) as ApiAnswer["body"]),
  };
}

/** An app JWT as a well-behaved client makes it: iat 30 s back-dated, exp 9.5 minutes ahead. */
export function appJwt(appId: number | string, pem: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000) - 30;
  return `Bearer ${signRs256Jwt({ iss: appId, iat, exp: iat + 600 }, pem)}`;
}

export const LICENSE_RECORD = {
  hostname: "ghes.example.com",
  ghes_version: "3.17.2",
  license_public_key: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
  license_hash: "a".repeat(64),
  customer_name: "Example Corp",
  account: { type: "organization", login: "octo-org" },
};
