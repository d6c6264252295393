import type * as z from "zod";
import { CoreError } from "./errors.js";
import { jsonErrorWhere } from "./json-position.js";

/** One problem found in an input document: where, and what was expected. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(document)";
  return path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

/**
 * Parses `input` with `schema` at an edge (config file, inventory, CLI flag).
 * Returns the typed value; throws `CoreError` `CORE_INVALID_INPUT` (category
 * `input`) whose message names each field path and what was expected. The
 * offending values are never echoed, because they might be secrets.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  source: string,
  hint = `fix ${source} and run the command again`,
): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: InputIssue[] = result.error.issues.map((issue) => ({
    path: describePath(issue.path),
    message: issue.message,
  }));
  const listed = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  throw new CoreError("CORE_INVALID_INPUT", `${source} is invalid: ${listed}`, {
    category: "input",
    hint,
    context: { source },
  });
}

/** Parses JSON text from `source`, turning a syntax error into a typed input error. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes part of the text in its message (it may be secret) and does not always give a position:
    // the line and column come from our own checker, and nothing of the text is echoed.
    if (!(error instanceof SyntaxError)) throw error;
    const where = jsonErrorWhere(text);
    throw new CoreError("CORE_INVALID_INPUT", `${source} is not valid JSON${where}`, {
      category: "input",
      hint: `check ${source} with a JSON validator and run the command again`,
      context: { source },
    });
  }
}
