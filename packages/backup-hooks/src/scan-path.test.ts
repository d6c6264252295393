import { createPrivateKey } from "node:crypto";
import { join, relative } from "node:path";
import { itemAt } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { scanPath } from "./scan-path.js";
import { secretStrings, testCredentials } from "./test-support/credentials.js";
import { NEW_ID, buildPlantedSnapshots, gnuTar, tempDir, write } from "./test-support/snapshot-fixture.js";

describe("scanPath", () => {
  const credentials = testCredentials();

  it("finds every planted credential in a backup-utils snapshot", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const result = await scanPath(fixture.newSnapshot, { matcher: credentials.matcher });
    const found = result.findings.map((finding) => ({
      path: relative(fixture.newSnapshot, finding.path),
      member: finding.member,
      form: finding.form,
      encoding: finding.encoding,
    }));
    for (const plant of fixture.plants) {
      expect(found, JSON.stringify(plant)).toContainEqual({ member: undefined, ...plant });
    }
    expect(result.findings.every((finding) => finding.fingerprintId === credentials.fingerprints.id)).toBe(true);
    expect(
      result.findings
        .filter((finding) => finding.form === "token")
        .map((finding) => finding.variant)
        .sort(),
    ).toEqual(expect.arrayContaining(["app-jwt", "classic"]));
    expect(result.gaps).toEqual([]);
  });

  it("reads a file hard-linked across snapshots once and names the other paths", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const result = await scanPath(fixture.dataDir, { matcher: credentials.matcher });
    const config = result.findings.filter((finding) => finding.path.endsWith("repositories/a/b/config"));
    expect(config).toHaveLength(1);
    expect(itemAt(config, 0).linkedPaths).toHaveLength(1);
  });

  it("never puts a secret in findings or gaps", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const serialized = JSON.stringify(await scanPath(fixture.dataDir, { matcher: credentials.matcher }));
    for (const secret of secretStrings(credentials)) expect(serialized).not.toContain(secret);
  });

  it("finds secrets in the backup-service layout's github-secrets.tar", async () => {
    using dir = tempDir();
    const snapshot = join(dir.path, "backup/data", NEW_ID);
    write(join(dir.path, "staging/secrets/github-connect-app-key"), credentials.pem);
    write(join(dir.path, "staging/secrets/github-connect-token"), credentials.jwtToken);
    gnuTar(join(snapshot, "github-secrets.tar"), join(dir.path, "staging"), ["secrets"]);
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.findings.map((finding) => [finding.member, finding.form, finding.variant])).toEqual([
      ["secrets/github-connect-app-key", "pem-key", undefined],
      ["secrets/github-connect-token", "token", "app-jwt"],
    ]);
  });

  it("recognises the key re-encoded as PKCS#8, escaped with \\/ like PHP does", async () => {
    using dir = tempDir();
    const pkcs8 = createPrivateKey(credentials.pem).export({ type: "pkcs8", format: "pem" }).toString();
    write(join(dir.path, "php.json"), JSON.stringify({ key: pkcs8 }).replace(/\//g, "\\/"));
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.findings).toEqual([
      expect.objectContaining({ form: "pem-key", encoding: "escaped", fingerprintId: credentials.fingerprints.id }),
    ]);
  });

  it("reports progress up to the total bytes", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const progress: Array<{ bytesScanned: number; totalBytes: number }> = [];
    const result = await scanPath(fixture.newSnapshot, {
      matcher: credentials.matcher,
      onProgress: (event) => progress.push(event),
    });
    expect(progress.at(-1)).toEqual({
      filesScanned: result.filesScanned,
      bytesScanned: result.bytesScanned,
      totalBytes: result.bytesScanned,
    });
  });

  it("throws BACKUP_NOT_FOUND for a path that does not exist", async () => {
    await expect(scanPath("/nonexistent/backup", { matcher: credentials.matcher })).rejects.toMatchObject({
      code: "BACKUP_NOT_FOUND",
      category: "input",
    });
  });

  it("reports the offset of a raw token in the file", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const result = await scanPath(`${fixture.newSnapshot}/repositories/a/b/config`, { matcher: credentials.matcher });
    expect(result.findings.map((finding) => finding.offset)).toEqual([`[core]\n\tsecret = `.length]);
  });
});

describe("scanPath and a tree that changes under it", () => {
  it("reports a file swapped for a FIFO after the listing as a gap instead of blocking on it", async () => {
    const { createResidueMatcher } = await import("@connect-ops/connection-core");
    const { execFileSync } = await import("node:child_process");
    const { rmSync } = await import("node:fs");
    using dir = tempDir();
    write(join(dir.path, "a.txt"), "first");
    write(join(dir.path, "b.txt"), "second");
    let swapped = false;
    const result = await scanPath(dir.path, {
      matcher: createResidueMatcher([]),
      concurrency: 1,
      onProgress: () => {
        if (swapped) return;
        swapped = true;
        // After the first file: whichever is left becomes a FIFO with no writer.
        for (const name of ["a.txt", "b.txt"]) {
          const path = join(dir.path, name);
          rmSync(path);
          execFileSync("mkfifo", [path]);
        }
      },
    });
    expect(swapped).toBe(true);
    expect(result.gaps).toHaveLength(1);
    expect(result.gaps[0]?.reason).toMatch(/^not-a-regular-file: /);
  });
});
