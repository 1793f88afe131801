/**
 * `gatehouse drill` where the kill chain's writes fail in one system (another process holds the local
 * directory's lock): the summary says what did not happen there, in words, not "after -".
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { acquireFileLock, releaseFileLock } from "../../src/io/file-lock.ts";
import { NOW, type AccessTree } from "../helpers/access-tree.ts";
import { canarySite } from "../helpers/drill-site.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

describe("gatehouse drill when the kill chain fails in one system", () => {
  it("says the canary was not disabled there and how many of its memberships were removed", async () => {
    const tree = await canarySite(", lockTimeoutMs: 200");
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);

    const lock = await acquireFileLock(path.join(tree.cwd, ".gatehouse/wiki.json"));
    const { io, out } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    let tick = 0;
    const code = await (async () => {
      try {
        return await main(["drill", "--offboard-recheck", "0"], {
          ...io,
          now: () => new Date(NOW.getTime() + 1000 * tick++),
        });
      } finally {
        await releaseFileLock(lock);
      }
    })();
    const stdout = out.join("");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Drill of canary canary, started [^:]+:\d\d:\d\d\.000Z: FAILED\.\n/);
    expect(stdout).toMatch(
      /\n {2}app: canary: disabled after \d+ ms, 2 membership\(s\) removed after [\d.]+ m?s, verified clean after [\d.]+ m?s\n/,
    );
    expect(stdout).toContain(
      "\n  wiki: canary: NOT disabled, 0 of 2 membership(s) removed, NOT clean, 3 change(s) failed or skipped\n",
    );
    expect(stdout).not.toContain("after -");
    // The lock is gone: an apply gives the canary back wherever the drill could not.
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});
