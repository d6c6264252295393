import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectedAppliance,
  mariaDbAvailable,
  spawnCli,
  startMariaDb,
  testdirSync,
  type Appliance,
  type MariaDb,
} from "@connect-ops/test-support";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { expectNoLeak } from "./support/leaks.js";

// Issue 13 item 8 (must show): a real `mysqldump` (Debian's MariaDB) of a table holding the App key
// and the token, with and without --hex-blob, gzip'd as mysql.sql.gz in a snapshot: `backup scan`
// finds them, `backup redact` removes them, and the redacted dump still loads with `mysql < dump`
// with every other row identical. Skipped when MariaDB is not installed.

const scratch = testdirSync({ prefix: "e2e-mariadb-" });
let sim: GitHubSim;
let appliance: Appliance;
let db: MariaDb;
const outputs: string[] = [];

const ROWS = "SELECT id, name, HEX(pem), HEX(blobkey), HEX(token), note FROM secrets ORDER BY id";

beforeAll(async () => {
  if (!mariaDbAvailable()) return;
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  db = await startMariaDb();
  const hex = (text: string): string => `X'${Buffer.from(text).toString("hex")}'`;
  const { pem, token } = appliance.secrets;
  // The secrets reach the server through the client's stdin, never argv.
  db.sql(
    [
      "CREATE DATABASE app;",
      "USE app;",
      "CREATE TABLE secrets (id INT PRIMARY KEY, name VARCHAR(64), pem TEXT, blobkey BLOB, token VARBINARY(4096), note TEXT);",
      "INSERT INTO secrets VALUES (1, 'plain', 'nothing secret', X'00FF10275C0A', 'none', 'it''s \"quoted\"\\\\n');",
      `INSERT INTO secrets VALUES (2, 'github-connect', ${hex(pem)}, ${hex(pem)}, ${hex(token)}, ${hex(`token=${token}`)});`,
      "INSERT INTO secrets VALUES (3, 'binary', 'row three', X'CAFEBABE00', X'0102', NULL);",
    ].join("\n"),
  );
});
afterAll(async () => {
  if (mariaDbAvailable()) {
    await db.close();
    await sim.close();
  }
  scratch[Symbol.dispose]();
});

const scanJson = z.looseObject({
  findings: z.array(z.looseObject({ path: z.string(), form: z.string(), encoding: z.string() })),
  gaps: z.array(z.looseObject({ reason: z.string() })),
});

async function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await spawnCli(argv, appliance.env);
  outputs.push(run.stdout, run.stderr);
  return run;
}

describe.skipIf(!mariaDbAvailable())("backup scan and redact of a real mysqldump (MariaDB)", () => {
  for (const hexBlob of [false, true])
    it(`finds, redacts and keeps loadable a mysql.sql.gz${hexBlob ? " made with --hex-blob" : ""}`, async () => {
      const dump = db.dump("app", hexBlob ? ["--hex-blob", "--skip-dump-date"] : ["--skip-dump-date"]);
      const file = join(appliance.current, "mysql.sql.gz");
      writeFileSync(file, gzipSync(dump));

      const before = await cli(["--json", "backup", "scan", appliance.current]);
      expect(before.code, before.stderr).toBe(1);
      const found = scanJson.parse(JSON.parse(before.stdout));
      expect(found.findings.length).toBeGreaterThanOrEqual(2);
      expect(found.findings.every((finding) => finding.path === file)).toBe(true);
      if (hexBlob) expect(found.findings.some((finding) => finding.encoding === "hex")).toBe(true);

      const redact = await cli(["--json", "backup", "redact", appliance.current]);
      expect(redact.code, redact.stderr + redact.stdout).toBe(0);
      const after = await cli(["--json", "backup", "scan", appliance.current]);
      expect(after.code, after.stdout).toBe(0);

      const redacted = gunzipSync(readFileSync(file));
      const target = hexBlob ? "restored_hex" : "restored_plain";
      db.sql(`CREATE DATABASE ${target};`);
      db.sql(redacted, target);
      const original = db.sql(ROWS, "app").trimEnd().split("\n");
      const restored = db.sql(ROWS, target).trimEnd().split("\n");
      expect(restored.length).toBe(original.length);
      // Header and every row but the credentials' are identical; that row is still there, without them.
      for (const index of [0, 1, 3]) expect(restored[index]).toBe(original[index]);
      expect(restored[2]).toMatch(/^2\tgithub-connect\t/);
      expect(restored[2]).not.toBe(original[2]);
      const hexOf = (text: string): string => Buffer.from(text).toString("hex").toUpperCase();
      for (const secret of [appliance.secrets.pem, appliance.secrets.token]) {
        expect(restored[2]).not.toContain(hexOf(secret).slice(0, 96));
        expect(redacted.includes(secret)).toBe(false);
      }
    });

  it("puts no secret in any output", () => {
    expectNoLeak({ outputs: outputs.join("\n") }, { ...appliance.secrets });
  });
});
