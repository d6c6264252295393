import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What an HTTPS sim serves: a leaf for 127.0.0.1/localhost, signed by a CA of its own. */
export interface SimTlsMaterial {
  /** The CA certificate (PEM): what a client must trust; also written to `DIR/ca.pem`. */
  readonly caPem: string;
  readonly keyPem: string;
  /** The leaf, then the CA (the chain a server sends). */
  readonly certPem: string;
}

const LEAF_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=IP:127.0.0.1,DNS:localhost",
].join("\n");

/**
 * Makes a fresh CA and a leaf for 127.0.0.1 and localhost with the openssl CLI
 * (node:crypto cannot issue X.509 certificates), and writes the CA to
 * `dir/ca.pem` (the directory is created). Keys live in a private temp dir
 * only while openssl runs; the CA key is thrown away, so nothing else can be signed with it.
 */
export async function createSimTlsMaterial(dir: string): Promise<SimTlsMaterial> {
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "github-sim-tls-"));
  const at = (name: string) => join(work, name);
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await run("openssl", [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      at("ca.key"),
      "-out",
      at("ca.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=github-sim test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await run("openssl", [
      "req",
      "-new",
      ...ec,
      "-keyout",
      at("leaf.key"),
      "-out",
      at("leaf.csr"),
      "-subj",
      "/CN=127.0.0.1",
    ]);
    await writeFile(at("leaf.ext"), `${LEAF_EXTENSIONS}\n`);
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      at("leaf.csr"),
      "-CA",
      at("ca.pem"),
      "-CAkey",
      at("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      at("leaf.ext"),
      "-out",
      at("leaf.pem"),
    ]);
    const caPem = await readFile(at("ca.pem"), "utf8");
    const keyPem = await readFile(at("leaf.key"), "utf8");
    const leafPem = await readFile(at("leaf.pem"), "utf8");
    await writeFile(join(dir, "ca.pem"), caPem);
    return { caPem, keyPem, certPem: `${leafPem}${caPem}` };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
