/**
 * `gatehouse accounts`: stale and orphaned accounts, through the real CLI on temp access trees and local
 * directory files (the accounts made by a real apply, so that the journal knows which are gatehouse's).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import type { AccountsReport } from "../../src/lifecycle/account-review.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const DAY = 86_400_000;
const HIRED = new Date("2026-01-01T00:00:00Z");
const NOW = new Date("2026-06-01T12:00:00Z");
const daysBefore = (days: number, ms = 0): string => new Date(NOW.getTime() - days * DAY + ms).toISOString();

interface StoredUser {
  account: string;
  enabled: boolean;
  lastLogin?: string;
  createdAt?: string;
  sessions: unknown[];
  tokens: unknown[];
}
interface StoredFile {
  formatVersion: 1;
  users: StoredUser[];
  groups: { name: string; members: string[]; groupMembers: string[] }[];
}

/** Edits a local directory file as the world would (sign-ins, accounts made by hand). */
async function editDirectory(file: string, edit: (data: StoredFile) => void): Promise<void> {
  const data = JSON.parse(await readFile(file, "utf8")) as StoredFile;
  edit(data);
  await writeFile(file, JSON.stringify(data));
}

function setUser(data: StoredFile, account: string, fields: Partial<StoredUser>): void {
  const user = data.users.find((u) => u.account === account);
  if (user) Object.assign(user, fields);
  else data.users.push({ account, enabled: true, sessions: [], tokens: [], ...fields });
}

const report = (stdout: string): AccountsReport => JSON.parse(stdout) as AccountsReport;

/**
 * An organization applied on HIRED, then at NOW: cy, dee and fay have accounts made by hand, ivy left the
 * files, zed was never in them, and the people have signed in (or not) as each test needs.
 */
async function organization(): Promise<{ tree: AccessTree; directory: string; app: string }> {
  const users = (withIvy: boolean): string =>
    "users:\n" +
    "  - { id: ann, name: Ann }\n" +
    "  - { id: bob, name: Bob }\n" +
    "  - { id: cy, name: Cy, status: terminated }\n" +
    "  - { id: dee, name: Dee, status: leave }\n" +
    "  - { id: eve, name: Eve, endDate: 2026-05-01 }\n" +
    "  - { id: fay, name: Fay, startDate: 2026-09-01 }\n" +
    "  - { id: gus, name: Gus }\n" +
    "  - { id: hal, name: Hal }\n" +
    "  - { id: svc-deploy, name: Deploy bot, employmentType: service }\n" +
    (withIvy ? "  - { id: ivy, name: Ivy }\n" : "");
  const groups = (withIvy: boolean): string =>
    "groups:\n" +
    "  - name: team-a\n    owners: [ann]\n    providers: [directory]\n" +
    `    members: [ann, bob, eve, gus, svc-deploy${withIvy ? ", ivy" : ""}]\n` +
    "  - name: team-b\n    owners: [ann]\n    providers: [directory]\n    members: [eve]\n" +
    "  - name: app-users\n    owners: [ann]\n    providers: [app]\n    members: [ann]\n";
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n" +
      "  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative }\n" +
      "  app: { type: local, path: .gatehouse/app.json, users: members }\n" +
      "policy:\n  leave: disable\n",
    "users/people.yaml": users(true),
    "groups/teams.yaml": groups(true),
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
  await writeFile(path.join(tree.dir, "users/people.yaml"), users(false));
  await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups(false));
  const directory = path.join(tree.cwd, ".gatehouse/directory.json");
  const app = path.join(tree.cwd, ".gatehouse/app.json");
  await editDirectory(directory, (data) => {
    setUser(data, "ann", { lastLogin: daysBefore(2) });
    setUser(data, "bob", { lastLogin: daysBefore(120) });
    setUser(data, "hal", { createdAt: daysBefore(10) });
    setUser(data, "eve", { lastLogin: daysBefore(40) });
    for (const account of ["cy", "dee", "fay", "zed"]) setUser(data, account, {});
    data.groups.find((g) => g.name === "team-a")?.members.push("zed");
  });
  await editDirectory(app, (data) => {
    setUser(data, "bob", {}); // in the files, but holds none of app's groups (users: members)
    setUser(data, "old", {});
  });
  return { tree, directory, app };
}

describe("gatehouse accounts", () => {
  it("reports every kind of orphaned account and the stale ones, per system, as text", async () => {
    const { tree } = await organization();
    const run = await runCliIn(tree.cwd, ["accounts"], NOW);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    await expect(run.stdout).toMatchFileSnapshot("__snapshots__/accounts.txt");
  });

  it("calls out a leaver's account that signed in after their end date", async () => {
    const { tree, directory } = await organization();
    // eve's endDate is 2026-05-01; a sign-in ten days before NOW is weeks after it. Before it: not called out.
    await editDirectory(directory, (data) => {
      setUser(data, "eve", { lastLogin: daysBefore(10) });
    });
    const json = await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW);
    const orphans = report(json.stdout).systems[0]?.orphaned ?? [];
    expect(orphans.find((o) => o.account === "eve")?.signedInAfterEnd).toBe("2026-05-01");
    expect(orphans.filter((o) => o.signedInAfterEnd !== undefined).map((o) => o.account)).toEqual(["eve"]);
    const text = await runCliIn(tree.cwd, ["accounts"], NOW);
    expect(text.stdout).toContain(
      "      SIGNED IN AFTER LEAVING (endDate 2026-05-01); groups: team-a, team-b;",
    );
  });

  it("says what each orphaned account is, its groups, whether gatehouse manages it, and what the plan does", async () => {
    const { tree } = await organization();
    const run = await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW);
    expect(run.code).toBe(0);
    const [directory, app] = report(run.stdout).systems;
    const orphans = directory?.orphaned.map((o) => [
      o.account,
      o.kind,
      o.userId,
      o.managed,
      o.groups,
      o.plan,
    ]);
    const disable = (reason: string, userId?: string) => [
      { action: "disable", reason, ...(userId === undefined ? {} : { userId }) },
    ];
    expect(orphans).toEqual([
      ["cy", "leaver", "cy", false, [], disable("user-terminated", "cy")],
      ["dee", "on-leave", "dee", false, [], disable("user-on-leave", "dee")],
      ["eve", "leaver", "eve", true, ["team-a", "team-b"], disable("user-terminated", "eve")],
      ["fay", "not-started", "fay", false, [], disable("not-started", "fay")],
      ["ivy", "person-removed", "ivy", true, ["team-a"], disable("removed-from-config")],
      ["zed", "no-person", undefined, false, ["team-a"], disable("not-in-config")],
    ]);
    expect(directory?.orphaned.find((o) => o.account === "eve")).toMatchObject({
      detail: "eve left: endDate 2026-05-01 has passed, 30.5 days ago: offboarded late",
      lastLogin: daysBefore(40),
    });
    // Additive: the plan leaves accounts the files give no one, and says nothing would change them.
    expect(app?.mode).toBe("additive");
    expect(app?.orphaned.map((o) => [o.account, o.kind, o.userId, o.plan])).toEqual([
      ["bob", "holds-no-group", "bob", []],
      ["old", "no-person", undefined, []],
    ]);
  });

  it("finds active people's accounts without a sign-in for the threshold, or with none since they were made", async () => {
    const { tree } = await organization();
    const run = await runCliIn(tree.cwd, ["accounts", "--format", "json", "--provider", "directory"], NOW);
    const [directory] = report(run.stdout).systems;
    expect(directory?.stale).toEqual([
      {
        account: "bob",
        userId: "bob",
        lastLogin: daysBefore(120),
        createdAt: HIRED.toISOString(),
        idleDays: 120,
        managed: true,
        groups: ["team-a"],
      },
      // Never signed in, made by the apply on HIRED: 151.5 days ago.
      {
        account: "gus",
        userId: "gus",
        createdAt: HIRED.toISOString(),
        idleDays: 151.5,
        managed: true,
        groups: ["team-a"],
      },
    ]);
    // hal never signed in either, but his account is 10 days old; ann signed in 2 days ago.
    expect(directory?.staleService.map((s) => [s.account, s.lastLogin, s.createdAt])).toEqual([
      ["svc-deploy", undefined, HIRED.toISOString()],
    ]);
    expect(directory?.unjudged).toEqual([]);
    expect(report(run.stdout).summary).toEqual({
      orphaned: 6,
      disabledSignedIn: 0,
      stale: 2,
      staleService: 1,
      signInsFailed: 0,
    });
  });

  it("calls an account stale at exactly the threshold, not a second before", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
    await editDirectory(path.join(tree.cwd, ".gatehouse/directory.json"), (data) => {
      setUser(data, "ann", { lastLogin: daysBefore(30) });
      setUser(data, "bob", { lastLogin: daysBefore(30, 1_000) });
    });
    const run = await runCliIn(tree.cwd, ["accounts", "--stale", "30d", "--format", "json"], NOW);
    expect(report(run.stdout).systems[0]?.stale.map((s) => [s.account, s.idleDays])).toEqual([["ann", 30]]);
    const week = await runCliIn(tree.cwd, ["accounts", "--stale", "4w", "--format", "json"], NOW);
    expect(report(week.stdout).systems[0]?.stale.map((s) => s.account)).toEqual(["ann", "bob"]);
  });

  it("takes the threshold from policy.staleAfter, which --stale overrides, else 90 days", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\npolicy:\n  staleAfter: 2w\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
    await editDirectory(path.join(tree.cwd, ".gatehouse/directory.json"), (data) => {
      setUser(data, "ann", { lastLogin: daysBefore(20) });
    });
    const policy = report((await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW)).stdout);
    expect(policy).toMatchObject({
      staleAfter: "2w",
      staleAfterMs: 14 * DAY,
      staleAfterFrom: "policy.staleAfter",
    });
    expect(policy.summary.stale).toBe(1);
    const option = await runCliIn(tree.cwd, ["accounts", "--stale", "21d"], NOW);
    expect(option.stdout).toContain("stale: no sign-in for 3w (--stale)");
    expect(option.stdout).toContain("  stale: none\n");

    await writeFile(
      path.join(tree.dir, "gatehouse.yaml"),
      "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
    );
    const fallback = report((await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW)).stdout);
    expect(fallback).toMatchObject({ staleAfter: "90d", staleAfterFrom: "default", summary: { stale: 0 } });
  });

  it("exits 2 with --detailed-exitcode when it finds an orphaned or stale account, and not for service accounts alone", async () => {
    const { tree } = await organization();
    expect((await runCliIn(tree.cwd, ["accounts"], NOW)).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["accounts", "--detailed-exitcode"], NOW)).code).toBe(2);

    const quiet = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: svc-ci, name: CI, employmentType: service }\n",
    });
    trees.push(quiet);
    expect((await runCliIn(quiet.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
    await editDirectory(path.join(quiet.cwd, ".gatehouse/directory.json"), (data) => {
      setUser(data, "ann", { lastLogin: daysBefore(1) });
    });
    const run = await runCliIn(quiet.cwd, ["accounts", "--detailed-exitcode"], NOW);
    expect(run.stdout).toContain("stale service accounts (1; employmentType: service");
    expect(run.stdout).toContain("0 orphaned accounts, 0 stale accounts, 1 stale service account\n");
    // Nothing to do for people: no next step (a service account's use is recorded nowhere).
    expect(run.stdout).not.toContain("Next,");
    expect(run.code).toBe(0);
  });

  it("says so once for a system where no account has a sign-in recorded, rather than calling them all stale", async () => {
    const { tree } = await organization();
    const run = await runCliIn(tree.cwd, ["accounts", "--provider", "app"], NOW);
    expect(run.stdout).toContain(
      "  app: no enabled account has a sign-in recorded (lastLogin): the system may not record them; stale accounts not checked\n",
    );
    expect(run.stdout).not.toContain("directory");
    expect(run.stdout).not.toContain("stale: none");
  });

  it("reads only the systems --provider names, and refuses one gatehouse.yaml does not define", async () => {
    const { tree } = await organization();
    const json = report(
      (await runCliIn(tree.cwd, ["accounts", "--format", "json", "--provider", "app"], NOW)).stdout,
    );
    expect(json.systems.map((s) => s.provider)).toEqual(["app"]);
    const unknown = await runCliIn(tree.cwd, ["accounts", "--provider", "nope"], NOW);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain(
      "error: unknown provider nope; gatehouse.yaml defines: directory, app\n",
    );
  });

  it("gives JSON with every field the report has, the same as text gives", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
    await editDirectory(path.join(tree.cwd, ".gatehouse/directory.json"), (data) => {
      setUser(data, "zed", { lastLogin: daysBefore(3), createdAt: daysBefore(300) });
    });
    const run = await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW);
    expect(JSON.parse(run.stdout)).toEqual({
      formatVersion: 1,
      createdAt: NOW.toISOString(),
      staleAfterMs: 90 * DAY,
      staleAfter: "90d",
      staleAfterFrom: "default",
      systems: [
        {
          provider: "directory",
          type: "local",
          mode: "authoritative",
          enabledAccounts: 2,
          signIns: "lastLogin",
          // Disabling zed is one removal, more than 10% of no membership: apply would refuse it.
          refusedBy: [
            "the plan removes 1 memberships or accounts in directory, more than allowed (policy.guardrails.maxRemovals is 10% of 0 current memberships in directory = 0); if that is intended, re-run with --allow-removals 1",
          ],
          unjudged: [],
          orphaned: [
            {
              account: "zed",
              kind: "no-person",
              detail: "in no access file",
              managed: false,
              lastLogin: daysBefore(3),
              plan: [{ action: "disable", reason: "not-in-config" }],
              groups: [],
            },
          ],
          disabledSignedIn: [],
          stale: [
            {
              account: "ann",
              userId: "ann",
              createdAt: HIRED.toISOString(),
              idleDays: 151.5,
              managed: true,
              groups: [],
            },
          ],
          staleService: [],
        },
      ],
      summary: { orphaned: 1, disabledSignedIn: 0, stale: 1, staleService: 0, signInsFailed: 0 },
    });
  });

  it("refuses a --stale that is no duration, and a policy.staleAfter of zero at its line", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\npolicy:\n  staleAfter: 0d\n",
    });
    trees.push(tree);
    for (const bad of ["90", "3 months", "0d"]) {
      const run = await runCliIn(tree.cwd, ["accounts", "--stale", bad], NOW);
      expect(run.code).toBe(64);
      expect(run.stderr).toContain(
        `error: --stale takes a duration longer than zero, e.g. 90d, 12w or 36h (got "${bad}")`,
      );
    }
    const run = await runCliIn(tree.cwd, ["accounts"], NOW);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'access/gatehouse.yaml:4:15 error GH106 policy.staleAfter "0d" is not a duration longer than zero',
    );
    expect(run.stderr).not.toContain("    at ");
  });
});
