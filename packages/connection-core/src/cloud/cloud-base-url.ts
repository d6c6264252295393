import { CoreError } from "../errors.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Normalises the cloud API base URL (`https://api.github.com`,
 * `https://api.SUB.ghe.com`, `https://HOST/api/v3`, or a simulator). Refuses
 * plain http except on loopback, and credentials in the URL, because a token
 * sent over either would leak. Throws `CORE_INVALID_INPUT`.
 */
export function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    // Replaced, not swallowed: the URL parser's TypeError would echo the input, which may carry credentials.
    throw invalid("is not a URL");
  }
  if (url.username !== "" || url.password !== "") throw invalid("must not contain credentials");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw invalid("must use https (plain http is allowed only for a simulator on 127.0.0.1)");
  }
  if (url.search !== "" || url.hash !== "") throw invalid("must not have a query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function invalid(reason: string): CoreError {
  return new CoreError("CORE_INVALID_INPUT", `the cloud URL ${reason}`, {
    category: "input",
    hint: "pass the API base URL, e.g. https://api.github.com, https://api.SUBDOMAIN.ghe.com or https://HOST/api/v3",
  });
}
