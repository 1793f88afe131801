import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  forgetJournalReads,
  killAfterIntent,
  writeAccessTree,
  type AccessTree,
} from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { sealEntry, type JournalEntry, type NewJournalEntry } from "../../src/audit/journal-entry.ts";
import { appendJournalEntries } from "../../src/audit/journal.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cliAt = (tree: AccessTree, when: string, argv: string[]) => runCliIn(tree.cwd, argv, new Date(when));
const ask = (tree: AccessTree, ...argv: string[]) =>
  cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", ...argv]);

const team = (members: string): string =>
  `groups:\n  - name: ops\n    owners: [ann]\n    members: [${members}]\n`;
const PEOPLE = "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n";

/** A tree (ann and bob in ops; cy in no group) whose system `app` has `mode`, applied on 2026-03-01 09:00. */
async function appliedTree(mode: "authoritative" | "additive"): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": `providers:\n  app: { type: local, path: .gatehouse/app.json, mode: ${mode} }\n`,
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": team("ann, bob"),
  });
  trees.push(tree);
  await apply(tree, "2026-03-01T09:00:00Z");
  return tree;
}

async function apply(tree: AccessTree, when: string): Promise<string> {
  const run = await cliAt(tree, when, ["apply", "--yes", "--allow-removals", "5"]);
  expect(run.code).toBe(0);
  return run.out;
}

interface Directory {
  users: { account: string; enabled: boolean }[];
  groups: { name: string; members: string[] }[];
}

/** Edits the embedded directory by hand, as someone with access to the system would. */
async function editByHand(tree: AccessTree, edit: (d: Directory) => void): Promise<void> {
  const file = path.join(tree.cwd, ".gatehouse/app.json");
  const data = JSON.parse(await readFile(file, "utf8")) as Directory;
  edit(data);
  await writeFile(file, JSON.stringify(data));
}

const addToOps = (account: string) => (d: Directory) => {
  for (const g of d.groups) if (g.name === "ops") g.members.push(account);
};

interface OutsideJson {
  member: string;
  reason: string;
  seq: number;
  runSeq: number;
  removedAt: string;
  notBefore?: { at: string; seq: number; evidence: string };
}
const outsideOf = (stdout: string): OutsideJson[] =>
  (JSON.parse(stdout) as { groups: { outside: OutsideJson[] }[] }).groups.flatMap((g) => g.outside);

describe("journal access names members a later run proves were held outside gatehouse", () => {
  it("bounds a hand-added member removed as drift by the last authoritative run before the removal", async () => {
    const tree = await appliedTree("authoritative");
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toContain("Recorded the run");
    await editByHand(tree, addToOps("cy"));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/remove cy from ops .*drift/);

    const during = await ask(tree, "--at", "2026-03-03");
    expect(during.code).toBe(0);
    expect(during.stdout).toContain(
      "  and 1 member(s) held outside gatehouse (added or put back by hand) that a later run found and removed",
    );
    expect(during.stdout).toMatch(
      /\n {2}\? cy {2}uncertain: held outside gatehouse, since unknown \(not held at 2026-03-02T09:00:00.000Z, journal #\d+: the run then read app in authoritative mode, .*\), first seen by the run at #\d+ \(removed there as drift, journal #\d+ at 2026-03-05T09:00:00.\d+Z, by .*\)/,
    );
    const json = outsideOf((await ask(tree, "--at", "2026-03-03", "--format", "json")).stdout);
    expect(json).toMatchObject([
      {
        member: "cy",
        reason: "drift",
        notBefore: { at: "2026-03-02T09:00:00.000Z", evidence: "authoritative-run" },
      },
    ]);
    // Before that run read the system without her, and after the removal: not named.
    expect((await ask(tree, "--at", "2026-03-01T12:00:00Z")).stdout).not.toContain("cy");
    expect((await ask(tree, "--at", "2026-03-06")).stdout).not.toContain("cy");
  });

  it("does not bound a drift removal by an authoritative run whose access files gave the member", async () => {
    const tree = await appliedTree("authoritative");
    // cy is in ops before gatehouse adds her (adopted, as after import), and the files give her ops: the run
    // of 03-02 has nothing to do for her, so the journal does not show her held.
    await editByHand(tree, addToOps("cy"));
    const teams = path.join(tree.dir, "groups/teams.yaml");
    await writeFile(teams, team("ann, bob, cy"));
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toContain("Recorded the run");
    // The files stop giving it (a mover's old role baseline): removed as drift.
    await writeFile(teams, team("ann, bob"));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/remove cy from ops .*drift/);

    const json = outsideOf((await ask(tree, "--at", "2026-03-03", "--format", "json")).stdout);
    // Not "not held at 2026-03-02": she was, and the files gave her the group then.
    expect(json).toMatchObject([{ member: "cy", reason: "drift" }]);
    expect(json[0]?.notBefore?.at).toMatch(/^2026-03-01T09:00:00/);
    const text = (await ask(tree, "--at", "2026-03-03")).stdout;
    expect(text).toMatch(
      /\? cy {2}uncertain: held outside gatehouse, since unknown \(not held at 2026-03-01T09:00/,
    );
    expect(text).not.toContain("not held at 2026-03-02");
  });

  it("in additive mode, bounds a leaver put back by hand by a run after they left, not by one before", async () => {
    const tree = await appliedTree("additive");
    // cy, added to ops by hand, is kept by additive mode; an additive run then is no bound.
    await editByHand(tree, addToOps("cy"));
    expect(await apply(tree, "2026-03-02T09:00:00Z")).not.toContain("remove cy");
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      people,
      PEOPLE.replace("{ id: bob, name: Bob }", "{ id: bob, name: Bob, status: terminated }").replace(
        "{ id: cy, name: Cy }",
        "{ id: cy, name: Cy, status: terminated }",
      ),
    );
    const left = await apply(tree, "2026-03-10T09:00:00Z");
    expect(left).toMatch(/remove bob from ops .*user terminated/);
    expect(left).toMatch(/remove cy from ops .*user terminated/);
    expect(await apply(tree, "2026-03-11T09:00:00Z")).toContain("Recorded the run");
    // bob re-enabled and put back into ops by hand; the next apply takes it away again.
    await editByHand(tree, (d) => {
      for (const u of d.users) if (u.account === "bob") u.enabled = true;
      addToOps("bob")(d);
    });
    expect(await apply(tree, "2026-03-15T09:00:00Z")).toMatch(/remove bob from ops .*user terminated/);

    const json = outsideOf((await ask(tree, "--at", "2026-03-12", "--format", "json")).stdout);
    expect(json).toMatchObject([
      {
        member: "bob",
        reason: "user-terminated",
        notBefore: { at: "2026-03-11T09:00:00.000Z", evidence: "leaver-run" },
      },
    ]);
    expect((await ask(tree, "--at", "2026-03-12")).stdout).toMatch(
      / {2}\? bob {2}uncertain: held outside gatehouse, since unknown \(not held at 2026-03-11T09:00:00.000Z, journal #\d+: the run then read app while bob was a leaver, .*\), first seen by the run at #\d+ \(removed there as user terminated/,
    );
    // Between the offboarding and the next run, nothing shows him back yet.
    expect(outsideOf((await ask(tree, "--at", "2026-03-10T12:00:00Z", "--format", "json")).stdout)).toEqual(
      [],
    );
    // cy: the additive run of 03-02 kept whatever it found, so only gatehouse making the group bounds her.
    const early = outsideOf((await ask(tree, "--at", "2026-03-02T12:00:00Z", "--format", "json")).stdout);
    expect(early).toMatchObject([{ member: "cy", notBefore: { evidence: "group-created" } }]);
  });

  it("names the members of a group made by hand that an authoritative run deleted, and records them", async () => {
    const tree = await appliedTree("authoritative");
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toContain("Recorded the run");
    // A copy of ops made by hand (a group renamed in the system, say): no file names it.
    await editByHand(tree, (d) => d.groups.push({ name: "ops-old", members: ["bob", "cy"] }));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toContain("delete group ops-old (2 members)");

    const journal = await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8");
    const deleted = journal
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { change?: { action?: string; group?: string; members?: string[] } })
      .find((e) => e.change?.action === "delete" && e.change.group === "ops-old");
    expect(deleted?.change?.members).toEqual(["bob", "cy"]);

    const during = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops-old",
      "--at",
      "2026-03-03",
      "--format",
      "json",
    ]);
    expect(during.code).toBe(0);
    expect(outsideOf(during.stdout)).toMatchObject([
      {
        member: "bob",
        reason: "not-in-config",
        removedAt: expect.stringMatching(/^2026-03-05T09:00/) as unknown,
        notBefore: { at: "2026-03-02T09:00:00.000Z", evidence: "authoritative-run" },
      },
      { member: "cy", reason: "not-in-config" },
    ]);
    const text = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops-old",
      "--at",
      "2026-03-03",
    ]);
    expect(text.stdout).toMatch(
      /\? bob {2}uncertain: held outside gatehouse, since unknown .*removed there as not in config/,
    );
    // After the deletion nobody holds it.
    const after = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops-old",
      "--at",
      "2026-03-06",
      "--format",
      "json",
    ]);
    expect(outsideOf(after.stdout)).toEqual([]);
  });

  it("still names a member found held outside gatehouse after the group is deleted, for the time before", async () => {
    const tree = await appliedTree("authoritative");
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toContain("Recorded the run");
    await editByHand(tree, addToOps("cy"));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/remove cy from ops .*drift/);
    // ops leaves the files; the next run deletes it, and a later one makes a new ops.
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), "groups: []\n");
    expect(await apply(tree, "2026-03-08T09:00:00Z")).toContain("delete group ops");
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann"));
    expect(await apply(tree, "2026-03-09T09:00:00Z")).toContain("create group ops");

    const json = outsideOf((await ask(tree, "--at", "2026-03-03", "--format", "json")).stdout);
    expect(json).toMatchObject([{ member: "cy", reason: "drift" }]);
    // The new ops is another group: cy is not named there.
    expect(outsideOf((await ask(tree, "--at", "2026-03-10", "--format", "json")).stdout)).toEqual([]);
  });
});

/** The journal as a version that kept no `modes` wrote it: re-chained, and this machine's record of it dropped. */
async function withoutModes(tree: AccessTree): Promise<void> {
  const file = path.join(tree.cwd, ".gatehouse/journal.jsonl");
  const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
  let previous: JournalEntry | undefined;
  const out: string[] = [];
  for (const line of lines) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    delete entry["seq"];
    delete entry["prevHash"];
    delete entry["hash"];
    if (entry["type"] === "apply-start") {
      expect(entry["modes"]).toEqual({ app: "authoritative" });
      delete entry["modes"];
    }
    previous = sealEntry(entry as unknown as NewJournalEntry, previous);
    out.push(JSON.stringify(previous));
  }
  await writeFile(file, out.join("\n") + "\n");
  await forgetJournalReads(tree);
}

describe("journal access on a journal written before runs recorded their mode", () => {
  it("takes a run that removed someone as drift for authoritative, and one that changed nothing for nothing", async () => {
    const tree = await appliedTree("authoritative");
    await editByHand(tree, addToOps("bob-admin"));
    expect(await apply(tree, "2026-03-02T09:00:00Z")).toMatch(/remove bob-admin from ops .*drift/);
    expect(await apply(tree, "2026-03-03T09:00:00Z")).toContain("Recorded the run");
    await editByHand(tree, addToOps("cy"));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/remove cy from ops .*drift/);
    await withoutModes(tree);
    const answer = await ask(tree, "--at", "2026-03-04", "--format", "json");
    expect(answer.code).toBe(0);
    // The run of 03-03 changed nothing, so nothing shows its mode: the bound is the one of 03-02.
    expect(outsideOf(answer.stdout)).toMatchObject([
      { member: "cy", notBefore: { at: "2026-03-02T09:00:00.000Z", evidence: "authoritative-run" } },
    ]);
  });
});

describe("journal access after a run that died mid-write", () => {
  it("does not call an add it announced, removed later, held outside gatehouse: it stays unconfirmed", async () => {
    const tree = await appliedTree("additive");
    await killAfterIntent(tree, "ops");
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann"));
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/remove bob from ops/);

    const answer = JSON.parse((await ask(tree, "--at", "2026-03-03", "--format", "json")).stdout) as {
      groups: { unconfirmed: { member: string }[]; outside: unknown[] }[];
    };
    expect(answer.groups[0]?.unconfirmed.map((m) => m.member)).toEqual(["ann", "bob"]);
    expect(answer.groups[0]?.outside).toEqual([]);
  });
});

describe("journal access when a system refused to remove a member held outside gatehouse", () => {
  /** A run of the `ldap` system (authoritative) at `at`: its changes to ops, each removal with `outcome`. */
  const run = (
    at: string,
    runSeq: number,
    changes: [string, "add" | "remove", string][],
  ): NewJournalEntry[] => [
    {
      type: "apply-start",
      at,
      actor: "ci",
      planDigest: "p",
      desiredDigest: "d",
      providers: ["ldap"],
      modes: { ldap: "authoritative" },
      changes: changes.length,
    },
    ...changes.map(([member, action, outcome]): NewJournalEntry => ({
      type: "change",
      at,
      runSeq,
      provider: "ldap",
      changeId: `ldap:membership/ops/${member}`,
      change: {
        provider: "ldap",
        id: `ldap:membership/ops/${member}`,
        kind: "membership",
        action,
        group: "ops",
        member,
        memberKind: "user",
        reason: action === "add" ? "added-in-config" : "drift",
        risk: action === "add" ? "broadens" : "narrows",
      },
      outcome: outcome === "applied" ? "applied" : "failed",
      ...(outcome === "applied" ? {} : { error: "insufficient access rights" }),
    })),
  ];

  it("names it as still held from the first failed removal on, once, and ends it at the removal that worked", async () => {
    const tree = await writeAccessTree({});
    trees.push(tree);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    await appendJournalEntries(journal, [
      ...run("2026-03-01T09:00:00.000Z", 1, [["ann", "add", "applied"]]),
      ...run("2026-03-05T09:00:00.000Z", 3, [["mallory", "remove", "failed"]]),
      ...run("2026-03-06T09:00:00.000Z", 5, [["mallory", "remove", "failed"]]),
    ]);
    const still = await ask(tree, "--at", "2026-03-07");
    expect(still.code).toBe(0);
    expect(still.stdout).toContain(
      "  ? mallory  uncertain: held outside gatehouse, since unknown (not held at 2026-03-01T09:00:00.000Z, journal #1: the run then read ldap in authoritative mode",
    );
    expect(still.stdout).toContain(
      "first seen by the run at #3 (its removal there as drift FAILED, journal #4, by ci); still held as far as the journal shows",
    );
    expect(still.stdout.match(/\? mallory/g)).toHaveLength(1);

    await appendJournalEntries(
      journal,
      run("2026-03-08T09:00:00.000Z", 7, [["mallory", "remove", "applied"]]),
    );
    const json = outsideOf((await ask(tree, "--at", "2026-03-07", "--format", "json")).stdout);
    expect(json).toMatchObject([
      { member: "mallory", outcome: "failed", seq: 4, removedAt: "2026-03-08T09:00:00.000Z", removedSeq: 8 },
    ]);
    expect(outsideOf((await ask(tree, "--at", "2026-03-09", "--format", "json")).stdout)).toEqual([]);
  });
});

describe("journal access over a window", () => {
  it("ends the stretches of a group's members when gatehouse deletes the group inside the window", async () => {
    const tree = await appliedTree("authoritative");
    // ops leaves the files (another group keeps the file valid): the run of 2026-03-05 deletes it.
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: web\n    owners: [ann]\n    members: [ann]\n",
    );
    expect(await apply(tree, "2026-03-05T09:00:00Z")).toMatch(/delete group ops/);
    const json = JSON.parse(
      (await ask(tree, "--since", "2026-03-02", "--until", "2026-03-10", "--format", "json")).stdout,
    ) as { groups: { members: { member: string; to?: string }[] }[] };
    expect(json.groups[0]?.members.map((m) => [m.member, m.to?.slice(0, 16)])).toEqual([
      ["ann", "2026-03-05T09:00"],
      ["bob", "2026-03-05T09:00"],
    ]);
  });

  it("lists everyone who held the group at any moment of a day, with the stretches, and refuses --at with it", async () => {
    const tree = await appliedTree("authoritative");
    const teams = path.join(tree.dir, "groups/teams.yaml");
    await writeFile(teams, team("ann, bob, cy"));
    await apply(tree, "2026-03-05T10:00:00Z");
    await writeFile(teams, team("ann, bob"));
    await apply(tree, "2026-03-05T11:00:00Z");
    await editByHand(tree, addToOps("cy"));
    await apply(tree, "2026-03-05T15:00:00Z");

    // The end of the day: cy is gone, so --at misses her.
    expect((await ask(tree, "--at", "2026-03-05")).stdout).not.toMatch(/^ {2}cy/m);
    const day = await ask(tree, "--since", "2026-03-05", "--until", "2026-03-05");
    expect(day.code).toBe(0);
    expect(day.stdout).toContain(
      "ops in app from 2026-03-05T00:00:00.000Z to 2026-03-05T23:59:59.999Z: 3 member(s) gatehouse applied held it at some moment, in 3 stretch(es)",
    );
    expect(day.stdout).toMatch(
      /\n {2}cy {2}since 2026-03-05T10:00:00.\d+Z to 2026-03-05T11:00:00.\d+Z \(journal #\d+, by .*\): added in config/,
    );
    // Why cy's stretch ended: the removal gatehouse applied, as the journal recorded it.
    expect(day.stdout).toMatch(
      /\n {2}cy {2}since 2026-03-05T10:00:00.\d+Z to 2026-03-05T11:00:00.\d+Z .*\n(?: {4}.*\n)* {4}ended by its removal, journal #\d+ \(that run overrode the guard rails: --allow-removals \d+, accepting 1 refusal\(s\)\): removed from config: cy \(access\/users\/people\.yaml:\d+:\d+\) is still in the access files, but no member line/,
    );
    expect(day.stdout).toMatch(/\n {2}ann {2}since 2026-03-01T09:00:00.\d+Z, still held at the window's end/);
    // cy again, added by hand after 11:00 (the run at 11:00 read ops without her) and removed at 15:00.
    expect(day.stdout).toMatch(
      /\n {2}\? cy {2}uncertain: held outside gatehouse, since unknown \(not held at 2026-03-05T11:00:00.\d+Z, journal #\d+: gatehouse removed it then\), first seen by the run at #\d+ \(removed there as drift/,
    );
    const json = JSON.parse(
      (
        await ask(
          tree,
          "--since",
          "2026-03-05T10:30:00Z",
          "--until",
          "2026-03-05T12:00:00Z",
          "--format",
          "json",
        )
      ).stdout,
    ) as {
      since: string;
      until: string;
      groups: { members: { member: string; to?: string }[]; outside: unknown[] }[];
    };
    expect(json.since).toBe("2026-03-05T10:30:00.000Z");
    expect(json.groups[0]?.members.map((m) => [m.member, m.to === undefined])).toEqual([
      ["ann", true],
      ["bob", true],
      ["cy", false],
    ]);
    expect(json.groups[0]?.outside).toHaveLength(1);
    // A window before any of it: only ann and bob, in one stretch each.
    const before = JSON.parse(
      (await ask(tree, "--since", "2026-03-02", "--until", "2026-03-04", "--format", "json")).stdout,
    ) as typeof json;
    expect(before.groups[0]?.members.map((m) => m.member)).toEqual(["ann", "bob"]);
    expect(before.groups[0]?.outside).toEqual([]);

    // Renamed inside a window: the stretches under both names, and the names in order.
    await writeFile(
      teams,
      "groups:\n  - name: ops-team\n    owners: [ann]\n    formerNames: [ops]\n    members: [ann]\n",
    );
    await apply(tree, "2026-03-07T09:00:00Z");
    const renamed = JSON.parse(
      (
        await cliAt(tree, "2026-06-01T00:00:00Z", [
          "journal",
          "access",
          "ops-team",
          "--since",
          "2026-03-06",
          "--until",
          "2026-03-08",
          "--format",
          "json",
        ])
      ).stdout,
    ) as { groups: { group: string; names: string[]; members: { member: string; to?: string }[] }[] };
    expect(renamed.groups.map((g) => [g.group, g.names])).toEqual([["ops-team", ["ops", "ops-team"]]]);
    expect(renamed.groups[0]?.members.map((m) => [m.member, m.to])).toEqual([
      ["ann", undefined],
      ["bob", expect.stringMatching(/^2026-03-07T09:00:00/)],
    ]);

    for (const wrong of [
      ["--at", "2026-03-05", "--since", "2026-03-05"],
      ["--at", "2026-03-05", "--until", "2026-03-05"],
      ["--since", "2026-03-06", "--until", "2026-03-05"],
      ["--since", "yesterday"],
      [],
    ]) {
      const refused = await ask(tree, ...wrong);
      expect(refused.code, wrong.join(" ")).toBe(64);
      expect(refused.stdout).toBe("");
    }
  });
});
