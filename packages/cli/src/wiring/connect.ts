import type { CommandContext } from "../context.js";
import type { ApplianceConnectPorts } from "../lifecycle/connect.js";
import type { ManifestConnectPorts } from "../lifecycle/connect-manifest.js";
import type { TokenPorts } from "../lifecycle/token.js";
import { cloudAdminToken, cloudFactory, crashHook, openedAppliance } from "./appliance.js";

// Composition root (see appliance.ts): connect and token (the token cache hit loads nothing more than this).

/** token's production ports; nothing is loaded or opened until a token must be minted. */
export async function tokenPorts(context: CommandContext): Promise<TokenPorts> {
  return {
    stateDir: context.globals.stateDir,
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    crash: await crashHook(context),
    now: context.io.now,
  };
}

/** connect's production ports: the state dir opened lazily (after the flags and the license checked out). */
export async function connectPorts(context: CommandContext): Promise<ApplianceConnectPorts> {
  return {
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    hasAdminToken: cloudAdminToken(context) !== undefined,
    now: context.io.now,
    crash: await crashHook(context),
  };
}

/** `connect --manifest`'s production ports: the system clock's sleep for --timeout, stderr for the URL, xdg-open. */
export async function manifestConnectPorts(
  context: CommandContext,
  options: { readonly open: boolean },
): Promise<ManifestConnectPorts> {
  const { systemClock } = await import("@connect-ops/connection-core");
  const say = (line: string): void => {
    context.io.stderr.write(`${line}\n`);
  };
  return {
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    now: context.io.now,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    crash: await crashHook(context),
    announce: (pageUrl) => {
      say(`Open this URL in a browser signed in as an owner of the account, and create the App:`);
      say(`  ${pageUrl}`);
    },
    ...(options.open ? { openBrowser: (pageUrl: string) => openBrowser(pageUrl, say) } : {}),
  };
}

/** Starts the desktop's browser (`xdg-open`); when there is none, says so and leaves the printed URL to the person. */
function openBrowser(pageUrl: string, say: (line: string) => void): void {
  void import("node:child_process").then(({ spawn }) => {
    const child = spawn("xdg-open", [pageUrl], { stdio: "ignore", detached: true });
    child.on("error", (error: NodeJS.ErrnoException) => {
      say(`(no browser could be opened: xdg-open ${error.code ?? "failed"}; open the URL above yourself)`);
    });
    child.unref();
  });
}
