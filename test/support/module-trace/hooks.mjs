// Module-loader hooks (they run on the loader thread): one line per loaded module URL.
import { appendFileSync } from "node:fs";

let trace;

export function initialize(data) {
  trace = data.trace;
}

export async function load(url, context, nextLoad) {
  if (trace) appendFileSync(trace, `${url}\n`);
  return nextLoad(url, context);
}
