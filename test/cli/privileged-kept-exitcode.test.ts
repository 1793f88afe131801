/**
 * Additive mode keeps members nobody granted (gatehouse did not add them). In a `privileged` group that is
 * admin rights outside the files: `plan --detailed-exitcode` exits 2 for it, as for access gatehouse does
 * not manage, while an ordinary group's kept members stay a note that does not count. Through the real
 * CLI, a temp access tree and a local directory edited by hand as someone in the system would.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const NOW = new Date("2026-06-01T12:00:00Z");

interface Directory {
  groups: { name: string; members: string[] }[];
}

async function addByHand(tree: AccessTree, group: string, account: string): Promise<void> {
  const file = path.join(tree.cwd, ".gatehouse/directory.json");
  const directory = JSON.parse(await readFile(file, "utf8")) as Directory;
  directory.groups.find((g) => g.name === group)?.members.push(account);
  await writeFile(file, JSON.stringify(directory, null, 2));
}

describe("plan --detailed-exitcode in additive mode", () => {
  it("exits 2 for a member of a privileged group nobody granted, 0 for one of an ordinary group", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  directory: { type: local, path: .gatehouse/directory.json, mode: additive }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bo, name: Bo }\n  - { id: cy, name: Cy }\n",
      "groups/teams.yaml":
        "groups:\n" +
        "  - { name: app-prod-admin, owners: [ann], sensitivity: privileged, members: [ann] }\n" +
        "  - { name: team-a, owners: [ann], members: [ann, bo] }\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);

    await addByHand(tree, "team-a", "cy");
    const ordinary = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode", "--format", "json"], NOW);
    const notes = (JSON.parse(ordinary.stdout) as { notes: { kind: string; privilegedGroup?: string }[] })
      .notes;
    expect(notes.filter((n) => n.kind === "kept").map((n) => n.privilegedGroup)).toEqual([undefined]);
    expect(ordinary.code).toBe(0);

    await addByHand(tree, "app-prod-admin", "bo");
    const privileged = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"], NOW);
    expect(privileged.stdout).toContain(
      "privileged group app-prod-admin holds 1 member(s) the access files do not grant, kept because gatehouse did not apply them (mode: additive): bo",
    );
    expect(privileged.code).toBe(2);
    const json = await runCliIn(tree.cwd, ["plan", "--format", "json"], NOW);
    const kept = (
      JSON.parse(json.stdout) as { notes: { kind: string; privilegedGroup?: string }[] }
    ).notes.filter((n) => n.kind === "kept");
    expect(kept.map((n) => n.privilegedGroup)).toEqual(["app-prod-admin", undefined]);
  });
});
