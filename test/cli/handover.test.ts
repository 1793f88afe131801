/**
 * `gatehouse handover`: groups owned by people who have left go to the first person up their manager
 * chain who is here, as an edit of the owners lists only, for a pull request.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configYaml, NOW, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

/**
 * cat manages bob, who manages ann; ann and bob have left (bob by his endDate), dan is on leave and
 * manages eve, who has left; fay left with no manager; gus starts next year and manages hal, who left.
 */
const PEOPLE = `users:
  - { id: cat, name: Cat }
  - { id: bob, name: Bob, manager: cat, endDate: 2026-05-31 }
  - { id: ann, name: Ann, manager: bob, status: terminated }
  - { id: dan, name: Dan, status: leave }
  - { id: eve, name: Eve, manager: dan, status: terminated }
  - { id: fay, name: Fay, status: terminated }
  - { id: gus, name: Gus, startDate: 2027-01-04 }
  - { id: hal, name: Hal, manager: gus, status: terminated }
  - { id: ivy, name: Ivy }
`;

const GROUPS = `groups:
  # ann's team: cat takes over (bob, her manager, has left too)
  - name: ops
    owners: [ann, ivy] # the on-call leads
    members: [ivy]

  - name: web
    description: bob's, and cat's already
    owners:
      - bob # interim
      - cat
    members: []

  - name: books
    owners:
      - "eve"
      - fay
      - ivy
    members: []

  - name: lab
    owners: [fay, hal]
    members: []
`;

async function tree(): Promise<AccessTree> {
  const made = await writeAccessTree({
    "gatehouse.yaml": configYaml(),
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(made);
  return made;
}

describe("gatehouse handover", () => {
  it("puts the first manager who is here in a leaver's place, takes leavers off where someone stays, and changes nothing else", async () => {
    const t = await tree();
    const file = path.join(t.dir, "groups/teams.yaml");
    const check = await runCliIn(t.cwd, ["handover", "--check"], NOW);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("Would hand over 4 ownership(s) of people who have left:");
    expect(await readFile(file, "utf8")).toBe(GROUPS);

    const run = await runCliIn(t.cwd, ["handover"], NOW);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      "Handed over 4 ownership(s) of people who have left (commit it on a branch and open a pull request):",
      "  access/groups/teams.yaml:4:14 ops: ann (left) → cat, the first of ann's managers who is here",
      "  access/groups/teams.yaml:10:9 web: bob (left) taken off the owners (cat, the first of their managers who is here, owns it already)",
      "  access/groups/teams.yaml:16:9 books: eve (left) taken off the owners (no manager of theirs is here; the other owners stay)",
      "  access/groups/teams.yaml:17:9 books: fay (left) taken off the owners (no manager of theirs is here; the other owners stay)",
      "Kept 2 owner(s) who have left, with nobody to take over:",
      "  access/groups/teams.yaml:22:14 lab: fay (left) kept: no manager of theirs is here and no other owner is; name an owner by hand",
      "  access/groups/teams.yaml:22:19 lab: hal (left) kept: no manager of theirs is here and no other owner is; name an owner by hand",
      "",
    ]);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("owners: [ann, ivy]", "owners: [cat, ivy]")
        .replace("      - bob # interim\n", "")
        .replace('      - "eve"\n      - fay\n', ""),
    );
    // Done: nothing left to hand over, and the kept ones are said again.
    const again = await runCliIn(t.cwd, ["handover", "--check", "--format", "json"], NOW);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      formatVersion: 1,
      isWritten: false,
      handovers: [
        {
          group: "lab",
          file: "access/groups/teams.yaml",
          line: 19,
          column: 14,
          leaver: "fay",
          action: "keep",
        },
        {
          group: "lab",
          file: "access/groups/teams.yaml",
          line: 19,
          column: 19,
          leaver: "hal",
          action: "keep",
        },
      ],
    });
  });

  it("keeps a leaver with no successor where the only other owners are away (on leave, not started yet)", async () => {
    const t = await tree();
    const file = path.join(t.dir, "groups/teams.yaml");
    // fay left with no manager; dan is on leave and gus has not started: nobody here stays on the list.
    const away = GROUPS.replace("owners: [fay, hal]", "owners: [fay, dan, gus]");
    await writeFile(file, away);
    const run = await runCliIn(t.cwd, ["handover", "--format", "json"], NOW);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { handovers: { group: string; leaver: string; action: string }[] };
    expect(body.handovers.filter((h) => h.group === "lab")).toEqual([
      expect.objectContaining({ leaver: "fay", action: "keep" }),
    ]);
    expect(await readFile(file, "utf8")).toContain("owners: [fay, dan, gus]");
  });

  it("writes a successor in place in a flow list, keeping the comments and quotes inside it", async () => {
    const t = await tree();
    const file = path.join(t.dir, "groups/teams.yaml");
    const flow = GROUPS.replace(
      "owners: [ann, ivy] # the on-call leads",
      'owners: [\n      "ann", # since the reorg\n      ivy,\n    ] # the on-call leads',
    );
    await writeFile(file, flow);
    const run = await runCliIn(t.cwd, ["handover"], NOW);
    expect(run.code).toBe(0);
    expect(await readFile(file, "utf8")).toContain(
      "owners: [\n      cat, # since the reorg\n      ivy,\n    ] # the on-call leads",
    );
  });

  it("writes nothing where the files have errors, or a group is written in a way it does not edit", async () => {
    const t = await tree();
    const file = path.join(t.dir, "groups/teams.yaml");
    // ops defines owners twice: the loader refuses the tree before any edit.
    const twice = GROUPS.replace(
      "owners: [ann, ivy] # the on-call leads",
      "owners: [ann, ivy]\n    owners: [ivy]",
    );
    await writeFile(file, twice);
    const refused = await runCliIn(t.cwd, ["handover"], NOW);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/access\/groups\/teams\.yaml:5:\d+/);
    expect(await readFile(file, "utf8")).toBe(twice);
    // web as a flow mapping: not edited, and neither is ops in the same file (all or nothing).
    const flow = GROUPS.replace(
      "  - name: web\n    description: bob's, and cat's already\n    owners:\n      - bob # interim\n      - cat\n    members: []\n",
      "  - { name: web, owners: [bob, cat], members: [] }\n",
    );
    await writeFile(file, flow);
    const notEdited = await runCliIn(t.cwd, ["handover"], NOW);
    expect(notEdited.code).toBe(1);
    expect(notEdited.stderr).toContain(
      'access/groups/teams.yaml:7:5: not edited (group "web" is written as a flow mapping); hand these groups over by hand; nothing was written:\n' +
        "  access/groups/teams.yaml:4:14 ops: ann (left) → cat, the first of ann's managers who is here\n",
    );
    expect(await readFile(file, "utf8")).toBe(flow);
  });
});
