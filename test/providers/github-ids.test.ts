import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IdPins } from "../../src/providers/github/ids.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-ids-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("github pinned ids", () => {
  it("pins a login the first time, accepts the same id later, and flags another id", async () => {
    const pins = new IdPins(join(dir, "ids.json"));
    await pins.load();
    expect(pins.verify("Alice", 42)).toEqual({ kind: "new" });
    expect(pins.verify("alice", 42)).toEqual({ kind: "pinned" });
    expect(pins.verify("ALICE", 99)).toEqual({ kind: "mismatch", pinnedId: 42, actualId: 99 });
    expect(pins.loginOf(42)).toBe("alice");
  });

  it("saves pins sorted and loads them in a later run", async () => {
    const path = join(dir, "nested", "ids.json");
    const first = new IdPins(path);
    await first.load();
    first.verify("zed", 2);
    first.verify("amy", 1);
    await first.save();
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ version: 1, accounts: { amy: 1, zed: 2 } });
    const second = new IdPins(path);
    await second.load();
    expect(second.verify("zed", 3)).toEqual({ kind: "mismatch", pinnedId: 2, actualId: 3 });
  });

  it("pins team slugs to team ids: one slug per id, kept across runs, forgotten when deleted", async () => {
    const path = join(dir, "ids.json");
    const first = new IdPins(path);
    await first.load();
    first.verify("amy", 1);
    first.pinTeam("Platform", 7);
    first.pinTeam("ops", 8);
    first.pinTeam("platform-renamed", 7); // renamed by gatehouse: the old slug goes
    await first.save();
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      version: 1,
      accounts: { amy: 1 },
      teams: { ops: 8, "platform-renamed": 7 },
    });
    const second = new IdPins(path);
    await second.load();
    expect(second.teamSlugOf(7)).toBe("platform-renamed");
    expect(second.pinnedTeamId("OPS")).toBe(8);
    second.unpinTeam("ops");
    expect(second.teamSlugOf(8)).toBeUndefined();
  });

  it.each([
    ["not json", /is not valid JSON/],
    ['{"version":1,"accounts":{},"teams":[]}', /teams must map team slugs to numeric team ids/],
    ['{"version":1,"accounts":{},"teams":{"ops":-1}}', /teams\.ops must be a positive whole number/],
    ['{"version":1,"accounts":[]}', /must hold \{ "version": 1, "accounts"/],
    ['{"version":1,"accounts":{"amy":"1"}}', /accounts\.amy must be a positive whole number/],
  ])("refuses a damaged ids file (%s) with a ConfigError", async (text, message) => {
    const path = join(dir, "ids.json");
    await writeFile(path, text);
    await expect(new IdPins(path).load()).rejects.toThrow(message);
  });
});
