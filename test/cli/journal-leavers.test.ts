/**
 * `journal leavers`: the leavers a journal records an offboarding of, as an auditor samples them (SOC 2's
 * "terminated users' access was removed timely"): the HR event and last day, the run that took the access
 * away and how long after the end of the last day it started, and each system's check of the account.
 * Built from real applies against the local directory, at faked instants.
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

const cliAt = (tree: AccessTree, when: string, argv: readonly string[]) =>
  runCliIn(tree.cwd, argv, new Date(when));

async function apply(tree: AccessTree, when: string): Promise<string> {
  const run = await cliAt(tree, when, ["apply", "--yes"]);
  expect(run.code, run.out).toBe(0);
  return run.out;
}

const PEOPLE = `users:
  - { id: ann, name: Ann }
  - { id: dee, name: Dee, endDate: 2026-03-01 }
  - { id: eve, name: Eve }
  - { id: fay, name: Fay }
`;

interface JsonLeaver {
  userId: string;
  lastDay?: string;
  offboardedAt: string;
  afterLastDayMs?: number;
  isLate: boolean;
  outcome: string;
  systems: { provider: string; account: string; outcome: string; checks: { clean: boolean }[] }[];
}

/**
 * Two systems hold ops (ann, dee, eve, fay). dee's last day is 2026-03-01: the hourly run at 08:00 the
 * day after offboards her, 8 hours after it ended. eve's end date (2026-02-27) reaches the files only on
 * 2026-03-02, so the same run offboards her 2.3 days late. fay is dismissed: status terminated, no last day.
 */
async function site(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n" +
      "  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "  wiki: { type: local, path: .gatehouse/wiki.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 10 }\n",
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, dee, eve, fay]\n",
  });
  trees.push(tree);
  await apply(tree, "2026-03-01T09:00:00Z");
  const file = path.join(tree.dir, "users/people.yaml");
  const text = await readFile(file, "utf8");
  await writeFile(
    file,
    text
      .replace("{ id: eve, name: Eve }", "{ id: eve, name: Eve, endDate: 2026-02-27 }")
      .replace("{ id: fay, name: Fay }", "{ id: fay, name: Fay, status: terminated }"),
  );
  await apply(tree, "2026-03-02T08:00:00Z");
  return tree;
}

describe("journal leavers", () => {
  it("lists each leaver with their last day, how long after its end they were offboarded, and every system's check", async () => {
    const tree = await site();
    const json = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--format", "json"]);
    expect(json.code, json.out).toBe(0);
    const leavers = (JSON.parse(json.stdout) as { leavers: JsonLeaver[] }).leavers;
    expect(leavers.map((l) => l.userId).sort()).toEqual(["dee", "eve", "fay"]);
    const byId = new Map(leavers.map((l) => [l.userId, l]));
    expect(byId.get("dee")).toMatchObject({
      lastDay: "2026-03-01",
      offboardedAt: "2026-03-02T08:00:00.000Z",
      afterLastDayMs: 8 * 3_600_000,
      isLate: false,
      outcome: "clean",
    });
    expect(byId.get("eve")).toMatchObject({ lastDay: "2026-02-27", isLate: true, outcome: "clean" });
    expect(byId.get("eve")?.afterLastDayMs).toBe((2 * 24 + 8) * 3_600_000);
    expect(byId.get("fay")).toMatchObject({ isLate: false, outcome: "clean" });
    expect(byId.get("fay")).not.toHaveProperty("lastDay");
    for (const leaver of leavers)
      expect(leaver.systems.map((s) => [s.provider, s.account, s.outcome, s.checks.length])).toEqual([
        ["app", leaver.userId, "clean", 1],
        ["wiki", leaver.userId, "clean", 1],
      ]);

    const text = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers"]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).toContain(
      "3 (1 late, more than a day after the end of their last day; 0 with access left)",
    );
    expect(text.stdout).toContain(
      "last day 2026-03-01; offboarded by the run started 2026-03-02T08:00:00.000Z (8.0 hours after the end of the last day)",
    );
    expect(text.stdout).toContain("(2.3 days after the end of the last day: LATE)");
    expect(text.stdout).toContain("no last day in the files (terminated by status): how late cannot be told");
    expect(text.stdout).toMatch(/^ {2}app\/dee: clean at 2026-03-02T08:00:\d\d\.\d{3}Z$/m);
    expect(text.stdout).toContain("  verdict: no access left in any system as of 2026-03-02T08:00");
  });

  it("answers for one person and one window, and says when a name was never offboarded", async () => {
    const tree = await site();
    const one = await cliAt(tree, "2026-04-01T00:00:00Z", [
      "journal",
      "leavers",
      "--user",
      "dee",
      "--format",
      "json",
    ]);
    expect(one.code, one.out).toBe(0);
    expect((JSON.parse(one.stdout) as { leavers: JsonLeaver[] }).leavers.map((l) => l.userId)).toEqual([
      "dee",
    ]);

    const before = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--until", "2026-03-01"]);
    expect(before.code, before.out).toBe(0);
    expect(before.stdout).toContain(": 0 (0 late");

    const typo = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "dea"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("no offboarding of dea was ever recorded here, on any date");
    // ann is no leaver: named by the journal, never offboarded.
    const ann = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "ann"]);
    expect(ann.code).toBe(1);

    const backwards = await cliAt(tree, "2026-04-01T00:00:00Z", [
      "journal",
      "leavers",
      "--since",
      "2026-03-05",
      "--until",
      "2026-03-01",
    ]);
    expect(backwards.code).toBe(64);
    expect(backwards.stderr).toContain("--since (2026-03-05T00:00:00.000Z) is after --until");
    expect(backwards.stderr).not.toContain("    at ");
  });
});

describe("journal leavers and the access files", () => {
  it("names a leaver in the files whom gatehouse managed an account for and never offboarded", async () => {
    const tree = await site();
    // ann's last day reaches the files, and no apply has run since.
    const file = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace(
        "{ id: ann, name: Ann }",
        "{ id: ann, name: Ann, endDate: 2026-03-10 }",
      ),
    );
    const text = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers"]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).toContain(
      "NOT offboarded by gatehouse (1): leavers in the access files, with an account gatehouse managed, and no offboarding check recorded (yet):\n" +
        "  ! ann  endDate 2026-03-10; accounts: app/ann, wiki/ann\n",
    );
    const json = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--format", "json"]);
    const data = JSON.parse(json.stdout) as { notOffboarded: { userId: string; lastDay?: string }[] };
    expect(data.notOffboarded).toEqual([
      {
        userId: "ann",
        leaving: "endDate 2026-03-10",
        lastDay: "2026-03-10",
        accounts: ["app/ann", "wiki/ann"],
        isOffboardedElsewhere: false,
      },
    ]);
    // --user ann: a leaver never offboarded is an answer, not an unknown name.
    const one = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "ann"]);
    expect(one.code, one.out).toBe(0);
    expect(one.stdout).toContain("  ! ann  endDate 2026-03-10");
    // A window that ends before her last day does not list her.
    const before = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--until", "2026-03-05"]);
    expect(before.stdout).not.toContain("NOT offboarded");
    // Her offboarding recorded: the list is empty again.
    await apply(tree, "2026-03-11T08:00:00Z");
    const after = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--format", "json"]);
    expect((JSON.parse(after.stdout) as { notOffboarded: unknown[] }).notOffboarded).toEqual([]);
  });

  it("vouches for no system a leaver's offboarding left out: an account there gatehouse managed is NOT checked", async () => {
    const tree = await site();
    const file = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace(
        "{ id: ann, name: Ann }",
        "{ id: ann, name: Ann, endDate: 2026-03-10 }",
      ),
    );
    // wiki cannot be read on the day ann is offboarded: the run offboards her in app only (exit 1).
    const wiki = path.join(tree.cwd, ".gatehouse/wiki.json");
    const saved = await readFile(wiki, "utf8");
    await writeFile(wiki, "{ not json");
    const partial = await cliAt(tree, "2026-03-11T08:00:00Z", ["apply", "--yes"]);
    expect(partial.code, partial.out).toBe(1);
    expect(partial.out).toContain("wiki could not be read and is left out of this run");

    const text = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "ann"]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).toMatch(/^ {2}app\/ann: clean at /m);
    expect(text.stdout).not.toContain("no access left in any system");
    expect(text.stdout).toContain("  verdict: no access left in the systems checked as of 2026-03-11T08:00");
    expect(text.stdout).toContain("; NOT checked: wiki/ann (gatehouse managed it");
    expect(text.stdout).toContain(
      "  ! ann  endDate 2026-03-10; accounts: wiki/ann (their other accounts were offboarded",
    );
    const json = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--format", "json"]);
    const data = JSON.parse(json.stdout) as {
      leavers: (JsonLeaver & { notChecked: string[] })[];
      notOffboarded: unknown[];
    };
    expect(data.leavers.find((l) => l.userId === "ann")?.notChecked).toEqual(["wiki/ann"]);
    expect(data.notOffboarded).toEqual([
      {
        userId: "ann",
        leaving: "endDate 2026-03-10",
        lastDay: "2026-03-10",
        accounts: ["wiki/ann"],
        isOffboardedElsewhere: true,
      },
    ]);

    // wiki back: the next run offboards her there too, and the report vouches for every system again.
    await writeFile(wiki, saved);
    await apply(tree, "2026-03-11T09:00:00Z");
    const after = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "ann"]);
    expect(after.stdout).toMatch(/^ {2}wiki\/ann: clean at /m);
    expect(after.stdout).toContain("  verdict: no access left in any system");
    expect(after.stdout).not.toContain("NOT offboarded");
  });

  it("does not call an account gatehouse disabled before the person left unchecked", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n" +
        "  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "  wiki: { type: local, path: .gatehouse/wiki.json, mode: authoritative, users: members }\n" +
        "policy:\n  guardrails: { maxRemovals: 10 }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: gil, name: Gil }\n",
      "groups/teams.yaml":
        "groups:\n  - name: docs\n    owners: [ann]\n    providers: [wiki]\n    members: [ann, gil]\n",
    });
    trees.push(tree);
    await apply(tree, "2026-03-01T09:00:00Z");
    const groups = path.join(tree.dir, "groups/teams.yaml");
    // gil leaves docs: wiki disables the account of someone in none of its groups.
    await writeFile(
      groups,
      (await readFile(groups, "utf8")).replace("members: [ann, gil]", "members: [ann]"),
    );
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toContain("disable user gil");
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      people,
      (await readFile(people, "utf8")).replace(
        "{ id: gil, name: Gil }",
        "{ id: gil, name: Gil, endDate: 2026-03-05 }",
      ),
    );
    // Offboarded in app; wiki has nothing left to change on the account gatehouse disabled.
    await apply(tree, "2026-03-06T08:00:00Z");
    const text = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--user", "gil"]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).toMatch(/^ {2}app\/gil: clean at /m);
    expect(text.stdout).not.toContain("wiki/gil");
    expect(text.stdout).toContain("  verdict: no access left in any system");
  });

  it("says so when there are no access files to compare with", async () => {
    const tree = await site();
    const run = await cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "leavers", "--dir", "elsewhere"]);
    expect(run.code, run.out).toBe(0);
    expect(run.stderr).toContain(
      "note: no access folder at elsewhere: the leavers the access files have whom gatehouse never offboarded are not listed (--dir)",
    );
  });
});
