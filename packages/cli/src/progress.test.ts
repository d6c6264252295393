import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";

function capture() {
  let text = "";
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe("createProgress", () => {
  it("writes nothing when disabled (--no-progress, non-TTY)", () => {
    const out = capture();
    const progress = createProgress({ stream: out.stream, enabled: false, color: true, label: "replicating" });
    progress.start(["a"]);
    progress.nodeDone({ name: "a", status: "updated", ok: true });
    progress.finish();
    expect(out.text()).toBe("");
  });

  it("prints a line per finished node and rewrites the status line, escape-free without colour", () => {
    const out = capture();
    const progress = createProgress({ stream: out.stream, enabled: true, color: false, label: "replicating" });
    progress.start(["a", "b"]);
    progress.nodeDone({ name: "b", status: "unreachable", ok: false, detail: "REPL_UNREACHABLE" });
    progress.nodeDone({ name: "a", status: "updated", ok: true, detail: "1 → 2" });
    progress.finish();
    const status = "replicating 0/2 · waiting for a, b";
    expect(out.text()).toBe(
      `${status}\r${" ".repeat(status.length)}\r  ✗ b  unreachable  REPL_UNREACHABLE\n` +
        "replicating 1/2 · waiting for a\r" +
        " ".repeat(31) +
        "\r  ✓ a  updated  1 → 2\n",
    );
    expect(out.text()).not.toContain("\x1b");
  });

  it("colours the marks and clears the line with an escape on a colour terminal", () => {
    const out = capture();
    const progress = createProgress({ stream: out.stream, enabled: true, color: true, label: "probing" });
    progress.start(["a", "b", "c", "d", "e", "f"]);
    expect(out.text()).toBe("probing 0/6 · waiting for a, b, c, d, +2");
    progress.nodeDone({ name: "a", status: "failed", ok: false });
    expect(out.text()).toContain("\r\x1b[2K  \x1b[31m✗\x1b[0m a  \x1b[31mfailed\x1b[0m\n");
  });
});
