/**
 * A run that dies mid-apply (killed, crashed, out of memory) leaves an apply-start without an apply-end.
 * `journal verify` points at it, and the next apply records its end as interrupted, with what the run's
 * entries say, before its own run: the journal then accounts for every run it holds.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/audit/journal-entry.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n";
const FILES = {
  "gatehouse.yaml": CONFIG,
  "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
  "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
};

async function entries(journal: string): Promise<JournalEntry[]> {
  return (await readFile(journal, "utf8"))
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as JournalEntry);
}

/**
 * The journal as a run killed after `lines` left it. A finished apply moves this machine's anchor (the
 * fold cache) past its own entries; a killed one never got that far, so the anchor goes too (where the
 * plan before the run left it is not what these tests are about).
 */
async function killedAt(journal: string, lines: readonly string[]): Promise<void> {
  await writeFile(journal, lines.join("\n") + "\n");
  const cache = path.join(path.dirname(journal), "cache");
  for (const name of await readdir(cache))
    if (/^journal-[0-9a-f]{16}\.json$/.test(name)) await rm(path.join(cache, name));
}

describe("an apply that died before its end", () => {
  it("is reported by verify and closed as interrupted by the next apply", async () => {
    const tree = await writeAccessTree(FILES);
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    // The run as it stood when it was killed: started, one write announced, nothing confirmed after it.
    const cut = lines.findIndex((l) => (JSON.parse(l) as JournalEntry).type === "intent");
    expect(cut).toBeGreaterThan(0);
    await killedAt(journal, lines.slice(0, cut + 1));
    const announced = (JSON.parse(lines[cut] ?? "{}") as { changeIds: string[] }).changeIds;
    expect(announced.length).toBeGreaterThan(0);

    const verify = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(
      /journal\.jsonl:1 warning: the run started at .* \(seq 1\) has no apply-end/,
    );
    expect(verify.stdout).toContain(`${String(announced.length)} announced with no outcome`);
    expect(verify.stdout).toContain(announced[0]);

    const next = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(next.code).toBe(0);
    expect(next.stderr).toContain("(journal seq 1) never finished");
    const after = await entries(journal);
    const closing = after[cut + 1];
    expect(closing).toMatchObject({
      type: "apply-end",
      runSeq: 1,
      interrupted: true,
      applied: 0,
      failed: 0,
      unconfirmed: announced,
    });
    // Then the new run, which starts after the closing entry.
    expect(after[cut + 2]).toMatchObject({ type: "apply-start", seq: cut + 3 });

    // A later apply walks on from where the last check stopped (which had the run still open): the run
    // is closed once, not again.
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
    );
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).stderr).not.toContain("never finished");
    const ends = (await entries(journal)).filter((e) => e.type === "apply-end" && e.runSeq === 1);
    expect(ends).toHaveLength(1);

    const clean = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).not.toContain("warning");
    expect(clean.stdout).toContain("hash chain intact");
  });

  it("accounts for a removal or a disable in flight too: announced before the write, unconfirmed after", async () => {
    const tree = await writeAccessTree(FILES);
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    // bob leaves: his membership is removed and his account disabled.
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob, status: terminated }\n",
    );
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
    );
    expect((await runCliIn(tree.cwd, ["apply", "--yes", "--allow-removals", "2"])).code).toBe(0);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const all = await entries(journal);
    const secondRun = all.findLastIndex((e) => e.type === "apply-start");
    const narrowing = all.findIndex(
      (e, i) => i > secondRun && e.type === "intent" && (e.narrowingIds?.length ?? 0) > 0,
    );
    expect(narrowing).toBeGreaterThan(secondRun);
    const announced = all[narrowing];
    if (announced?.type !== "intent") throw new Error("no intent");
    expect(announced.changeIds).toEqual([]);
    // The run as it stood when it was killed right after announcing the narrowing write.
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    await killedAt(journal, lines.slice(0, narrowing + 1));

    const verify = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(verify.stdout).toContain("announced with no outcome");
    for (const id of announced.narrowingIds ?? []) expect(verify.stdout).toContain(id);
    const next = await runCliIn(tree.cwd, ["apply", "--yes", "--allow-removals", "2"]);
    expect(next.code).toBe(0);
    const closing = (await entries(journal)).find((e) => e.type === "apply-end" && e.interrupted === true);
    expect(closing).toMatchObject({ unconfirmed: announced.narrowingIds });
  });
});
