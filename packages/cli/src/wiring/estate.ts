import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import type { EstateReportPorts, EstateReportRequest } from "../lifecycle/estate-report.js";

export interface EstateFlags {
  readonly estateFile: string;
  readonly reportsDir: string;
  readonly outFile: string;
  readonly signingKey?: string;
  readonly htmlFile?: string;
}

async function signingKeyFrom(context: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined) {
    const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
    return (await readAuditSigningKey(context.globals.stateDir)).privateKeyPem;
  }
  const { readArgumentFile } = await import("../flows/argument-file.js");
  const bytes = await readArgumentFile({
    path: context.resolvePath(file),
    given: file,
    kind: "private-key",
    what: "the signing key",
    hint: "pass an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519), or omit --signing-key to use the state dir's",
  });
  return bytes.toString("utf8");
}

/** The estate report's ports: the estate file read and checked, the reports dir checked, the signing key loaded. */
export async function estateReportPorts(
  context: CommandContext,
  flags: EstateFlags,
): Promise<{ ports: EstateReportPorts; request: EstateReportRequest }> {
  const { readEstateFile, publicKeyFingerprint } = await import("../flows/estate-file.js");
  const { stat } = await import("node:fs/promises");
  const { createPrivateKey, createPublicKey } = await import("node:crypto");
  const estate = await readEstateFile(context.resolvePath(flags.estateFile), flags.estateFile);
  const reportsDir = context.resolvePath(flags.reportsDir);
  const isDir = await stat(reportsDir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw usageError(
      `--reports ${flags.reportsDir} is not a directory`,
      "pass the directory the appliances' <name>.json reports were collected into",
    );
  const privateKeyPem = await signingKeyFrom(context, flags.signingKey);
  let publicKeyPem: string;
  try {
    const key = createPrivateKey(privateKeyPem);
    if (key.asymmetricKeyType !== "ed25519") throw new Error("not ed25519");
    publicKeyPem = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  } catch {
    // The key's text is secret: neither it nor the parser's message (which may quote it) goes into the error.
    throw usageError(
      `${flags.signingKey ?? "the state dir's audit signing key"} is not an Ed25519 private key in PEM`,
      "create one with `openssl genpkey -algorithm ed25519 -out estate-signing.key`",
    );
  }
  const { toolVersion } = await import("../tool-version.js");
  return {
    ports: {
      now: context.io.now,
      toolVersion: await toolVersion(),
      signingKey: {
        privateKeyPem,
        publicKeyPem,
        publicKeyFingerprint: publicKeyFingerprint(publicKeyPem, "the signing key"),
      },
    },
    request: {
      estate,
      reportsDir,
      outFile: context.resolvePath(flags.outFile),
      ...(flags.htmlFile === undefined ? {} : { htmlFile: context.resolvePath(flags.htmlFile) }),
    },
  };
}
