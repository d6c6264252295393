import { expect } from "vitest";

// vitest types its asymmetric matchers `any`, so a matcher inside an expected object
// (`{ reason: expect.stringMatching(/^corrupt-tar/) }`) is an unsafe `any` assignment to strict
// lint. These are the same matchers, typed as the value they stand for.

/** `expect.stringMatching`: a string that matches `pattern`. */
export function stringMatching(pattern: RegExp | string): string {
  return expect.stringMatching(pattern) as string;
}

/** `expect.stringContaining`: a string that contains `text`. */
export function stringContaining(text: string): string {
  return expect.stringContaining(text) as string;
}

/** `expect.not.stringContaining`: a string that does not contain `text`. */
export function stringNotContaining(text: string): string {
  return expect.not.stringContaining(text) as string;
}

/** `expect.any(String)`: any string. */
export function anyString(): string {
  return expect.any(String) as string;
}

/** `expect.any(Number)`: any number. */
export function anyNumber(): number {
  return expect.any(Number) as number;
}
