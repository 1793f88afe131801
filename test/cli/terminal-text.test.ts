import { describe, expect, it } from "vitest";
import { inlineText, terminalSafe } from "../../src/cli/terminal-text.ts";
import { writeAccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

describe("text for the terminal", () => {
  it("shows control characters as escapes, and keeps gatehouse's own colours", () => {
    expect(terminalSafe("a\u001b[8mhidden\u0007\rNo changes.\n\ttab")).toBe(
      "a\\x1b[8mhidden\\x07\\x0dNo changes.\n\ttab",
    );
    expect(terminalSafe("\r\u001b[2K\u001b[32m+ add\u001b[0m")).toBe("\r\u001b[2K\u001b[32m+ add\u001b[0m");
    expect(terminalSafe("\u001b]0;title\u0007")).toBe("\\x1b]0;title\\x07");
    // Line clearing inside a chunk came from data: it would erase what was printed before it.
    expect(terminalSafe("#7 approved by carol\r\u001b[2K#999 approved by ceo")).toBe(
      "#7 approved by carol\\x0d\\x1b[2K#999 approved by ceo",
    );
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
