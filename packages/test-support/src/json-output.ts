/**
 * Typed reads of a command's `--json` document (issue 12): a test names the
 * shape it relies on (a zod schema, or anything with zod's `parse`) instead of
 * reaching into `any`. A document that is not JSON, or not of that shape,
 * fails the test with what was printed.
 */

/** What `parseJsonOutput` needs of a schema: zod's `parse` (test-support depends on no validator). */
export interface JsonShape<Value> {
  parse(value: unknown): Value;
}

/** The JSON document in `text` (a command's stdout, or a file's contents) as `Value`; throws with the text when it is not. */
export function parseJsonOutput<Value>(shape: JsonShape<Value>, text: string): Value {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`expected one JSON document, got: ${text.slice(0, 2000)}`, { cause: error });
  }
  try {
    return shape.parse(document);
  } catch (error) {
    throw new Error(`the JSON document does not have the expected shape: ${text.slice(0, 2000)}`, { cause: error });
  }
}

/** The `--json` error document every command prints on failure: `{error: {code, message, hint?}}`. */
export interface CliErrorDocument {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

const errorShape: JsonShape<CliErrorDocument> = {
  parse(value) {
    const error = (value as { error?: unknown } | null)?.error as Partial<Record<string, unknown>> | undefined;
    if (typeof error?.code !== "string" || typeof error.message !== "string")
      throw new Error("not a connect-ops --json error document ({error: {code, message}})");
    return {
      code: error.code,
      message: error.message,
      ...(typeof error.hint === "string" ? { hint: error.hint } : {}),
    };
  },
};

/** The error of a failed command's `--json` stdout (its `code`, `message`, `hint`). */
export function cliErrorOf(stdout: string): CliErrorDocument {
  return parseJsonOutput(errorShape, stdout);
}
