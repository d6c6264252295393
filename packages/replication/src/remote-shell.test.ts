import { describe, expect, it } from "vitest";
import { createReplier } from "./remote-shell.js";

describe("createReplier", () => {
  const marker = "\nprobe-end-0123456789ab\n";

  it("answers once, with the stdout before the marker, even when the marker is split over chunks", () => {
    const heads: string[] = [];
    const writes: string[][] = [];
    const replier = createReplier(
      { marker, answer: (head) => (heads.push(head.toString()), [Buffer.from("write\n")]) },
      (chunks) => writes.push(chunks.map((chunk) => Buffer.from(chunk).toString())),
    );
    const stdout = [Buffer.from("probe 1\nmeta-follows\n{}\nprobe-e")];
    replier.onStdout(stdout);
    expect(writes).toEqual([]);
    stdout.push(Buffer.from("nd-0123456789ab\nresult committed\n"));
    replier.onStdout(stdout);
    replier.onStdout(stdout);
    expect(heads).toEqual(["probe 1\nmeta-follows\n{}"]);
    expect(writes).toEqual([["write\n"]]);
    expect(replier.failure()).toBeUndefined();
  });

  it("closes stdin unanswered when the answer throws, and keeps the error for the caller", () => {
    const writes: number[] = [];
    const replier = createReplier(
      {
        marker,
        answer: () => {
          throw new Error("bad probe");
        },
      },
      (chunks) => writes.push(chunks.length),
    );
    replier.onStdout([Buffer.from(`x${marker}`)]);
    expect(writes).toEqual([0]);
    expect(replier.failure()?.message).toBe("bad probe");
  });

  it("closes stdin unanswered when the output overflowed before any marker", () => {
    const writes: number[] = [];
    const replier = createReplier({ marker, answer: () => [Buffer.from("write\n")] }, (chunks) =>
      writes.push(chunks.length),
    );
    replier.onStdout([Buffer.from("no marker yet")]);
    expect(writes).toEqual([]);
    replier.onStdout([Buffer.from("no marker yet")], true);
    expect(writes).toEqual([0]);
    replier.onStdout([Buffer.from(marker)], true);
    expect(writes).toEqual([0]);
  });
});
