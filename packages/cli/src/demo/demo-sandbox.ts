import { generateKeyPairSync } from "node:crypto";
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Where everything of one demo run lives. */
export interface DemoSandbox {
  readonly root: string;
  readonly stateDir: string;
  readonly license: string;
  readonly inventory: string;
  readonly dataDir: string;
  readonly currentSnapshot: string;
  readonly backupIdentityFile: string;
  readonly reportDir: string;
}

export const DEMO_NODES = [
  { name: "replica-1", role: "replica" },
  { name: "cluster-1", role: "cluster" },
  { name: "cluster-2", role: "cluster" },
] as const;

const SNAPSHOTS = ["20261123T020000", "20261124T020000"] as const;

/**
 * Lays out the built-in default: a primary state dir, three `local` nodes,
 * a license, and a backup-utils-style data dir with two snapshots sharing a
 * hard-linked repository file, plaintext settings, a gzip'd SQL dump and a
 * relative `current` link to the newest.
 */
export function createDemoSandbox(root: string, backupIdentity: string, reportDir: string): DemoSandbox {
  const stateDir = join(root, "primary", "state");
  mkdirSync(join(root, "primary"), { recursive: true, mode: 0o700 });
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const license = join(root, "primary", "enterprise.ghl.json");
  writeFileSync(
    license,
    JSON.stringify({ customer_name: "Octo Demo Corp", public_key: publicKey.export({ type: "spki", format: "pem" }) }),
  );

  const nodes = DEMO_NODES.map((node) => ({
    ...node,
    transport: "local",
    path: join(root, "nodes", node.name, "github-connect"),
  }));
  for (const node of DEMO_NODES) mkdirSync(join(root, "nodes", node.name), { recursive: true, mode: 0o700 });
  const inventory = join(root, "inventory.json");
  writeFileSync(inventory, `${JSON.stringify({ ssh: {}, nodes }, null, 2)}\n`);

  const dataDir = join(root, "backup-data");
  const shared = join(dataDir, SNAPSHOTS[0], "repositories", "octo", "demo.git", "objects.pack");
  for (const id of SNAPSHOTS) {
    const snapshot = join(dataDir, id);
    mkdirSync(join(snapshot, "repositories", "octo", "demo.git"), { recursive: true });
    writeFileSync(join(snapshot, "version"), "v3.14.2\n");
    writeFileSync(join(snapshot, "strategy"), "rsync\n");
    writeFileSync(
      join(snapshot, "settings.json"),
      `${JSON.stringify({ hostname: "ghes.demo.example", "github-connect": { enabled: true } })}\n`,
    );
    writeFileSync(join(snapshot, "manage-password"), "demo-manage-password\n");
    writeFileSync(
      join(snapshot, "mysql.sql.gz"),
      gzipSync(`INSERT INTO settings VALUES ('snapshot','${id}');\n`.repeat(200)),
    );
    // Bulk data is hard-linked between snapshots, as rsync --link-dest does.
    if (id === SNAPSHOTS[0]) writeFileSync(shared, Buffer.alloc(64 * 1024, 7));
    else linkSync(shared, join(snapshot, "repositories", "octo", "demo.git", "objects.pack"));
  }
  symlinkSync(SNAPSHOTS[1], join(dataDir, "current"));

  const backupIdentityFile = join(root, "backup-identity.txt");
  writeFileSync(backupIdentityFile, `${backupIdentity}\n`, { mode: 0o600 });
  return {
    root,
    stateDir,
    license,
    inventory,
    dataDir,
    currentSnapshot: join(dataDir, SNAPSHOTS[1]),
    backupIdentityFile,
    reportDir,
  };
}
