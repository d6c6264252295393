import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/** What a route handler answers; the server adds Date, rate-limit and content headers. */
export interface SimResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A parsed request as route handlers see it. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly segments: readonly string[];
  readonly headers: IncomingHttpHeaders;
  /** The JSON body, `undefined` when empty; `invalidBody` is set when it was not JSON. */
  readonly body: unknown;
  readonly invalidBody: boolean;
  /** The body as text (a web form posts `application/x-www-form-urlencoded`, not JSON). */
  readonly rawBody: string;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
}

export const DOCS_BASE = "https://docs.github.com/rest";

/** GitHub's error shape: `{message, documentation_url}`. */
export function errorResponse(
  status: number,
  message: string,
  documentationPath = "",
  headers?: Record<string, string>,
): SimResponse {
  return {
    status,
    body: { message, documentation_url: `${DOCS_BASE}${documentationPath}` },
    ...(headers ? { headers } : {}),
  };
}

export const notFound = (documentationPath = ""): SimResponse => errorResponse(404, "Not Found", documentationPath);

/** GitHub's 422 shape, with one `errors[]` entry naming the field. */
export function validationFailed(
  resource: string,
  field: string,
  code: "missing_field" | "invalid" | "already_exists" | "custom",
): SimResponse {
  return {
    status: 422,
    body: { message: "Validation Failed", errors: [{ resource, field, code }], documentation_url: DOCS_BASE },
  };
}

/** The credential part of `Authorization: Bearer X` / `token X`, or undefined. */
export function credentialOf(headers: IncomingHttpHeaders): { scheme: "bearer" | "token"; value: string } | undefined {
  const match = /^(bearer|token)\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  if (!match) return undefined;
  return { scheme: (match[1] as string).toLowerCase() as "bearer" | "token", value: match[2] as string };
}

/** Reads a request body up to 1 MiB and parses it as JSON. */
export async function readSimRequest(incoming: IncomingMessage): Promise<SimRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) break;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  let invalidBody = false;
  const isForm = (incoming.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  if (text.trim() !== "" && !isForm) {
    try {
      body = JSON.parse(text) as unknown;
    } catch (error) {
      // A body that is not JSON is answered 400 like GitHub does; anything else is a simulator bug.
      if (!(error instanceof SyntaxError)) throw error;
      invalidBody = true;
    }
  }
  const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  return {
    method: (incoming.method ?? "GET").toUpperCase(),
    path,
    segments: path
      .split("/")
      .filter((segment) => segment !== "")
      .map(decodeURIComponent),
    headers: incoming.headers,
    body,
    invalidBody,
    rawBody: text,
    query: url.searchParams,
  };
}

/** A string field of a JSON object body, or undefined. */
export function stringField(body: unknown, name: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** A number field of a JSON object body, or undefined. */
export function numberField(body: unknown, name: string): number | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
