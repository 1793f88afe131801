/**
 * `gatehouse drill` with two systems, one of which cannot be read any more once the kill chain is done
 * (a server that went down between the drill's halves): the restore gives the canary back where it can,
 * as apply does, names the system it could not, and says the drill did not restore the canary.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { NOW, type AccessTree, journalEntries } from "../helpers/access-tree.ts";
import { canarySite } from "../helpers/drill-site.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

interface StoredDirectory {
  users: { account: string; enabled: boolean }[];
  groups: { name: string; members: string[] }[];
}

describe("gatehouse drill when a system cannot be read for the restore", () => {
  it("restores the canary in the systems it can read, and fails naming the one it cannot", async () => {
    const tree = await canarySite();
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const wiki = path.join(tree.cwd, ".gatehouse/wiki.json");

    // The clock is read all through the drill: once the kill chain's check is journalled, the wiki
    // directory file stops being one (a system that went down between the drill's halves).
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    let tick = 0;
    let offboarded: string | undefined; // the wiki file as the kill chain left it
    const now = (): Date => {
      if (
        offboarded === undefined &&
        existsSync(journal) &&
        readFileSync(journal, "utf8").includes('"offboard-verified"')
      ) {
        offboarded = readFileSync(wiki, "utf8");
        writeFileSync(wiki, "{ not json");
      }
      return new Date(NOW.getTime() + 1000 * tick++);
    };
    const code = await main(["drill"], { ...io, now });
    const stdout = out.join("");
    expect(offboarded).toBeDefined();
    expect(code).toBe(1);
    expect(err.join("")).not.toMatch(/\n\s+at /);
    expect(stdout).toMatch(/^Drill of canary canary, started [^:]+:\d\d:\d\d\.000Z: clean\.\n/);
    expect(stdout).toMatch(
      /\nRestore FAILED: wiki could not be read, so the canary is still offboarded there \(wiki: read: .*wiki\.json:1:3 is not a valid directory file: .*\); run `gatehouse apply`\.\n/,
    );

    // The system that could be read has the canary back; the other keeps it offboarded until an apply.
    const app = JSON.parse(
      await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8"),
    ) as StoredDirectory;
    expect(app.users.find((u) => u.account === "canary")?.enabled).toBe(true);
    expect(app.groups.find((g) => g.name === "ops")?.members).toEqual(["ann", "canary"]);
    expect(app.groups.find((g) => g.name === "vpn")?.members).toEqual(["canary"]);

    const entry = (await journalEntries(tree)).at(-1);
    expect(entry).toMatchObject({ type: "drill", outcome: "clean", restore: { outcome: "failed" } });
    const restore = entry?.["restore"] as Record<string, unknown>;
    expect(restore["runSeq"]).toEqual(expect.any(Number));
    expect(String(restore["error"])).toMatch(
      /^wiki could not be read, so the canary is still offboarded there \(wiki: read: /,
    );

    // Once the wiki reads again, an apply gives the canary back there too, and nothing is left.
    writeFileSync(wiki, offboarded ?? "");
    const offInWiki = JSON.parse(offboarded ?? "") as StoredDirectory;
    expect(offInWiki.users.find((u) => u.account === "canary")?.enabled).toBe(false);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});
