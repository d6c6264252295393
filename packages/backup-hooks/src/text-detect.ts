import type { DetectScope } from "./hit.js";
import { detectBase64Text } from "./text-base64.js";
import { detectEscapedText } from "./text-escapes.js";
import { detectHexText } from "./text-hex.js";
import type { Rescan, TextNest } from "./text-nest.js";
import { detectPercentText } from "./text-percent.js";
import { detectUtf16Text } from "./text-utf16.js";

/**
 * The text decoders (issue 13): each finds runs of its encoding anywhere in
 * [from, to) with a cheap scan, decodes them and runs every detector over the
 * decoded bytes (`rescan`, one text level deeper); a secret inside makes the
 * encoded run a hit. Runs earlier detectors claimed are skipped. Escapes go
 * first: they undo what hides a run of the others (`\u002b` inside base64).
 */
export function detectEncodedText(scope: DetectScope, nest: TextNest, rescan: Rescan): void {
  const text = { ...scope, nest, rescan };
  detectEscapedText(text);
  detectPercentText(text);
  detectUtf16Text(text);
  detectHexText(text);
  detectBase64Text(text);
}
