import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { planChecksum, readSavedPlan } from "../../src/engine/saved-plan.ts";
import { contentDigest } from "../../src/providers/local/live-directory.ts";
import { recordLogin } from "../../src/providers/local/simulate.ts";
import { useTempRepos, DIRECTORY_FILE, EXAMPLE_NOW, journalTypes, type TempRepo } from "./repo.ts";

const repo = useTempRepos();

/** An applied example organization with one committed edit pending, so that a plan has changes. */
async function appliedWithEdit(): Promise<TempRepo> {
  const r = await repo();
  expect((await r.run(["apply", "--yes"])).code).toBe(0);
  await r.edit("access/groups/finance.yaml", "      - raj\n", "      - raj\n      - chloe\n");
  await r.commit("chloe joins ERP readers");
  return r;
}

describe("saved plans", { tags: ["slow"] }, () => {
  it("applies a plan saved with plan --out, without asking", async () => {
    const r = await repo();
    const saved = await r.run(["plan", "--out", "plan.json"]);
    expect(saved.stdout).toMatch(
      /Saved the plan to plan\.json \(checksum [0-9a-f]{64}\); apply it with: gatehouse apply plan\.json --checksum [0-9a-f]{64}/,
    );
    expect(saved.code).toBe(0);
    const applied = await r.run(["apply", "plan.json"], { isInteractive: false });
    expect(applied.stdout).toContain("Apply complete:");
    expect(applied.code).toBe(0);
    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("refuses a saved plan when the access files changed since (exit 4), and writes nothing", async () => {
    const r = await repo();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    await r.edit("access/groups/finance.yaml", "      - raj\n", "      - raj\n      - chloe\n");
    const out = await r.run(["apply", "plan.json"]);
    expect(out.stderr).toContain(
      "plan is stale: the access files changed since the plan was made; re-run plan",
    );
    expect(out.code).toBe(4);
    expect(await r.readMaybe(DIRECTORY_FILE)).toBeUndefined();
    expect(await journalTypes(r)).toEqual([]);
  });

  it("refuses a saved plan when the live directory changed out of band (exit 4)", async () => {
    const r = await appliedWithEdit();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    await recordLogin(path.join(r.cwd, DIRECTORY_FILE), "alice", EXAMPLE_NOW);
    const before = await r.read(DIRECTORY_FILE);
    const journal = await journalTypes(r);
    const out = await r.run(["apply", "plan.json"]);
    expect(out.stderr).toContain(
      "plan is stale: the live state of directory changed since the plan was made",
    );
    expect(out.code).toBe(4);
    expect(await r.read(DIRECTORY_FILE)).toBe(before);
    expect(await journalTypes(r)).toEqual(journal);
  });

  it("records the content digest of the directory file it read as the live digest", async () => {
    const r = await appliedWithEdit();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    const saved = await readSavedPlan(path.join(r.cwd, "plan.json"));
    const bytes = await readFile(path.join(r.cwd, DIRECTORY_FILE));
    expect(saved.providers.map((p) => p.liveDigest)).toEqual([contentDigest(bytes, false)]);
  });

  it("refuses a saved plan when a hand edit of the directory file changed it (exit 4)", async () => {
    const r = await appliedWithEdit();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    await r.edit(
      DIRECTORY_FILE,
      '"description": "Read-only access to the ERP',
      '"description": "Edited: access to the ERP',
    );
    const out = await r.run(["apply", "plan.json"]);
    expect(out.code).toBe(4);
  });

  it("applies a saved plan whose --checksum matches and refuses one that does not", async () => {
    const r = await appliedWithEdit();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    const checksum = planChecksum(await readSavedPlan(path.join(r.cwd, "plan.json")));
    const wrong = checksum.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const refused = await r.run(["apply", "plan.json", "--checksum", wrong]);
    expect(refused.stderr).toContain(`not the expected ${wrong}`);
    expect(refused.code).toBe(4);
    expect((await r.run(["plan", "--detailed-exitcode"])).code).toBe(2);

    const applied = await r.run(["apply", "plan.json", "--checksum", checksum]);
    expect(applied.stdout).toContain("1 applied, 0 failed");
    expect(applied.code).toBe(0);
  });

  it("refuses a saved plan someone edited by hand", async () => {
    const r = await appliedWithEdit();
    expect((await r.run(["plan", "--out", "plan.json"])).code).toBe(0);
    await r.edit("plan.json", '"action": "add"', '"action": "obliterate"');
    const out = await r.run(["apply", "plan.json"]);
    expect(out.stderr).toContain("the saved plan is damaged");
    expect(out.code).toBe(1);
  });
});
