import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Residue and backup keys for the disconnect and crash suites; the connected
// appliance itself is @connect-ops/test-support's `connectedAppliance`.

/** A backup recipient kept off the appliance (real age-keygen), as `backup include` wants. */
export function backupRecipient(dir: string): string {
  const file = join(dir, "backup-identity.txt");
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  const match = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(file, "utf8"));
  if (match?.[1] === undefined) throw new Error("no recipient in the identity file");
  return match[1];
}

/** A PEM body line of the key (what a partial leak in a dump looks like). */
export function pemLine(pem: string): string {
  const line = pem.split("\n").find((candidate) => candidate.length >= 60 && !candidate.startsWith("-----"));
  if (line === undefined) throw new Error("no PEM body line");
  return line;
}

/** Writes `content` as a member of a real GNU tar, and as a gzip stream, in `snapshot`. */
export function plantInArchives(snapshot: string, content: string, tag: string): void {
  const staging = join(snapshot, `.staging-${tag}`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, `${tag}.txt`), `config line\n${content}\nmore\n`);
  execFileSync("tar", ["-cf", join(snapshot, `${tag}-secrets.tar`), "-C", staging, `${tag}.txt`]);
  writeFileSync(join(snapshot, `${tag}-dump.sql`), `INSERT INTO x VALUES ('${content}');\n`);
  execFileSync("gzip", ["-f", join(snapshot, `${tag}-dump.sql`)]);
  execFileSync("rm", ["-rf", staging]);
}
