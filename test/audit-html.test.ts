import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, copyTree, snapshotCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNoLeak } from "./support/leaks.js";
import { countNonWhitePixels } from "./support/png-pixels.js";

// Issue 16 item 6: the auditor's HTML page of the signed cleanup report, rendered in a real
// headless Chromium (CI runs as root: --no-sandbox): a screenshot that is not blank, the verdict
// in the DOM, a PDF, no secret, and a hostile data-dir path that stays text.

const run = promisify(execFile);
// No "/" (a file name cannot hold one): markup that opens an element and an event handler.
const HOSTILE = `data-<img src=x onerror=alert(1)>&"'<script>alert(2)<b>`;
let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
let app: Appliance;
const scratch = testdirSync({ prefix: "e2e-audit-html-" });
const report = join(scratch.path, "audit.json");
const html = join(scratch.path, "audit.html");

beforeAll(async () => {
  cli = await snapshotCli();
  sim = await startGitHubSim();
  app = await connectedAppliance({
    cloud: sim,
    dir: join(scratch.path, "a"),
    connectOps: (argv, env) => cli.run(argv, env),
    nodes: ["replica-1"],
  });
  copyTree(app.dataDir, join(scratch.path, HOSTILE));
  const disconnected = await cli.run(
    ["disconnect", "--inventory", app.inventory, "--data-dir", join(scratch.path, HOSTILE), "--yes"],
    app.env,
  );
  expect(disconnected.code, disconnected.stderr).toBe(0);
});
afterAll(async () => {
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

async function chromium(args: string[]): Promise<string> {
  const profile = join(scratch.path, `chromium-${String(Math.random()).slice(2)}`);
  const { stdout } = await run(
    "chromium",
    ["--headless=new", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`, ...args],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

const sha256 = (path: string): string => `sha256:${createHash("sha256").update(readFileSync(path)).digest("hex")}`;

describe("verify-cleanup --html and verify-report --html", () => {
  it("--html needs --report (exit 2, nothing written)", async () => {
    const refused = await cli.run(["verify-cleanup", "--html", join(scratch.path, "alone.html")], app.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--html needs --report FILE");
    expect(existsSync(join(scratch.path, "alone.html"))).toBe(false);
  });

  it("writes one self-contained page with every fact the auditor needs, all text escaped", async () => {
    const audit = await cli.run(
      [
        "verify-cleanup",
        "--inventory",
        app.inventory,
        "--data-dir",
        join(scratch.path, HOSTILE),
        "--report",
        report,
        "--html",
        html,
      ],
      app.env,
    );
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout).toContain(`html     ${html}`);
    const page = readFileSync(html, "utf8");
    const signed = JSON.parse(readFileSync(report, "utf8")) as { subject: { keyFingerprint: string; appId: number } };
    for (const fact of [
      "CLEAN",
      "ghes.example.com",
      "3.14.2",
      "enterprise:acme",
      `App id ${String(signed.subject.appId)}`,
      signed.subject.keyFingerprint,
      "This page is a rendering of the signed JSON report",
      sha256(report),
      `openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in ${report} -sigfile ${report}.sig`,
      "Signing public key fingerprint",
      "Known limits of the detection method",
      "HTTP status",
      "401",
    ])
      expect(page, fact).toContain(fact);
    // Who ran it and when.
    expect(page).toMatch(/Run by<\/dt><dd>[^<]+ on [^<]+<\/dd>/);
    // Self-contained: no script, no external stylesheet, image, font or frame.
    // (The hostile name's escaped text says "src=": it is taken out before looking for attributes.)
    const escapedName = "data-&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;&lt;script&gt;alert(2)&lt;b&gt;";
    expect(page.split(escapedName).join("")).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
    // The hostile path is text: escaped, never markup.
    expect(page).toContain(escapedName);
    expectNoLeak({ html: page }, { ...app.secrets });
  });

  it("renders in headless Chromium: a screenshot that is not blank, the verdict in the DOM, a PDF", async () => {
    const url = `file://${html}`;
    const png = join(scratch.path, "audit.png");
    await chromium([`--screenshot=${png}`, "--window-size=1200,1600", url]);
    const pixels = countNonWhitePixels(readFileSync(png));
    expect(pixels.width).toBe(1200);
    // Text, tables and the verdict badge: well over 1% of the page is ink.
    expect(pixels.nonWhite).toBeGreaterThan((pixels.width * pixels.height) / 100);
    const dom = await chromium(["--dump-dom", url]);
    expect(dom).toMatch(/<span id="verdict" class="verdict clean">CLEAN<\/span>/);
    // The hostile name did not become an element.
    expect(dom).not.toMatch(/<img|<script|<b>/i);
    const pdf = join(scratch.path, "audit.pdf");
    await chromium([`--print-to-pdf=${pdf}`, "--no-pdf-header-footer", url]);
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(bytes.length).toBeGreaterThan(5000);
  });

  it("verify-report --html renders a valid report (same SHA-256) and refuses a tampered one", async () => {
    const publicKey = join(app.stateDir, "audit-signing.pub");
    const again = join(scratch.path, "again.html");
    const verified = await cli.run(["verify-report", report, "--public-key", publicKey, "--html", again], app.env);
    expect(verified.code, verified.stderr).toBe(0);
    const page = readFileSync(again, "utf8");
    expect(page).toContain(sha256(report));
    expect(page).toContain("CLEAN");

    const tampered = join(scratch.path, "tampered.json");
    writeFileSync(tampered, readFileSync(report, "utf8").replace('"verdict": "clean"', '"verdict": "residue"'));
    writeFileSync(`${tampered}.sig`, readFileSync(`${report}.sig`));
    const forged = join(scratch.path, "forged.html");
    const refused = await cli.run(["verify-report", tampered, "--public-key", publicKey, "--html", forged], app.env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("no HTML written");
    expect(existsSync(forged)).toBe(false);
  });
});
