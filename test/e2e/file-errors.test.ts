import { describe, expect, it } from "vitest";
import { useTempRepos } from "./repo.ts";

const repo = useTempRepos();

describe("file-system mistakes are user errors, not bug reports", { tags: ["slow"] }, () => {
  it.each([
    {
      argv: ["plan", "--out", "no-such-folder/plan.json"],
      says: "no-such-folder/plan.json: no such file or folder",
    },
    { argv: ["plan", "--journal", "access"], says: "cannot read the journal" },
  ])("$argv.0 $argv.1 $argv.2 exits 1 with a message naming the path", async ({ argv, says }) => {
    const r = await repo();
    const result = await r.run(argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(says);
    expect(result.stderr).not.toContain("internal error");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
