/** One `key = value` of a git-config file, with where it was. */
export interface GitConfigEntry {
  readonly section: string;
  readonly subsection: string | undefined;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface GitConfigSection {
  readonly section: string;
  readonly subsection: string | undefined;
  readonly line: number;
  readonly entries: GitConfigEntry[];
}

/** Thrown by `parseGitConfig`; `line` is 1-based. */
export class GitConfigSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = "GitConfigSyntaxError";
  }
}

const SECTION = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]\s*(?:[#;].*)?$/;
const ENTRY = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/;

/**
 * Parses the subset of git-config syntax GHES writes (`ghe-config`): sections,
 * quoted subsections, `key = value`, comments, double-quoted values. Section
 * and key names are case-insensitive, so they are lower-cased. Continuation
 * lines and includes are refused rather than half-supported.
 */
export function parseGitConfig(text: string): GitConfigSection[] {
  const sections: GitConfigSection[] = [];
  let current: GitConfigSection | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    if (trimmed.startsWith("[")) {
      const match = SECTION.exec(trimmed);
      if (match === null) throw new GitConfigSyntaxError(line, "malformed section header");
      const subsection = match[2]?.replace(/\\(.)/g, "$1");
      current = { section: (match[1] ?? "").toLowerCase(), subsection, line, entries: [] };
      sections.push(current);
      return;
    }
    const match = ENTRY.exec(trimmed);
    if (match === null) throw new GitConfigSyntaxError(line, "expected `key = value`");
    if (current === undefined) throw new GitConfigSyntaxError(line, "key outside of any [section]");
    const value = match[2] === undefined ? "true" : parseValue(match[2], line);
    current.entries.push({
      section: current.section,
      subsection: current.subsection,
      key: (match[1] ?? "").toLowerCase(),
      value,
      line,
    });
  });
  return sections;
}

function parseValue(raw: string, line: number): string {
  let out = "";
  let quoted = false;
  for (let index = 0; index < raw.length; index++) {
    const char = raw[index] ?? "";
    if (char === "\\") {
      const next = raw[index + 1];
      if (next === undefined) throw new GitConfigSyntaxError(line, "continuation lines are not supported");
      const escapes: Record<string, string> = { n: "\n", t: "\t", b: "\b", "\\": "\\", '"': '"' };
      const escaped = escapes[next];
      if (escaped === undefined) throw new GitConfigSyntaxError(line, `unknown escape \\${next}`);
      out += escaped;
      index++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && (char === "#" || char === ";")) {
      break;
    } else {
      out += char;
    }
  }
  if (quoted) throw new GitConfigSyntaxError(line, "unterminated quoted value");
  return out.trim();
}
