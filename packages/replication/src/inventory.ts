import { isAbsolute, resolve } from "node:path";
import { ageRecipientSchema, parseInput, parseJsonText } from "@connect-ops/connection-core";
import * as z from "zod";
import { ReplicationError } from "./errors.js";

/** GHES answers administrative SSH on 122 as `admin` (backup-utils ghe-ssh). */
export const GHES_SSH_PORT = 122;
export const GHES_SSH_USER = "admin";
export const DEFAULT_NODE_PATH = "/data/user/common/github-connect";

// Names go into logs, results and file names of reports: keep them plain.
const nodeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "expected a node name of letters, digits, . _ -");
// A host reaches ssh2 and error messages; refuse anything that could be read as an option or a path.
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9.:_-]{0,252}$/, "expected a host name, IPv4 or IPv6 address (no brackets)");
// Paths are quoted for sh on the node; a newline or NUL could still split a line of its output.
const nodePath = z
  .string()
  .min(1)
  .refine((value) => !/[\0\n\r]/.test(value), "a path may not contain NUL or newline characters");

const inventoryNodeSchema = z
  .object({
    name: nodeName,
    host: hostName.optional(),
    port: z.number().int().min(1).max(65_535).default(GHES_SSH_PORT),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "expected a POSIX user name")
      .default(GHES_SSH_USER),
    role: z.enum(["primary", "replica", "cluster"]),
    datacenter: z.string().min(1).optional(),
    path: nodePath.default(DEFAULT_NODE_PATH),
    transport: z.enum(["ssh", "local"]).default("ssh"),
    /** The age recipient this node's own identity answers to, for the failover check. */
    recipient: ageRecipientSchema.optional(),
    /** Run the node script through `sudo -n` (GHES: admin writes /data/user/common only through sudo). */
    sudo: z.boolean().optional(),
    /** Reach this node through another node's SSH connection (backup-utils does it through the primary); null: directly. */
    jumpHost: nodeName.nullable().optional(),
  })
  .strict()
  .superRefine((node, context) => {
    if (node.transport === "local" && (node.sudo === true || typeof node.jumpHost === "string")) {
      context.addIssue({ code: "custom", path: ["transport"], message: "sudo and jumpHost apply to ssh nodes only" });
    }
    if (node.transport === "ssh" && node.host === undefined) {
      context.addIssue({ code: "custom", path: ["host"], message: "an ssh node needs a host" });
    }
    if (node.transport === "ssh" && !node.path.startsWith("/")) {
      context.addIssue({ code: "custom", path: ["path"], message: "an ssh node needs an absolute path" });
    }
  });

export const inventorySchema = z
  .object({
    ssh: z
      .object({
        identityFile: z.string().min(1).optional(),
        knownHostsFile: z.string().min(1).optional(),
        /** Default of every ssh node's `sudo`. */
        sudo: z.boolean().optional(),
        /** Default of every ssh node's `jumpHost` (the jump node itself is reached directly). */
        jumpHost: nodeName.optional(),
      })
      .strict()
      .default({}),
    nodes: z.array(inventoryNodeSchema).min(1, "list at least one node"),
  })
  .strict()
  .superRefine((inventory, context) => {
    const seen = new Set<string>();
    inventory.nodes.forEach((node, index) => {
      if (seen.has(node.name)) {
        context.addIssue({
          code: "custom",
          path: ["nodes", index, "name"],
          message: `duplicate node name ${node.name}`,
        });
      }
      seen.add(node.name);
    });
    const byName = new Map(inventory.nodes.map((node) => [node.name, node]));
    const checkJump = (name: string, path: (string | number)[], from?: string): void => {
      const jump = byName.get(name);
      if (jump === undefined) {
        context.addIssue({ code: "custom", path, message: `jumpHost ${name} is not a node of this inventory` });
      } else if (jump.transport !== "ssh" || name === from || jumpHostOf(jump, inventory.ssh.jumpHost) !== undefined) {
        context.addIssue({
          code: "custom",
          path,
          message: `jumpHost ${name} must be another ssh node that is reached directly (one hop)`,
        });
      }
    };
    if (inventory.ssh.jumpHost !== undefined) checkJump(inventory.ssh.jumpHost, ["ssh", "jumpHost"]);
    inventory.nodes.forEach((node, index) => {
      if (typeof node.jumpHost === "string") checkJump(node.jumpHost, ["nodes", index, "jumpHost"], node.name);
    });
  });

export type NodeRole = "primary" | "replica" | "cluster";

/** One node after validation; `path` is absolute for every transport. */
export interface NodeSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly role: NodeRole;
  readonly datacenter?: string;
  readonly path: string;
  readonly transport: "ssh" | "local";
  readonly recipient?: string;
  /** The node script runs through `sudo -n`. */
  readonly sudo?: boolean;
  /** The node whose SSH connection reaches this one (`forwardOut`); absent: directly. */
  readonly jumpHost?: JumpHostSpec;
}

/** Where a jump host answers: another node of the inventory, reached directly. */
export interface JumpHostSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

export interface SshSettings {
  readonly identityFile?: string;
  readonly knownHostsFile?: string;
}

/** The jump host of a node: its own, else the inventory's (never itself), else none. */
function jumpHostOf(
  node: { name: string; jumpHost?: string | null | undefined },
  fallback?: string,
): string | undefined {
  if (node.jumpHost === null) return undefined;
  const jump = node.jumpHost ?? fallback;
  return jump === node.name ? undefined : jump;
}

export interface Inventory {
  readonly ssh: SshSettings;
  readonly nodes: readonly NodeSpec[];
}

export interface LoadInventoryOptions {
  /** Names the document in messages (usually the file path). */
  readonly source: string;
  /** Relative `path`, `identityFile` and `knownHostsFile` resolve against this (the inventory's dir). */
  readonly baseDir: string;
}

/**
 * Parses and validates an inventory document. Throws `REPL_INVENTORY_INVALID`
 * (category `input`) naming each bad field path.
 */
export function parseInventory(text: string, options: LoadInventoryOptions): Inventory {
  let parsed: z.infer<typeof inventorySchema>;
  try {
    parsed = parseInput(inventorySchema, parseJsonText(text, options.source), options.source);
  } catch (error) {
    throw new ReplicationError("REPL_INVENTORY_INVALID", (error as Error).message, {
      category: "input",
      hint: `fix ${options.source} (see docs/replication.md for the format) and run the command again`,
      context: { source: options.source },
      cause: error,
    });
  }
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(options.baseDir, path));
  return {
    ssh: {
      ...(parsed.ssh.identityFile === undefined ? {} : { identityFile: absolute(parsed.ssh.identityFile) }),
      ...(parsed.ssh.knownHostsFile === undefined ? {} : { knownHostsFile: absolute(parsed.ssh.knownHostsFile) }),
    },
    nodes: parsed.nodes.map((entry) => {
      const { sudo, jumpHost: ownJump, ...node } = entry;
      const jumpHost =
        node.transport === "ssh" ? jumpHostOf({ name: node.name, jumpHost: ownJump }, parsed.ssh.jumpHost) : undefined;
      const useSudo = node.transport === "ssh" && (sudo ?? parsed.ssh.sudo) === true;
      const jump = jumpHost === undefined ? undefined : parsed.nodes.find((candidate) => candidate.name === jumpHost);
      return {
        ...node,
        host: node.host ?? "localhost",
        path: node.transport === "local" ? absolute(node.path) : node.path,
        ...(useSudo ? { sudo: true } : {}),
        ...(jump === undefined
          ? {}
          : { jumpHost: { name: jump.name, host: jump.host ?? "localhost", port: jump.port, user: jump.user } }),
      };
    }),
  };
}

/**
 * Keeps the nodes named in `names` (all when undefined), in inventory order.
 * Throws `REPL_UNKNOWN_NODE` (input) for a name the inventory lacks.
 */
export function selectNodes(nodes: readonly NodeSpec[], names: readonly string[] | undefined): NodeSpec[] {
  if (names === undefined) return [...nodes];
  const known = new Set(nodes.map((node) => node.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ReplicationError("REPL_UNKNOWN_NODE", `no node named ${unknown.join(", ")} in the inventory`, {
      category: "input",
      hint: `use names from the inventory: ${[...known].join(", ")}`,
    });
  }
  const wanted = new Set(names);
  return nodes.filter((node) => wanted.has(node.name));
}
