import { describe, expect, it } from "vitest";
import { humanLogLine } from "./logger.js";
import { createProgress } from "./progress.js";
import { createTerminal } from "./terminal.js";

function capture() {
  let text = "";
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe("createTerminal", () => {
  it("without a live display, permanent text passes straight through and setLive writes nothing", () => {
    const out = capture();
    const terminal = createTerminal({ stream: out.stream, live: false, color: true });
    terminal.setLive("replicating 0/2");
    terminal.write("warning: x\n");
    terminal.setLive(undefined);
    expect(out.text()).toBe("warning: x\n");
  });

  it("a permanent line clears the live line, lands on its own line, and the live line is redrawn below it", () => {
    const out = capture();
    const terminal = createTerminal({ stream: out.stream, live: true, color: false });
    terminal.setLive("replicating 0/2");
    terminal.write("warning: closing failed\n");
    terminal.setLive(undefined);
    const blank = `\r${" ".repeat("replicating 0/2".length)}\r`;
    expect(out.text()).toBe(`replicating 0/2${blank}warning: closing failed\nreplicating 0/2${blank}`);
    expect(out.text()).not.toContain("\x1b");
  });

  it("clears with an escape on a colour terminal", () => {
    const out = capture();
    const terminal = createTerminal({ stream: out.stream, live: true, color: true });
    terminal.setLive("probing 0/1");
    terminal.setLive(undefined);
    expect(out.text()).toBe("probing 0/1\r\x1b[2K");
  });
});

describe("createProgress", () => {
  it("writes nothing when the terminal has no live display (--no-progress, non-TTY, --quiet)", () => {
    const out = capture();
    const progress = createProgress({
      terminal: createTerminal({ stream: out.stream, live: false, color: true }),
      label: "replicating",
    });
    progress.start(["a"]);
    progress.nodeDone({ name: "a", ok: false });
    progress.finish();
    expect(out.text()).toBe("");
  });

  it("one live line counts done and failed nodes, prints no permanent line of its own, and is erased at the end", () => {
    const out = capture();
    const progress = createProgress({
      terminal: createTerminal({ stream: out.stream, live: true, color: false }),
      label: "replicating",
    });
    progress.start(["a", "b", "c"]);
    progress.nodeDone({ name: "b", ok: false });
    progress.nodeDone({ name: "a", ok: true });
    progress.finish();
    const lines = out
      .text()
      .split(/\r/u)
      .filter((part) => part.trim() !== "");
    expect(lines).toEqual([
      "replicating 0/3 · waiting for a, b, c",
      "replicating 1/3 · failed: b · waiting for a, c",
      "replicating 2/3 · failed: b · waiting for c",
    ]);
    expect(out.text()).not.toContain("\n");
    expect(out.text().endsWith(`\r${" ".repeat(lines[2]?.length ?? 0)}\r`)).toBe(true);
  });

  it("names at most four nodes and counts the rest", () => {
    const out = capture();
    const progress = createProgress({
      terminal: createTerminal({ stream: out.stream, live: true, color: true }),
      label: "probing",
    });
    progress.start(["a", "b", "c", "d", "e", "f"]);
    expect(out.text()).toBe("probing 0/6 · waiting for a, b, c, d, +2");
  });
});

describe("humanLogLine", () => {
  it("renders a pino JSON line as one readable line with its fields, and passes other text through", () => {
    const line = JSON.stringify({
      level: 40,
      time: "2026-12-02T15:35:05.040Z",
      tool: "connect-ops",
      node: "ghes-bad",
      code: "REPL_TIMEOUT",
      msg: "closing the node connection failed",
    });
    expect(humanLogLine(`${line}\n`)).toBe(
      "warning: closing the node connection failed (node=ghes-bad code=REPL_TIMEOUT)\n",
    );
    expect(humanLogLine("not json\n")).toBe("not json\n");
  });
});
