import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

/** README.md and every docs/**\/*.md, as repository-relative paths. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
  return ["README.md", ...docs.sort()];
}

/** One fenced block: its info string (```sh sandbox → ["sh", "sandbox"]), its lines, where it starts. */
export interface FencedBlock {
  readonly file: string;
  readonly line: number;
  readonly info: readonly string[];
  readonly lines: readonly string[];
}

/** A `connect-ops …` invocation found in a doc, ready to parse. */
export interface DocCommand {
  readonly file: string;
  readonly line: number;
  /** The text as written, for messages. */
  readonly text: string;
  /** Arguments after `connect-ops`, shell-split; `…` placeholders dropped. */
  readonly argv: readonly string[];
  /** `fenced`: a line of a code block (must parse completely); `inline`: a `code span` in prose (may omit arguments). */
  readonly kind: "fenced" | "inline";
  /** Whether the block is run by the docs test (```sh sandbox). */
  readonly executed: boolean;
}

export function fencedBlocks(file: string): FencedBlock[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: FencedBlock[] = [];
  let open: { line: number; info: string[]; lines: string[]; fence: string } | undefined;
  lines.forEach((text, index) => {
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(text);
    if (open === undefined && fence) {
      open = {
        line: index + 1,
        info: (fence[2] ?? "").trim().split(/\s+/).filter(Boolean),
        lines: [],
        fence: fence[1] as string,
      };
    } else if (
      open !== undefined &&
      fence &&
      (fence[1] as string).startsWith(open.fence) &&
      (fence[2] ?? "").trim() === ""
    ) {
      blocks.push({ file, line: open.line, info: open.info, lines: open.lines });
      open = undefined;
    } else if (open !== undefined) {
      open.lines.push(text);
    }
  });
  return blocks;
}

/**
 * Splits shell words: single and double quotes, backslash escapes; `$VAR` stays
 * literal (it is a value to the parser). Stops at a comment, pipe, list
 * operator or redirection: what follows is not connect-ops's argv.
 */
const ENDS_ARGV = ["|", ";", "&", ">", "<", ")", "`"];

export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let index = 0;
  const push = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      push();
    } else if (char === "'" || char === '"') {
      const end = text.indexOf(char, index + 1);
      word = (word ?? "") + text.slice(index + 1, end === -1 ? undefined : end);
      index = end === -1 ? text.length : end;
    } else if (char === "\\" && index + 1 < text.length) {
      word = (word ?? "") + text.charAt(index + 1);
      index += 1;
    } else if (word === undefined && (char === "#" || /^2>/.test(text.slice(index)) || ENDS_ARGV.includes(char))) {
      break;
    } else if (ENDS_ARGV.includes(char)) {
      push();
      break;
    } else {
      word = (word ?? "") + char;
    }
    index += 1;
  }
  push();
  return words;
}

const INVOCATION = /(?:^|[\s;&|(`$])(?:npx\s+)?connect-ops(?=\s|$)/g;
const PLACEHOLDER = /^(…|\.\.\.)$/;

/** The argv of every `connect-ops` invocation in one line of shell (`a && connect-ops x` included). */
function invocations(text: string): string[][] {
  return [...text.matchAll(INVOCATION)].map((match) =>
    shellWords(text.slice(match.index + match[0].length)).filter((word) => !PLACEHOLDER.test(word)),
  );
}

/** Every `connect-ops …` in a file's fenced blocks (continuation lines joined) and inline code spans. */
export function docCommands(file: string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const block of fencedBlocks(file)) {
    const executed = isExecutedBlock(block);
    const joined: Array<{ line: number; text: string }> = [];
    block.lines.forEach((text, index) => {
      const previous = joined.at(-1);
      if (previous && previous.text.endsWith("\\")) previous.text = `${previous.text.slice(0, -1)} ${text.trim()}`;
      else joined.push({ line: block.line + 1 + index, text });
    });
    for (const { line, text } of joined) {
      if (/^\s*Usage: connect-ops/.test(text)) continue; // commander's synopsis in help text, not a command line
      for (const argv of invocations(text.replace(/^\s*\$\s+/, "")))
        commands.push({ file, line, text: text.trim(), argv, kind: "fenced", executed });
    }
  }
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  let inFence = false;
  lines.forEach((text, index) => {
    if (/^\s*(`{3,}|~{3,})/.test(text)) inFence = !inFence;
    if (inFence) return;
    for (const span of text.matchAll(/`([^`]+)`/g)) {
      const code = span[1] as string;
      if (!/^(npx\s+)?connect-ops(\s|$)/.test(code)) continue;
      for (const argv of invocations(code))
        commands.push({ file, line: index + 1, text: code, argv, kind: "inline", executed: false });
    }
  });
  return commands;
}

/** ```sh sandbox (or ```bash sandbox): run by test/docs.test.ts. */
export function isExecutedBlock(block: FencedBlock): boolean {
  return (block.info[0] === "sh" || block.info[0] === "bash") && block.info.includes("sandbox");
}
