import { expect } from "vitest";
import type { CliRun } from "@connect-ops/test-support";

/**
 * The forms a secret could leak in: raw, base64, JSON-escaped, and for a PEM
 * every body line on its own (a single line is enough to matter).
 */
export function leakForms(secret: string): string[] {
  const forms = new Set<string>([secret, Buffer.from(secret).toString("base64"), JSON.stringify(secret).slice(1, -1)]);
  if (secret.includes("PRIVATE KEY-----")) {
    for (const line of secret.split(/\r?\n/)) if (line.length >= 16 && !line.startsWith("-----")) forms.add(line);
  }
  return [...forms].filter((form) => form.length >= 16);
}

/** Fails with the place and form of the first leak; never prints the secret itself. */
export function expectNoLeak(places: Record<string, string>, secrets: Record<string, string>): void {
  for (const [secretName, secret] of Object.entries(secrets)) {
    for (const form of leakForms(secret)) {
      for (const [place, text] of Object.entries(places)) {
        if (text.includes(form)) expect.fail(`${secretName} leaked into ${place} (form of ${form.length} chars)`);
      }
    }
  }
}

/** What runs `from`..`to` printed and were given, as named places for a leak scan. */
export function runPlaces(runs: readonly CliRun[], from = 0, to = runs.length): Record<string, string> {
  const places: Record<string, string> = {};
  for (let index = from; index < to; index++) {
    const run = runs[index] as CliRun;
    const label = `run ${index} (${run.argv.slice(0, 3).join(" ")})`;
    places[`${label} stdout`] = run.stdout;
    places[`${label} stderr`] = run.stderr;
    places[`${label} argv`] = run.argv.join(" ");
    if (run.procArgv !== "") places[`${label} /proc argv`] = run.procArgv;
  }
  return places;
}
