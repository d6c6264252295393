import { describe, expect, it } from "vitest";
import { backupConfigCandidates, backupSettings, parseBackupConfig } from "./backup-config.js";

const EXAMPLE = `#!/usr/bin/env bash
# GitHub Enterprise backup configuration (as backup.config-example writes it)

# The hostname of the GitHub Enterprise Server appliance to back up.
GHE_HOSTNAME="github.example.com"

# Path to where backup data is stored.
GHE_DATA_DIR="/data/backup-utils/data"

# The number of backup snapshots to retain. Old snapshots are pruned after each successful run.
GHE_NUM_SNAPSHOTS=10

export GHE_EXTRA_SSH_OPTS='-i /home/backup/.ssh/id_ed25519 -o StrictHostKeyChecking=yes'
GHE_VERBOSE_LOG="\${HOME}/ghe-backup.log"   # a trailing comment
`;

function refusal(text: string): string {
  try {
    parseBackupConfig(text, "/etc/github-backup-utils/backup.config", { HOME: "/home/backup" });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

describe("backup.config, read as data", () => {
  it("reads the assignments of the example config, quotes, export, comments and ${HOME}", () => {
    const config = parseBackupConfig(EXAMPLE, "backup.config", { HOME: "/home/backup" });
    expect(config.values).toEqual({
      GHE_HOSTNAME: "github.example.com",
      GHE_DATA_DIR: "/data/backup-utils/data",
      GHE_NUM_SNAPSHOTS: "10",
      GHE_EXTRA_SSH_OPTS: "-i /home/backup/.ssh/id_ed25519 -o StrictHostKeyChecking=yes",
      GHE_VERBOSE_LOG: "/home/backup/ghe-backup.log",
    });
    expect(backupSettings(config, {})).toEqual({
      dataDir: "/data/backup-utils/data",
      numSnapshots: 10,
      hostname: "github.example.com",
    });
  });

  it("expands earlier assignments and keeps single-quoted text literal", () => {
    const config = parseBackupConfig("BASE=/srv/ghe\nGHE_DATA_DIR=$BASE/data\nLITERAL='$BASE'\n", "c");
    expect(config.values.GHE_DATA_DIR).toBe("/srv/ghe/data");
    expect(config.values.LITERAL).toBe("$BASE");
  });

  it.each([
    ["GHE_DATA_DIR=$(whoami)", "1:14: command substitution $(…) is not read"],
    ['GHE_DATA_DIR="/data/$(id -u)"', "1:21: command substitution $(…) is not read"],
    ["GHE_DATA_DIR=`hostname`", "1:14: command substitution `…` is not read"],
    ['GHE_DATA_DIR="/data/`id -u`"', "1:21: command substitution `…` is not read"],
    ['GHE_DATA_DIR="/data', '1:14: unterminated "…" string'],
    ["GHE_DATA_DIR='/data", "1:14: unterminated '…' string"],
    ["GHE_DATA_DIR=/data; rm -rf /", '1:19: ";" would make bash run something'],
    ["GHE_DATA_DIR=/data && curl x", "1:19: more than one word after the =: quote the value"],
    ["source /etc/other.conf", "1:1: not an assignment (NAME=value)"],
    ["\n\n  if true; then X=1; fi", "3:3: not an assignment (NAME=value)"],
    ["GHE_DATA_DIR=$UNSET/data", "1:14: $UNSET is not set above or in the environment"],
    ["X=<(cat /etc/shadow)", '1:3: "<" would make bash run something'],
  ])("refuses %s with the line and column", (text, where) => {
    const message = refusal(text);
    expect(message).toContain(`/etc/github-backup-utils/backup.config:${where}`);
  });

  it("resolves a relative GHE_DATA_DIR against GHE_BACKUP_ROOT, and refuses it when that is unknown", () => {
    const relative = parseBackupConfig("GHE_DATA_DIR=data\n", "backup.config");
    expect(backupSettings(relative, { GHE_BACKUP_ROOT: "/opt/backup-utils" }).dataDir).toBe("/opt/backup-utils/data");
    expect(() => backupSettings(relative, {})).toThrow(/relative to GHE_BACKUP_ROOT/);
    expect(() => backupSettings(parseBackupConfig("GHE_NUM_SNAPSHOTS=ten\nGHE_DATA_DIR=/d\n", "c"), {})).toThrow(
      /GHE_NUM_SNAPSHOTS "ten"/,
    );
  });

  it("looks for the config where backup-utils does, in its order", () => {
    expect(
      backupConfigCandidates({ GHE_BACKUP_CONFIG: "/x.config", GHE_BACKUP_ROOT: "/opt/bu", HOME: "/home/b" }),
    ).toEqual([
      "/x.config",
      "/opt/bu/backup.config",
      "/home/b/.github-backup-utils/backup.config",
      "/etc/github-backup-utils/backup.config",
    ]);
  });
});
