// The App-manifest flow's browser half without a browser: load the CLI's page, post its form to the settings page
// as the page's auto-submit does, and follow the simulator's redirect back to the CLI's callback. For the crash
// suite's hundreds of runs (the real-browser path is test/connect-manifest.test.ts's Chromium test).

/** The page URL `connect --manifest` prints on stderr. */
export const MANIFEST_PAGE_URL = /http:\/\/127\.0\.0\.1:\d+\//;

const unescapeHtml = (text: string): string =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

function field(page: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(page);
  if (match?.[1] === undefined) throw new Error(`the manifest page has no ${what}`);
  return unescapeHtml(match[1]);
}

/**
 * Follows the flow from `pageUrl` to the callback; resolves with the callback's HTTP status. Rejects when a hop
 * fails (e.g. the CLI was killed and its listener is gone).
 */
export async function followManifestFlow(pageUrl: string): Promise<number> {
  const page = await (await fetch(pageUrl)).text();
  const action = field(page, /<form id="manifest" method="post" action="([^"]*)"/, "form action");
  const manifest = field(page, /name="manifest" value="([^"]*)"/, "manifest field");
  const state = field(page, /name="state" value="([^"]*)"/, "state field");
  const posted = await fetch(action, {
    method: "POST",
    body: new URLSearchParams({ manifest, state }),
    redirect: "manual",
  });
  await posted.arrayBuffer();
  const location = posted.headers.get("location");
  if (posted.status !== 302 && posted.status !== 303) throw new Error(`the settings page answered ${posted.status}`);
  if (location === null) throw new Error("the settings page redirected nowhere");
  const back = await fetch(location);
  await back.arrayBuffer();
  return back.status;
}

/**
 * A `killWhen` observer for `spawnCli`: starts following the page once its URL is on stderr (never asks for a
 * kill). `settled()` waits for the follower (its failure swallowed: a killed CLI's listener is gone).
 */
export function manifestFollower(): {
  readonly watch: (output: { readonly stderr: string }) => boolean;
  readonly settled: () => Promise<number | undefined>;
} {
  let following: Promise<number | undefined> | undefined;
  return {
    watch: ({ stderr }) => {
      const url = MANIFEST_PAGE_URL.exec(stderr)?.[0];
      if (url !== undefined && following === undefined) following = followManifestFlow(url).catch(() => undefined);
      return false;
    },
    settled: () => following ?? Promise.resolve(undefined),
  };
}
