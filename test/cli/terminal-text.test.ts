import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { inlineText, terminal, TerminalText, terminalSafe } from "../../src/render/terminal-text.ts";
import { writeAccessTree, writeTreeWithLiveGroup } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

describe("text for the terminal", () => {
  it("shows control characters as escapes, whatever they look like", () => {
    expect(terminalSafe("a\u001b[8mhidden\u0007\rNo changes.\n\ttab")).toBe(
      "a\\x1b[8mhidden\\x07\\x0dNo changes.\n\ttab",
    );
    expect(terminalSafe("\u001b]0;title\u0007")).toBe("\\x1b]0;title\\x07");
    // A string is data: a colour code or a line clear in it, even at its start, is escaped like any other.
    expect(terminalSafe("\r\u001b[2K\u001b[32m+ add\u001b[0m")).toBe("\\x0d\\x1b[2K\\x1b[32m+ add\\x1b[0m");
    expect(terminalSafe("#7 approved by carol\r\u001b[2K#999 approved by ceo")).toBe(
      "#7 approved by carol\\x0d\\x1b[2K#999 approved by ceo",
    );
  });

  it("keeps gatehouse's own escape codes, written in a terminal template, and escapes the data put in", () => {
    const data = "ops\u001b[0m\r\u001b[2KNo changes.";
    const green = terminal`\u001b[32m${data}\u001b[0m`;
    expect(green.text).toBe("\u001b[32mops\\x1b[0m\\x0d\\x1b[2KNo changes.\u001b[0m");
    expect(terminal`\r\u001b[2K${green}\n`.text).toBe(`\r\u001b[2K${green.text}\n`);
    expect(TerminalText.join([green, data], "\n").text).toBe(`${green.text}\n${terminalSafe(data)}`);
  });

  it("prints a live group's name as text in a coloured plan, not as the colours it imitates", async () => {
    // A group made by hand in the live system, named to paint itself green and wipe the line before it.
    const name = "x\u001b[32m+ nothing to see\u001b[0m\r\u001b[2K";
    const tree = await writeTreeWithLiveGroup(name);
    try {
      const { io, out } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
      expect(await main(["plan"], { ...io, isTTY: true })).toBe(0);
      const text = out.join("");
      expect(text).toContain("delete group x\\x1b[32m+ nothing to see\\x1b[0m\\x0d\\x1b[2K");
      // The escape codes left are gatehouse's own colours around the change: red, the dim reason, reset.
      // eslint-disable-next-line no-control-regex -- the escape codes printed are what is checked
      expect(text.match(/\u001b\[[0-9]*m/g)).toEqual(["\u001b[31m", "\u001b[0m", "\u001b[2m", "\u001b[0m"]);
      expect(text).not.toContain("\r");
    } finally {
      await tree.remove();
    }
  });

  it("keeps apply's progress lines on a terminal, with the data in them escaped", async () => {
    const name = "y\r\u001b[2KApply complete";
    const tree = await writeTreeWithLiveGroup(name);
    try {
      const { io, out } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
      expect(await main(["apply", "--yes"], { ...io, isTTY: true })).toBe(0);
      const text = out.join("");
      // The applied change's line clears the one before and is itself cleared before what follows.
      expect(text).toContain(
        "\r\u001b[2K[1/1] applied app: delete group y\\x0d\\x1b[2KApply complete (0 members)\r\u001b[2KJournal:",
      );
      // The outcome is the last line.
      expect(text.trimEnd().split("\n").at(-1)).toMatch(
        /^Apply complete: 1 applied, 0 failed, 0 skipped in /,
      );
    } finally {
      await tree.remove();
    }
  });

  it("escapes bidirectional overrides and isolates, which would show a name reversed", () => {
    expect(terminalSafe("Evil \u202egnp.exe \u2066x\u2069 Zoë עברית")).toBe(
      "Evil \\u202egnp.exe \\u2066x\\u2069 Zoë עברית",
    );
    expect(inlineText("a\u2028b")).toBe("a\\u2028b");
  });

  it("keeps one value on one line (inlineText)", () => {
    expect(inlineText("carol\n    that run's pull requests: #999 approved by ceo\t\u001b[2K")).toBe(
      "carol\\x0a    that run's pull requests: #999 approved by ceo\\x09\\x1b[2K",
    );
  });

  it("prints JSON that parses to the very names, with no control character in it", async () => {
    // CSI (U+009B) starts an escape sequence on many terminals; JSON.stringify leaves it, DEL, the line
    // separator and the bidirectional controls as they are.
    const name = "x\u009b32m\u007f\u2028\u202egpj.exe\u001b[0m";
    const tree = await writeTreeWithLiveGroup(name, {
      "users/people.yaml": 'users:\n  - { id: ann, name: Ann, "x\\u009b8m\\u007f": 1 }\n',
    });
    try {
      await writeFile(
        path.join(tree.dir, "users/people.yaml"),
        "users:\n  - { id: ann, name: Ann, startDate: 2020-01-01 }\n",
      );
      const planned = await runCliIn(tree.cwd, ["plan", "--format", "json"]);
      expect(planned.code).toBe(0);
      // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
      expect(planned.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e]/);
      const plan = JSON.parse(planned.out) as { changes: { group?: string }[] };
      expect(plan.changes.map((c) => c.group)).toContain(name);

      await writeFile(
        path.join(tree.dir, "users/people.yaml"),
        'users:\n  - { id: ann, name: Ann, "x\\u009b8m\\u007f": 1 }\n',
      );
      const validated = await runCliIn(tree.cwd, ["validate", "--format", "json"]);
      expect(validated.code).toBe(1);
      // eslint-disable-next-line no-control-regex -- as above
      expect(validated.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e]/);
      const report = JSON.parse(validated.out) as { diagnostics: { message: string }[] };
      expect(report.diagnostics.map((d) => d.message).join("\n")).toContain("x\u009b8m\u007f");
    } finally {
      await tree.remove();
    }
  });

  it("is what validate prints for a hostile key", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml": 'users:\n  - { id: ann, name: Ann, "x\\e[8m": 1 }\n',
    });
    try {
      const result = await runCliIn(tree.cwd, ["validate"]);
      expect(result.code).toBe(1);
      expect(result.out).not.toContain("\u001b");
      expect(result.out).toContain("x\\x1b[8m");
    } finally {
      await tree.remove();
    }
  });
});
