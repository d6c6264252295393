import type { InputKind } from "@connect-ops/connection-core";
import { usageError } from "../errors.js";

export interface ArgumentFile {
  /** The resolved path to read. */
  readonly path: string;
  /** How the operator wrote it, for the message. */
  readonly given: string;
  readonly kind: InputKind;
  /** What the file is, in the "cannot read …" message ("license file", "the report"). */
  readonly what: string;
  /** What to do when it cannot be read. */
  readonly hint: string;
}

/**
 * Reads a file the operator named on the command line through the one bounded
 * reader (issue 18): a device, FIFO, socket or directory is refused as
 * `INPUT_NOT_A_FILE`, a file over its kind's cap as `INPUT_TOO_LARGE`, a read
 * that hangs as `INPUT_READ_TIMEOUT`; a missing or forbidden file keeps the
 * command's own message and hint. All exit 2; nothing is read past the cap.
 */
export async function readArgumentFile(file: ArgumentFile): Promise<Buffer> {
  // Loaded here, not at the top: the token cache hit and `status --offline` never load connection-core's index.
  const { isConnectOpsError, readInputFile } = await import("@connect-ops/connection-core");
  try {
    return await readInputFile(file.path, { kind: file.kind });
  } catch (error) {
    if (isConnectOpsError(error) && error.code === "INPUT_UNREADABLE") {
      const errno = error.context.errno;
      throw usageError(
        `cannot read ${file.what} ${file.given} (${typeof errno === "string" ? errno : "error"})`,
        file.hint,
      );
    }
    throw error;
  }
}
