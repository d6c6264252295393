import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// The local end of GitHub's App-manifest flow: a listener on 127.0.0.1 that serves the page which auto-posts the
// manifest form to the cloud's settings page, and the `redirect_url` GitHub sends the browser back to with
// `?code=…&state=…`. Loopback only: the code is a one-hour credential, so nothing off this machine may reach it.

/** What the callback settled with: a code whose `state` matched, or why it was refused. */
export type CallbackOutcome =
  { readonly kind: "code"; readonly code: string } | { readonly kind: "state-mismatch" } | { readonly kind: "denied" };

export interface ManifestCallback extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/`: the page to open. */
  readonly pageUrl: string;
  /** `http://127.0.0.1:PORT/callback`: the manifest's `redirect_url`. */
  readonly redirectUrl: string;
  /** Settles on the first request to the callback. */
  readonly outcome: Promise<CallbackOutcome>;
  close(): Promise<void>;
}

export interface ManifestCallbackOptions {
  /** 0: any free port. */
  readonly port: number;
  /** The random `state` the form carries; the callback must bring it back. */
  readonly state: string;
  /** The page's HTML, given the redirect URL (known once the port is bound). */
  readonly page: (redirectUrl: string) => string;
}

function sameState(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const left = Buffer.from(expected);
  const right = Buffer.from(given);
  return left.length === right.length && timingSafeEqual(left, right);
}

const html = (title: string, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${text}</p>\n`;

function answer(outgoing: ServerResponse, status: number, body: string): void {
  outgoing.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
  outgoing.end(body);
}

/** Starts the listener on 127.0.0.1. Rejects when the port cannot be bound (e.g. in use). */
export async function startManifestCallback(options: ManifestCallbackOptions): Promise<ManifestCallback> {
  let settle: (outcome: CallbackOutcome) => void = () => undefined;
  const outcome = new Promise<CallbackOutcome>((resolve) => (settle = resolve));
  let settled = false;
  let redirectUrl = "";
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
    if (incoming.method === "GET" && url.pathname === "/") {
      answer(outgoing, 200, options.page(redirectUrl));
      return;
    }
    if (incoming.method !== "GET" || url.pathname !== "/callback") {
      answer(outgoing, 404, html("Not found", "connect-ops serves only the manifest page and its callback here."));
      return;
    }
    if (settled) {
      answer(outgoing, 409, html("Already answered", "This flow has finished; return to the terminal."));
      return;
    }
    settled = true;
    const code = url.searchParams.get("code");
    if (!sameState(options.state, url.searchParams.get("state"))) {
      answer(outgoing, 400, html("Refused", "The state does not match this connect-ops run: nothing was created."));
      settle({ kind: "state-mismatch" });
    } else if (code === null || !/^[A-Za-z0-9_-]{1,200}$/.test(code)) {
      answer(outgoing, 400, html("Refused", "GitHub sent no usable code: nothing was created."));
      settle({ kind: "denied" });
    } else {
      answer(outgoing, 200, html("App created", "connect-ops received the code; return to the terminal."));
      settle({ kind: "code", code });
    }
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  redirectUrl = `http://127.0.0.1:${port}/callback`;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    pageUrl: `http://127.0.0.1:${port}/`,
    redirectUrl,
    outcome,
    close,
    [Symbol.asyncDispose]: close,
  };
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The page that posts the manifest form to `action` at once (a button when scripts are off). */
export function manifestFormPage(action: string, manifest: unknown, state: string): string {
  return [
    '<!doctype html><meta charset="utf-8"><title>connect-ops: create the GitHub App</title>',
    `<form id="manifest" method="post" action="${escapeHtml(action)}">`,
    `<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">`,
    `<input type="hidden" name="state" value="${escapeHtml(state)}">`,
    "<p>Creating the GitHub App for connect-ops… <button type=submit>Continue to GitHub</button></p></form>",
    '<script>document.getElementById("manifest").submit();</script>',
    "",
  ].join("\n");
}
