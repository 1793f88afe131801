/**
 * `gatehouse review open|close`: a review block written into each group (its direct members and grants
 * pending, nothing else in the file touched), the owners' certifying edit, and the close that revokes
 * what is still pending after the due day, all through the real CLI on real files.
 */
import { chmod, readFile, symlink, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { brief, configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const OPEN_AT = new Date("2026-06-01T12:00:00Z");
const DUE_DAY = new Date("2026-06-30T23:59:00Z");
const AFTER_DUE = new Date("2026-07-01T00:00:00Z");

const USERS = `users:
  - { id: carol, name: Carol }
  - { id: alice, name: Alice }
  - { id: bob, name: Bob }
  - { id: dave, name: Dave, department: ENG }
  - { id: erin, name: Erin }
`;
const ROLES = `roles:
  - name: platform-engineer
    when: { department: ENG }
    groups: [team-platform-write]
`;
const GROUPS = `# Platform team groups
groups:
  - name: team-platform-write
    description: Write access to the platform repos
    owners: [carol]
    members:
      - alice # since 2025
      - user: bob
        until: 2026-09-01T00:00:00Z
        reason: INC-42

      - group: sre
  - name: sre
    owners: [carol] # the SRE lead
    members: [erin]
  - name: unmanaged
    owners: [carol]
`;
/** GROUPS after `review open --due 2026-06-30`: only the two blocks are new. */
const OPENED = GROUPS.replace(
  "    owners: [carol]\n    members:\n",
  "    owners: [carol]\n    review:\n      due: 2026-06-30\n      pending:\n        - alice\n        - bob\n    members:\n",
).replace(
  "    owners: [carol] # the SRE lead\n",
  "    owners: [carol] # the SRE lead\n    review:\n      due: 2026-06-30\n      pending:\n        - erin\n",
);

async function tree(groups = GROUPS, policy = "policy:\n  guardrails: { maxRemovals: 5 }\n") {
  const t = await writeAccessTree({
    "gatehouse.yaml": configYaml(policy),
    "users/people.yaml": USERS,
    "roles/roles.yaml": ROLES,
    "groups/platform.yaml": groups,
  });
  trees.push(t);
  return { t, file: path.join(t.dir, "groups/platform.yaml") };
}

describe("gatehouse review open", () => {
  it("writes a review block listing each group's member lines and grants, and nothing else", async () => {
    const { t, file } = await tree();
    const opened = await runCliIn(t.cwd, ["review", "open", "--due", "2026-06-30"], OPEN_AT);
    expect(opened.stderr).toBe("");
    expect(opened.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(OPENED);
    expect(opened.stdout).toContain(
      "access/groups/platform.yaml: review of team-platform-write due 2026-06-30, 2 to re-certify: alice, bob",
    );
    // Members through a role or a nested group are not pending: their role or group is reviewed.
    expect(opened.stdout).toContain(
      "  held through role platform-engineer: dave; review the role\n  held through group sre: erin; review the group",
    );
    expect(opened.stdout).toContain("review of sre due 2026-06-30, 1 to re-certify: erin");
    expect(opened.stdout).not.toContain("unmanaged");
    expect((await runCliIn(t.cwd, ["validate"], OPEN_AT)).code).toBe(0);

    const again = await runCliIn(
      t.cwd,
      ["review", "open", "--due", "2w", "--group", "sre", "--group", "unmanaged"],
      OPEN_AT,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Skipped sre: a review is open already (due 2026-06-30).");
    expect(again.stdout).toContain("Skipped unmanaged: its membership is not managed by the files");
    expect(again.stdout).toContain("No review opened.");
    expect(await readFile(file, "utf8")).toBe(OPENED);
  });

  it("leaves leavers out of pending: their offboarding takes the group away whatever the review says", async () => {
    const t = await writeAccessTree({
      "gatehouse.yaml": configYaml("policy:\n  guardrails: { maxRemovals: 5 }\n"),
      "users/people.yaml":
        USERS +
        "  - { id: fred, name: Fred, status: terminated }\n  - { id: gus, name: Gus, endDate: 2026-05-31 }\n",
      "roles/roles.yaml": ROLES,
      "groups/platform.yaml": GROUPS.replace("members: [erin]", "members: [fred, erin, gus]").replace(
        "  - name: unmanaged\n",
        "  - name: gone\n    owners: [carol]\n    members: [fred]\n  - name: unmanaged\n",
      ),
    });
    trees.push(t);
    const dry = await runCliIn(t.cwd, ["review", "open", "--due", "2w", "--dry-run"], OPEN_AT);
    expect(dry.stdout).toContain(
      "review of sre due 2026-06-15, 1 to re-certify: erin\n  not pending, leavers: fred, gus (their offboarding takes the group away)",
    );
    const run = await runCliIn(t.cwd, ["review", "open", "--due", "2w", "--format", "json"], OPEN_AT);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      opened: { group: string; pending: string[]; leavers: string[] }[];
      skipped: { group: string; reason: string }[];
    };
    expect(out.opened.find((o) => o.group === "sre")).toMatchObject({
      pending: ["erin"],
      leavers: ["fred", "gus"],
    });
    expect(out.skipped).toContainEqual(
      expect.objectContaining({
        group: "gone",
        reason: "it lists only leavers (fred), whose offboarding takes the group away",
      }),
    );
    const file = await readFile(path.join(t.dir, "groups/platform.yaml"), "utf8");
    expect(file).toContain("      pending:\n        - erin\n    members: [fred, erin, gus]");
  });

  it("skips a group that lists only nested groups, naming the groups to review instead", async () => {
    const groups = GROUPS + "  - name: platform-all\n    owners: [carol]\n    members:\n      - group: sre\n";
    const { t, file } = await tree(groups);
    const run = await runCliIn(t.cwd, ["review", "open", "--due", "2w", "--group", "platform-all"], OPEN_AT);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Skipped platform-all: it lists no people, only nested group(s) sre: review that group (its members hold platform-all through it).",
    );
    expect(await readFile(file, "utf8")).toBe(groups);
  });

  it("takes a duration, and refuses a past or impossible day and an unknown group, writing nothing", async () => {
    const { t, file } = await tree();
    const bad = [
      [["--due", "2026-05-31"], "--due 2026-05-31 has passed"],
      [
        ["--due", "2026-02-30"],
        '--due must be a day (2026-12-11) or a duration from today (14d, 2w), not "2026-02-30"',
      ],
      [["--due", "2w", "--group", "nope"], 'no group "nope" in the access files.\n'],
      // A typo gets the closest name, as request's does.
      [["--due", "2w", "--group", "sr"], 'no group "sr" in the access files. Did you mean "sre"?'],
    ] as const;
    for (const [args, message] of bad) {
      const run = await runCliIn(t.cwd, ["review", "open", ...args], OPEN_AT);
      expect(run.code).toBe(64);
      expect(run.stderr).toContain(message);
    }
    expect(await readFile(file, "utf8")).toBe(GROUPS);
    const run = await runCliIn(t.cwd, ["review", "open", "--due", "14d", "--group", "sre"], OPEN_AT);
    expect(run.code).toBe(0);
    expect(await readFile(file, "utf8")).toContain(
      "    review:\n      due: 2026-06-15\n      pending:\n        - erin\n",
    );
    expect(await readFile(file, "utf8")).not.toContain("- alice\n        - bob");
  });

  it("says the owners approve the opening when the review is due within the pull request gate's 7 days", async () => {
    const { t, file } = await tree();
    // 2026-06-07 ends 6.5 days after OPEN_AT: pr check asks the owners (reviewReasons).
    const soon = await runCliIn(t.cwd, ["review", "open", "--due", "6d", "--group", "sre"], OPEN_AT);
    expect(soon.code).toBe(0);
    expect(soon.stdout).toContain(
      "Commit them and open a pull request (due in less than 7 days, so each group's owners approve the opening).",
    );
    expect(soon.stdout).not.toContain("needs no approval");
    expect(await readFile(file, "utf8")).toContain("    review:\n      due: 2026-06-07\n");
    // 2026-06-08 ends 7.5 days after it: opening needs nobody.
    const later = await runCliIn(
      t.cwd,
      ["review", "open", "--due", "7d", "--group", "team-platform-write"],
      OPEN_AT,
    );
    expect(later.code).toBe(0);
    expect(later.stdout).toContain("Commit them and open a pull request (opening needs no approval).");
  });

  it("refuses a symbolic link and a read-only file, changing nothing", async () => {
    const { t, file } = await tree();
    await chmod(file, 0o444);
    const readOnly = await runCliIn(t.cwd, ["review", "open", "--due", "2w"], OPEN_AT);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain("access/groups/platform.yaml: not edited (it is read-only)");
    await chmod(file, 0o644);
    const real = path.join(t.dir, "platform.yaml.txt");
    await rename(file, real);
    await symlink(real, file);
    const linked = await runCliIn(t.cwd, ["review", "open", "--due", "2w"], OPEN_AT);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toContain("not edited (it is a symbolic link)");
    expect(await readFile(real, "utf8")).toBe(GROUPS);
  });
});

describe("gatehouse review close", () => {
  it("revokes only what is still pending after the due day, and closes a fully certified review at once", async () => {
    const { t, file } = await tree(OPENED);
    // The owners' certifying pull request: alice kept (deleted from pending), erin kept (the last name).
    const certified = OPENED.replace("        - alice\n        - bob\n", "        - bob\n").replace(
      "      pending:\n        - erin\n",
      "      pending:\n",
    );
    await writeFile(file, certified);
    expect((await runCliIn(t.cwd, ["validate"], OPEN_AT)).code).toBe(0);

    const early = await runCliIn(t.cwd, ["review", "close"], DUE_DAY);
    expect(early.code).toBe(0);
    expect(early.stdout).toBe(
      "Closed the review of sre (access/groups/platform.yaml, due 2026-06-30): everyone re-certified\n\n" +
        "Closed 1 review(s) in 1 file(s), revoking 0 membership(s).\n",
    );
    const sreClosed = certified.replace(
      "    review:\n      due: 2026-06-30\n      pending:\n    members: [erin]",
      "    members: [erin]",
    );
    expect(await readFile(file, "utf8")).toBe(sreClosed);
    expect((await runCliIn(t.cwd, ["review", "close", "--check"], DUE_DAY)).stdout).toBe(
      "No access review to close.\n",
    );

    const check = await runCliIn(t.cwd, ["review", "close", "--check"], AFTER_DUE);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      "Would close the review of team-platform-write (access/groups/platform.yaml, due 2026-06-30): would revoke bob (not re-certified)",
    );
    expect(check.stdout).toMatch(
      /\nWould close 1 review\(s\) in 1 file\(s\), revoking 1 membership\(s\); nothing was written\.\n$/,
    );
    expect(await readFile(file, "utf8")).toBe(sreClosed);

    const closed = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toBe(
      "Closed the review of team-platform-write (access/groups/platform.yaml, due 2026-06-30): revoked bob (not re-certified)\n\n" +
        "Closed 1 review(s) in 1 file(s), revoking 1 membership(s).\n",
    );
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("      - user: bob\n        until: 2026-09-01T00:00:00Z\n        reason: INC-42\n", ""),
    );
    expect((await runCliIn(t.cwd, ["validate"], AFTER_DUE)).code).toBe(0);
    expect((await runCliIn(t.cwd, ["review", "close", "--check"], AFTER_DUE)).code).toBe(0);
  });

  it("leaves alone a member the certifying pull request removed, warning about the stale pending name", async () => {
    const { t, file } = await tree(OPENED);
    // The owners revoked alice by deleting her line but left her pending.
    await writeFile(file, OPENED.replace("      - alice # since 2025\n", ""));
    const validate = await runCliIn(t.cwd, ["validate", "--format", "json"], OPEN_AT);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain("GH233");
    const tree2 = await t.validate(OPEN_AT);
    expect(tree2.diagnostics.filter((d) => d.code === "GH233").map(brief)).toEqual([
      "access/groups/platform.yaml:9:11 warning GH233",
    ]);
    const closed = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain(
      "Closed the review of team-platform-write (access/groups/platform.yaml, due 2026-06-30): revoked bob (not re-certified); no longer members: alice",
    );
    expect(closed.stdout).toContain(
      "Closed the review of sre (access/groups/platform.yaml, due 2026-06-30): revoked erin",
    );
    // sre lost its only member: an empty list (enforce empty), not no list (unmanaged).
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("      - alice # since 2025\n", "")
        .replace("      - user: bob\n        until: 2026-09-01T00:00:00Z\n        reason: INC-42\n", "")
        .replace("    members: [erin]", "    members: []"),
    );
  });

  it("refuses more revocations than the guard rail allows unless --allow-removals, writing nothing", async () => {
    const { t, file } = await tree(OPENED, "policy:\n  guardrails: { maxRemovals: 2 }\n");
    // --check says ahead that the run will be refused.
    const check = await runCliIn(t.cwd, ["review", "close", "--check"], AFTER_DUE);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      "warning: review close itself will refuse this: it revokes 3 membership(s), more than allowed (policy.guardrails.maxRemovals is 2); run it with --allow-removals 3 once they are checked",
    );
    const refused = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      "review close would revoke 3 membership(s), more than allowed (policy.guardrails.maxRemovals is 2)",
    );
    expect(await readFile(file, "utf8")).toBe(OPENED);
    const allowed = await runCliIn(t.cwd, ["review", "close", "--allow-removals", "3"], AFTER_DUE);
    expect(allowed.code).toBe(0);
    expect(await readFile(file, "utf8")).not.toContain("review:");
  });

  it("edits no file when one of them cannot be edited safely", async () => {
    const { t, file } = await tree(OPENED);
    const other = path.join(t.dir, "groups/flow.yaml");
    const flow =
      "groups:\n  - { name: ops, owners: [carol], review: { due: 2026-06-30, pending: [bob] }, members: [bob] }\n";
    await writeFile(other, flow);
    const closed = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(
      'access/groups/flow.yaml:2:5: not edited (group "ops" is written as a flow mapping); remove the review block',
    );
    expect(await readFile(file, "utf8")).toBe(OPENED);
    expect(await readFile(other, "utf8")).toBe(flow);
  });
});

describe("gatehouse review close, what the revocations do (review trial)", () => {
  // dave is listed and pending, and holds team-platform-write through the platform-engineer role too.
  const WITH_DAVE = OPENED.replace(
    "      - alice # since 2025\n",
    "      - alice # since 2025\n      - dave\n",
  )
    .replace("        - alice\n        - bob\n", "        - bob\n        - dave\n")
    .replace("      pending:\n        - erin\n", "      pending:\n");

  it("says whose line goes while they keep the group through a role, and counts only real revocations", async () => {
    const { t, file } = await tree(WITH_DAVE);
    const check = await runCliIn(t.cwd, ["review", "close", "--check"], AFTER_DUE);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      "Would close the review of team-platform-write (access/groups/platform.yaml, due 2026-06-30): would revoke bob, dave (not re-certified); " +
        "dave keeps the group through role platform-engineer (only the line goes: review the role)\n",
    );
    expect(check.stdout).toMatch(
      /\nWould close 2 review\(s\) in 1 file\(s\), revoking 1 membership\(s\) \(and the line of 1 member who keeps the group otherwise\); nothing was written\.\n$/,
    );
    const json = await runCliIn(t.cwd, ["review", "close", "--check", "--format", "json"], AFTER_DUE);
    const closed = (JSON.parse(json.stdout) as { closed: { group: string; keptThrough: unknown }[] }).closed;
    expect(closed.find((c) => c.group === "team-platform-write")?.keptThrough).toEqual([
      { user: "dave", ways: ["role platform-engineer"] },
    ]);
    expect(closed.find((c) => c.group === "sre")?.keptThrough).toEqual([]);

    const run = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Closed 2 review(s) in 1 file(s), revoking 1 membership(s) (and the line of 1 member who keeps the group otherwise).\n",
    );
    expect(await readFile(file, "utf8")).not.toContain("- dave");
  });

  it("warns that apply will refuse the revocations in a protected group or of a protected user", async () => {
    const { t, file } = await tree(
      OPENED,
      "policy:\n  guardrails: { maxRemovals: 5, protectedGroups: [team-platform-write], protectedUsers: [erin] }\n",
    );
    const warning =
      "warning: apply refuses these revocations without --force (policy.guardrails): alice from team-platform-write " +
      "(a protected group), bob from team-platform-write (a protected group), erin from sre (a protected user); " +
      "once they are checked, apply the result with --force\n";
    const check = await runCliIn(t.cwd, ["review", "close", "--check"], AFTER_DUE);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(warning);
    expect(await readFile(file, "utf8")).toBe(OPENED);
    // After bob's grant has ended, its removal is that grant's ending, which apply never refuses.
    const later = await runCliIn(t.cwd, ["review", "close", "--check"], new Date("2026-09-02T00:00:00Z"));
    expect(later.stderr).toContain(
      "(policy.guardrails): alice from team-platform-write (a protected group), erin from sre (a protected user);",
    );
    const run = await runCliIn(t.cwd, ["review", "close"], AFTER_DUE);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(warning);
    expect(await readFile(file, "utf8")).not.toContain("review:");
  });
});
