/**
 * `journal access` bounds a member held outside gatehouse (added by hand, found and removed by a later
 * run) by the last run whose plan would have removed it had it been there. A run that did not carry out
 * its whole plan proves nothing by what it did not remove: one the guard rails refused (it made only grant
 * endings and the leavers' offboarding), a fire drill's (the canary's changes only), one killed mid-apply.
 * Found in an auditor's trial: a member added by hand to a protected group, whose removal the guard rails
 * refused at 09:00 and a forced run made at 11:00, was said "not held at 09:00" and left out of every
 * answer before it, though the refused run had found them there.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { canarySite } from "../helpers/drill-site.ts";
import { forgetJournalReads, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cliAt = (tree: AccessTree, when: string, argv: readonly string[]) =>
  runCliIn(tree.cwd, argv, new Date(when));

async function apply(tree: AccessTree, when: string, extra: readonly string[] = []): Promise<string> {
  const run = await cliAt(tree, when, ["apply", "--yes", ...extra]);
  expect(run.code, run.out).toBe(0);
  return run.out;
}

interface OutsideAnswer {
  readonly member: string;
  readonly notBefore?: { readonly at: string; readonly evidence: string };
}

/** The members `journal access GROUP --at AT` names as held outside gatehouse. */
async function outsideAt(tree: AccessTree, group: string, at: string): Promise<OutsideAnswer[]> {
  const answer = await cliAt(tree, "2026-06-01T00:00:00Z", [
    "journal",
    "access",
    group,
    "--at",
    at,
    "--format",
    "json",
  ]);
  expect(answer.code, answer.out).toBe(0);
  const data = JSON.parse(answer.stdout) as { groups: { outside: OutsideAnswer[] }[] };
  return data.groups.flatMap((g) => g.outside);
}

/** Adds `account` to `group` in the local directory `file` by hand, as someone with access to it would. */
async function addByHand(tree: AccessTree, file: string, group: string, account: string): Promise<void> {
  const abs = path.join(tree.cwd, ".gatehouse", file);
  const data = JSON.parse(await readFile(abs, "utf8")) as { groups: { name: string; members: string[] }[] };
  for (const g of data.groups) if (g.name === group) g.members.push(account);
  await writeFile(abs, JSON.stringify(data));
}

const PEOPLE = `users:
  - { id: ann, name: Ann }
  - { id: bob, name: Bob }
  - { id: cy, name: Cy }
  - { id: dee, name: Dee, endDate: 2026-03-01 }
`;

/**
 * admins (protected) holds ann; ops holds ann and dee, who leaves at the end of 2026-03-01; one local
 * system, authoritative. Applied on 2026-03-01 at 09:00, while dee is still here.
 */
async function site(
  policy = "  guardrails: { maxRemovals: 10, protectedGroups: [admins] }\n",
): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": `providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\npolicy:\n${policy}`,
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": `groups:
  - name: admins
    owners: [ann]
    members: [ann]
  - name: ops
    owners: [ann]
    members: [ann, dee]
`,
  });
  trees.push(tree);
  await apply(tree, "2026-03-01T09:00:00Z");
  return tree;
}

describe("journal access: a run that did not carry out its whole plan bounds nothing", () => {
  it("names a member added by hand to a protected group before the run the guard rails refused, which found them", async () => {
    const tree = await site();
    await addByHand(tree, "app.json", "admins", "cy");
    // The scheduled run: dee's offboarding passes the guard rails on its own and is made; cy's removal
    // from the protected group is refused, and the run records the refusal.
    const refused = await cliAt(tree, "2026-03-02T09:00:00Z", ["apply", "--yes"]);
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/remove cy from admins .*drift/);
    expect(refused.out).toContain("applied app: disable user dee");
    expect(await apply(tree, "2026-03-02T11:00:00Z", ["--force"])).toMatch(
      /applied app: remove cy from admins/,
    );

    // cy held admins from some time before the refused run (which saw her) until 11:00.
    for (const at of ["2026-03-01T20:00:00Z", "2026-03-02T10:00:00Z"]) {
      const outside = await outsideAt(tree, "admins", at);
      expect(outside.map((o) => o.member)).toEqual(["cy"]);
      expect(outside[0]?.notBefore?.at).not.toBe("2026-03-02T09:00:00.000Z");
    }
    const text = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "admins",
      "--at",
      "2026-03-02T10:00:00Z",
    ]);
    expect(text.stdout).toContain("? cy  uncertain: held outside gatehouse, since unknown");
    expect(text.stdout).not.toContain("not held at 2026-03-02T09:00");
  });

  it("does not take a fire drill's runs, which hold only the canary's changes, for runs that would have removed a member added by hand", async () => {
    const tree = await canarySite();
    trees.push(tree);
    await apply(tree, "2026-03-01T09:00:00Z");
    await addByHand(tree, "app.json", "ops", "stranger");
    // stranger is no account the files have: add the account, as a hand edit would.
    const abs = path.join(tree.cwd, ".gatehouse/app.json");
    const data = JSON.parse(await readFile(abs, "utf8")) as { users: Record<string, unknown>[] };
    data.users.push({ account: "stranger", name: "Stranger", enabled: true });
    await writeFile(abs, JSON.stringify(data));
    const drill = await cliAt(tree, "2026-03-02T05:00:00Z", ["drill", "--offboard-recheck", "0"]);
    expect(drill.code, drill.out).toBe(0);
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toMatch(/remove stranger from ops/);

    const outside = await outsideAt(tree, "ops", "2026-03-01T20:00:00Z");
    expect(outside.map((o) => o.member)).toEqual(["stranger"]);
    expect(outside[0]?.notBefore?.at).toBe("2026-03-01T09:00:00.000Z");
  });

  it("does not take a run killed mid-apply for one that would have removed a member added by hand", async () => {
    const tree = await site();
    await apply(tree, "2026-03-02T08:00:00Z"); // dee's offboarding
    await addByHand(tree, "app.json", "ops", "cy");
    // A run starts applying and is killed before any write: only its apply-start is in the journal, and
    // cy is still in ops.
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const before = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const killed = await cliAt(tree, "2026-03-02T09:00:00Z", ["apply", "--yes"]);
    expect(killed.out).toMatch(/remove cy from ops .*drift/);
    const after = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const start = after.slice(before.length).find((l) => l.includes('"type":"apply-start"'));
    expect(start).toBeDefined();
    await writeFile(journal, [...before, start].join("\n") + "\n");
    await forgetJournalReads(tree);
    await addByHand(tree, "app.json", "ops", "cy");
    const next = await apply(tree, "2026-03-02T11:00:00Z");
    expect(next).toMatch(/remove cy from ops .*drift/);

    // Held from some time after the run of 08:00 until 11:00: at 08:30 too, before the killed run.
    const outside = await outsideAt(tree, "ops", "2026-03-02T08:30:00Z");
    expect(outside.map((o) => o.member)).toEqual(["cy"]);
    expect(outside[0]?.notBefore?.at).toBe("2026-03-02T08:00:00.000Z");
  });

  it("bounds a leaver put back by hand by a refused run only where it offboarded its leavers", async () => {
    const tree = await site(
      "  guardrails: { maxRemovals: 10, protectedGroups: [admins], protectedUsers: [dee] }\n",
    );
    // dee (protected) is offboarded by a forced run on 03-02.
    expect(await apply(tree, "2026-03-02T08:00:00Z", ["--force"])).toContain("applied app: disable user dee");
    // bob gets a grant ending 03-03 08:00; dee is put back in ops by hand.
    const teams = path.join(tree.dir, "groups/teams.yaml");
    const groups = await readFile(teams, "utf8");
    await writeFile(
      teams,
      groups.replace(
        "members: [ann, dee]",
        "members: [ann, dee, { user: bob, until: 2026-03-03T08:00:00Z }]",
      ),
    );
    await apply(tree, "2026-03-02T12:00:00Z");
    await addByHand(tree, "app.json", "ops", "dee");
    // 03-03 09:00: bob's grant ends (made), dee's removal is refused (a protected user): the run offboarded
    // no leaver. The forced run at 11:00 removes dee.
    const refused = await cliAt(tree, "2026-03-03T09:00:00Z", ["apply", "--yes"]);
    expect(refused.code).toBe(3);
    expect(refused.out).toContain("applied app: remove bob from ops");
    expect(await apply(tree, "2026-03-03T11:00:00Z", ["--force"])).toContain(
      "applied app: remove dee from ops",
    );

    const outside = await outsideAt(tree, "ops", "2026-03-03T10:00:00Z");
    expect(outside.map((o) => o.member)).toEqual(["dee"]);
    // Not the refused run of 03-03 09:00, which found her there: the run of 03-02 12:00, which would have
    // taken a leaver's membership away.
    expect(outside[0]?.notBefore).toMatchObject({ at: "2026-03-02T12:00:00.000Z", evidence: "leaver-run" });
  });

  it("still bounds a leaver put back by hand by a refused run that offboarded its leavers", async () => {
    const tree = await site();
    await apply(tree, "2026-03-02T08:00:00Z"); // dee's offboarding
    // eve joins and leaves; cy is added to admins by hand: the run at 03-05 09:00 offboards eve and is
    // refused cy's removal from the protected group.
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(people, PEOPLE + "  - { id: eve, name: Eve, endDate: 2026-03-04 }\n");
    const teams = path.join(tree.dir, "groups/teams.yaml");
    await writeFile(teams, (await readFile(teams, "utf8")).replace("[ann, dee]", "[ann, dee, eve]"));
    await apply(tree, "2026-03-03T09:00:00Z");
    await addByHand(tree, "app.json", "admins", "cy");
    const refused = await cliAt(tree, "2026-03-05T09:00:00Z", ["apply", "--yes"]);
    expect(refused.code).toBe(3);
    expect(refused.out).toContain("applied app: disable user eve");
    // dee is put back in ops by hand after that run; the forced run of 11:00 removes her and cy.
    await addByHand(tree, "app.json", "ops", "dee");
    expect(await apply(tree, "2026-03-05T11:00:00Z", ["--force"])).toContain(
      "applied app: remove dee from ops",
    );

    const outside = await outsideAt(tree, "ops", "2026-03-05T10:00:00Z");
    expect(outside.map((o) => o.member)).toEqual(["dee"]);
    expect(outside[0]?.notBefore).toMatchObject({ at: "2026-03-05T09:00:00.000Z", evidence: "leaver-run" });
  });
});
