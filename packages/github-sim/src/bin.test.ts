import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../bin/github-sim.js", import.meta.url));
const built = existsSync(fileURLToPath(new URL("../dist/bin.js", import.meta.url)));

describe("github-sim bin", () => {
  it.skipIf(!built)("prints its base URL as the first stdout line and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve) => lines.once("line", resolve));
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await fetch(`${first}/apps/unknown`);
    expect(answer.status).toBe(404);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

describe("github-sim bin --profile", () => {
  it.skipIf(!built)(
    "serves github.com without the Connect surface and refuses an unknown profile (exit 2)",
    async () => {
      const child = spawn(process.execPath, [bin, "--profile", "github.com"], { stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const first = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).once("line", resolve),
      );
      const records = await fetch(`${first}/connect/records`, { method: "POST", body: "{}" });
      expect(records.status).toBe(404);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const bad = spawn(process.execPath, [bin, "--profile", "gitlab"], { stdio: "ignore" });
      expect(await new Promise<number | null>((resolve) => bad.once("exit", (code) => resolve(code)))).toBe(2);
    },
  );
});
