import { configSchema } from "@connect-ops/connection-core";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testdirSync } from "@connect-ops/test-support";
import { checkConfigDocument, readConfigFile } from "./config-file.js";
import { jsonErrorOffset } from "./json-error-offset.js";

const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

// The hand check (no zod on the token cache hit) must accept exactly what connection-core's configSchema accepts.
const DOCUMENTS: Record<string, unknown> = {
  empty: {},
  "what init writes": { recoveryRecipients: [RECIPIENT], backupRecipients: [], tokenMinTtlSeconds: 600 },
  "backup recipients": { backupRecipients: [RECIPIENT] },
  "ttl 0": { tokenMinTtlSeconds: 0 },
  "ttl 3600": { tokenMinTtlSeconds: 3600 },
  "ttl over an hour": { tokenMinTtlSeconds: 3601 },
  "negative ttl": { tokenMinTtlSeconds: -1 },
  "fractional ttl": { tokenMinTtlSeconds: 1.5 },
  "ttl as a string": { tokenMinTtlSeconds: "600" },
  "the removed cloudUrl": { cloudUrl: "https://api.github.com" },
  "an unknown key": { proxyUrl: "http://127.0.0.1:3128" },
  "a proxy": { proxy: "http://127.0.0.1:3128" },
  "a proxy with credentials": { proxy: "http://ops:pw@proxy.example:3128" },
  "an https proxy": { proxy: "https://proxy.example" },
  "a proxy without scheme (curl: http)": { proxy: "proxy.example:3128" },
  "a socks proxy": { proxy: "socks5://127.0.0.1:1080" },
  "an empty proxy": { proxy: "" },
  "a proxy that is not a string": { proxy: 3128 },
  "a proxy with spaces": { proxy: " http://127.0.0.1:3128" },
  "a proxy without host": { proxy: "http://" },
  "a recipient that is not age": { recoveryRecipients: ["ssh-ed25519 AAAA"] },
  "recipients not an array": { recoveryRecipients: RECIPIENT },
  "a number in recipients": { backupRecipients: [1] },
  "an array": [],
  null: null,
  "a string": "config",
};

describe("checkConfigDocument", () => {
  it.each(Object.entries(DOCUMENTS))("agrees with configSchema on %s", (_name, document) => {
    const schemaAccepts = configSchema.safeParse(document).success;
    let handAccepts = true;
    try {
      checkConfigDocument(document, "/etc/connect-ops.json");
    } catch (error) {
      handAccepts = false;
      expect(error).toMatchObject({ code: "CONFIG_INVALID", category: "input" });
      expect((error as Error).message).toContain("/etc/connect-ops.json");
    }
    expect(handAccepts).toBe(schemaAccepts);
  });
});

describe("readConfigFile", () => {
  it("names the line and column of a JSON error, never the file's text", async () => {
    using dir = testdirSync({ prefix: "config-file-" });
    const path = join(dir.path, "config.json");
    writeFileSync(path, '{\n  "recoveryRecipients": [],\n  "secret-ish": ghp_notjson\n}\n');
    const error = await readConfigFile(path, { optional: false }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect((error as Error).message).toMatch(/line:column 3:17/);
    expect((error as Error).message).not.toContain("ghp_notjson");
  });

  it("refuses a bad proxy naming the key, never its value (it may hold the proxy's password)", async () => {
    using dir = testdirSync({ prefix: "config-file-" });
    const path = join(dir.path, "config.json");
    writeFileSync(path, JSON.stringify({ proxy: "ftp://ops:Pr0xyPw-123@proxy.example:21" }));
    const error = await readConfigFile(path, { optional: false }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect((error as Error).message).toContain("proxy must be an http:// or https:// proxy URL");
    expect(JSON.stringify(error)).not.toContain("Pr0xyPw-123");
    expect((error as Error).message).not.toContain("Pr0xyPw-123");
    writeFileSync(path, JSON.stringify({ proxy: "http://ops:Pr0xyPw-123@proxy.example:3128" }));
    await expect(readConfigFile(path, { optional: false })).resolves.toMatchObject({
      proxy: "http://ops:Pr0xyPw-123@proxy.example:3128",
    });
  });

  it("answers CONFIG_NOT_FOUND for a given file that is missing, and the empty config for the optional default", async () => {
    using dir = testdirSync({ prefix: "config-file-" });
    const missing = join(dir.path, "nope.json");
    await expect(readConfigFile(missing, { optional: false })).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND" });
    await expect(readConfigFile(missing, { optional: true })).resolves.toMatchObject({ recoveryRecipients: [] });
  });

  it("refuses a directory with the one reader's INPUT_NOT_A_FILE", async () => {
    using dir = testdirSync({ prefix: "config-file-" });
    await expect(readConfigFile(dir.path, { optional: false })).rejects.toMatchObject({ code: "INPUT_NOT_A_FILE" });
  });

  it.each([
    ['{"a": [1, 2,]}', 12],
    ['{"a" 1}', 5],
    ['{"a": "\\q"}', 8],
    ["[1, 2", 5],
    ["", 0],
    ['{"a": tru}', 6],
  ])("finds where %j goes wrong (offset %i), and -1 for valid JSON", (text, offset) => {
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    expect(jsonErrorOffset(text)).toBe(offset);
    expect(jsonErrorOffset(' {"a": [1, -2.5e3, true, null, "\\u00e9"]} ')).toBe(-1);
  });
});
