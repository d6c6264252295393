import { BackupError } from "./errors.js";

/**
 * backup-utils' `backup.config`, read as data (issue 16 item 4). backup-utils
 * sources it with bash; we never run it. Each line is a comment, blank, or
 * `[export] NAME=VALUE` with VALUE a bare word, a '…' string, or a "…"
 * string (with `\"`, `\\`, `\$`, `` \` `` escapes); `$NAME` and `${NAME}` expand
 * earlier assignments and the environment. Anything bash would have to
 * execute — `$(…)`, backticks, `<(…)`, `;`, `&&`, `|`, a command line — is
 * refused with the line and column, so a config that does more than assign is
 * never half-understood.
 */
export interface BackupConfig {
  /** Where it was read from. */
  readonly path: string;
  readonly values: Readonly<Record<string, string>>;
}

/** backup-utils' own lookup order (docs/getting-started.md of github/backup-utils). */
export function backupConfigCandidates(env: Readonly<Record<string, string | undefined>>): string[] {
  return [
    ...(env.GHE_BACKUP_CONFIG ? [env.GHE_BACKUP_CONFIG] : []),
    ...(env.GHE_BACKUP_ROOT ? [`${env.GHE_BACKUP_ROOT}/backup.config`] : []),
    ...(env.HOME ? [`${env.HOME}/.github-backup-utils/backup.config`] : []),
    "/etc/github-backup-utils/backup.config",
  ];
}

function invalid(path: string, line: number, column: number, message: string, hint: string): BackupError {
  return new BackupError("BACKUP_CONFIG_INVALID", `${path}:${line}:${column}: ${message}`, {
    category: "input",
    hint,
    context: { path, line, column },
  });
}

function unusable(path: string, message: string, hint: string): BackupError {
  return new BackupError("BACKUP_CONFIG_INVALID", `${path}: ${message}`, {
    category: "input",
    hint,
    context: { path },
  });
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const EXECUTES = "backup.config is read as data, never run: keep to NAME=value assignments";

export function parseBackupConfig(
  text: string,
  path: string,
  env: Readonly<Record<string, string | undefined>> = {},
): BackupConfig {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const lineNo = index + 1;
    const line = lines[index] ?? "";
    let at = line.length - line.trimStart().length;
    if (at === line.length || line[at] === "#") continue;
    if (line.startsWith("export ", at)) at += "export ".length;
    const name = NAME.exec(line.slice(at))?.[0];
    if (name === undefined || line[at + name.length] !== "=")
      throw invalid(path, lineNo, at + 1, "not an assignment (NAME=value)", EXECUTES);
    at += name.length + 1;
    const column = (offset: number): number => offset + 1;
    const expand = (from: number): { text: string; end: number } => {
      // `$` at `from`: ${NAME}, $NAME, or a command/arithmetic substitution (refused).
      const rest = line.slice(from + 1);
      if (rest.startsWith("("))
        throw invalid(path, lineNo, column(from), "command substitution $(…) is not read", EXECUTES);
      const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
      const plain = NAME.exec(rest);
      const ref = braced?.[1] ?? plain?.[0];
      if (ref === undefined) throw invalid(path, lineNo, column(from), "a $ that is not $NAME or ${NAME}", EXECUTES);
      const value = values[ref] ?? env[ref];
      if (value === undefined)
        throw invalid(
          path,
          lineNo,
          column(from),
          `$${ref} is not set above or in the environment`,
          "set it earlier in the file, or write the value itself",
        );
      return { text: value, end: from + 1 + (braced?.[0].length ?? ref.length) };
    };
    let value = "";
    let i = at;
    while (i < line.length) {
      const ch = line[i] ?? "";
      if (ch === "#" && (i === at || /\s/.test(line[i - 1] ?? ""))) break;
      if (/\s/.test(ch)) {
        const after = line.slice(i).trimStart();
        if (after === "" || after.startsWith("#")) break;
        throw invalid(path, lineNo, column(i), "more than one word after the =: quote the value", EXECUTES);
      }
      if (ch === "`") throw invalid(path, lineNo, column(i), "command substitution `…` is not read", EXECUTES);
      if (";&|<>()".includes(ch))
        throw invalid(path, lineNo, column(i), `"${ch}" would make bash run something`, EXECUTES);
      if (ch === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0)
          throw invalid(path, lineNo, column(i), "unterminated '…' string", "close the quote on the same line");
        value += line.slice(i + 1, close);
        i = close + 1;
      } else if (ch === '"') {
        i += 1;
        for (;;) {
          if (i >= line.length)
            throw invalid(path, lineNo, column(at), 'unterminated "…" string', "close the quote on the same line");
          const c = line[i] ?? "";
          if (c === '"') break;
          if (c === "\\" && '"\\$`'.includes(line[i + 1] ?? "")) {
            value += line[i + 1] ?? "";
            i += 2;
          } else if (c === "`")
            throw invalid(path, lineNo, column(i), "command substitution `…` is not read", EXECUTES);
          else if (c === "$") {
            const expanded = expand(i);
            value += expanded.text;
            i = expanded.end;
          } else {
            value += c;
            i += 1;
          }
        }
        i += 1;
      } else if (ch === "$") {
        const expanded = expand(i);
        value += expanded.text;
        i = expanded.end;
      } else if (ch === "\\") {
        value += line[i + 1] ?? "";
        i += 2;
      } else {
        value += ch;
        i += 1;
      }
    }
    values[name] = value;
  }
  return { path, values };
}

/** What connect-ops uses of a backup.config: the data dir, the snapshots kept, the appliance. */
export interface BackupSettings {
  readonly dataDir: string;
  readonly numSnapshots: number;
  readonly hostname?: string;
}

/**
 * GHE_DATA_DIR (a relative one is relative to GHE_BACKUP_ROOT, as
 * backup-utils resolves it), GHE_NUM_SNAPSHOTS (default 10), GHE_HOSTNAME.
 */
export function backupSettings(
  config: BackupConfig,
  env: Readonly<Record<string, string | undefined>>,
): BackupSettings {
  const { values, path } = config;
  const raw = values.GHE_DATA_DIR;
  const root = values.GHE_BACKUP_ROOT ?? env.GHE_BACKUP_ROOT;
  let dataDir: string;
  if (raw === undefined || raw === "") {
    if (root === undefined)
      throw unusable(
        path,
        "GHE_DATA_DIR is not set, and GHE_BACKUP_ROOT is unknown",
        "set GHE_DATA_DIR to the absolute snapshot dir",
      );
    dataDir = `${root}/data`;
  } else if (raw.startsWith("/")) dataDir = raw;
  else if (root !== undefined) dataDir = `${root}/${raw}`;
  else
    throw unusable(
      path,
      `GHE_DATA_DIR "${raw}" is relative to GHE_BACKUP_ROOT, which is unknown here`,
      "set GHE_DATA_DIR to an absolute path, or GHE_BACKUP_ROOT in the environment",
    );
  const count = values.GHE_NUM_SNAPSHOTS ?? "10";
  if (!/^[1-9][0-9]{0,5}$/.test(count))
    throw unusable(
      path,
      `GHE_NUM_SNAPSHOTS "${count}" is not a positive whole number`,
      "backup-utils keeps this many snapshots; e.g. 10",
    );
  return {
    dataDir,
    numSnapshots: Number(count),
    ...(values.GHE_HOSTNAME === undefined ? {} : { hostname: values.GHE_HOSTNAME }),
  };
}
