/**
 * The one sh quoting function (issue 12). Quotes `value` as one sh word:
 * single quotes, with each `'` written as `'\''`. Inside single quotes sh
 * expands nothing, so any string (spaces, `$`, backquotes, newlines, globs)
 * reaches the command unchanged. NUL cannot be passed to sh at all.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
