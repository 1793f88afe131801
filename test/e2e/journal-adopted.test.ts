/**
 * The members a group had before gatehouse managed it: the apply that takes the group on records them
 * (`adopted` entries), and `journal access` names them as held since before gatehouse. Real files in a real
 * git repository, the local provider's directory file as the live system.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JOURNAL_FILE, useTempRepos, type TempRepo } from "./repo.ts";
import { sealEntry, type JournalEntry, type NewJournalEntry } from "../../src/audit/journal-entry.ts";

const tempRepo = useTempRepos();

const T0 = new Date("2026-02-01T09:00:00Z");
const T1 = new Date("2026-03-01T09:00:00Z");
const T2 = new Date("2026-04-01T09:00:00Z");
const LATER = new Date("2026-06-01T00:00:00Z");

const CONFIG = "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n";
const PEOPLE =
  "users:\n" +
  ["ann", "bob", "cy", "dan", "eve"].map((id) => `  - { id: ${id}, name: ${id.toUpperCase()} }\n`).join("");
const groups = (...lines: string[]): string =>
  "groups:\n" + lines.map((l) => l.replace(/^(?=.)/gm, "  ")).join("");
const group = (name: string, members: string): string =>
  `- name: ${name}\n  owners: [ann]\n  members: [${members}]\n`;

const user = (account: string): Record<string, unknown> => ({
  account,
  name: account.toUpperCase(),
  enabled: true,
  sessions: [],
  tokens: [],
});

/** The live system before gatehouse: ops held by ann, bob and cy; audit by cy; every account there. */
function liveBefore(extra: Record<string, string[]> = {}): string {
  const held: Record<string, string[]> = { ops: ["ann", "bob", "cy"], audit: ["cy"], ...extra };
  return JSON.stringify({
    formatVersion: 1,
    users: ["ann", "bob", "cy", "dan", "eve"].map(user),
    groups: Object.entries(held).map(([name, members]) => ({ name, members, groupMembers: [] })),
  });
}

/** A repo whose files take ops on (ann, bob, dan: cy goes, dan comes) from a live system that had it. */
async function adoptingRepo(): Promise<TempRepo> {
  const repo = await tempRepo({ withAccess: false });
  await repo.write("access/gatehouse.yaml", CONFIG);
  await repo.write("access/users/people.yaml", PEOPLE);
  await repo.write("access/groups/teams.yaml", groups(group("ops", "ann, bob, dan")));
  await repo.commit("access files written to match the live system");
  await repo.write(".gatehouse/app.json", liveBefore());
  return repo;
}

async function entries(repo: TempRepo): Promise<Record<string, unknown>[]> {
  return ((await repo.readMaybe(JOURNAL_FILE)) ?? "")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const adoptedOf = async (repo: TempRepo): Promise<Record<string, unknown>[]> =>
  (await entries(repo)).filter((e) => e["type"] === "adopted");

const access = (repo: TempRepo, ...argv: string[]) =>
  repo.run(["journal", "access", ...argv], { now: LATER });

const apply = (repo: TempRepo, now: Date, ...argv: string[]) =>
  repo.run(["apply", "--yes", "--allow-removals", "5", ...argv], { now });

describe("journal access of a group gatehouse took on", () => {
  it("records the members the first apply found (not a plan), and names them as held since before gatehouse", async () => {
    const repo = await adoptingRepo();
    // A plan records nothing: no journal at all.
    expect((await repo.run(["plan", "--detailed-exitcode"], { now: T0 })).code).toBe(2);
    expect(await repo.readMaybe(JOURNAL_FILE)).toBeUndefined();

    expect((await apply(repo, T1)).code).toBe(0);
    const journal = await entries(repo);
    const start = journal.find((e) => e["type"] === "apply-start");
    // One entry for ops, right after the run's start and before any change, with the run.
    expect(journal[1]).toMatchObject({
      type: "adopted",
      runSeq: start?.["seq"],
      at: start?.["at"],
      provider: "app",
      group: "ops",
      members: ["ann", "bob", "cy"],
    });
    expect(journal[1]).not.toHaveProperty("late");
    // audit is in no access file: gatehouse does not manage it, so it records nothing of it.
    expect(await adoptedOf(repo)).toHaveLength(1);

    const at = await access(repo, "ops", "--at", "2026-03-15");
    expect(at.code).toBe(0);
    expect(at.stdout).toContain(
      "ops in app at 2026-03-15T23:59:59.999Z: 3 member(s) (1 gatehouse applied, 2 held since before gatehouse)",
    );
    expect(at.stdout).toMatch(
      / {2}ann {2}held since before gatehouse \(journal #2, run #1, commit \w+, by .*\): found there at 2026-03-01T09:00:00\.000Z by the run that took the group on, and kept; held from then at the latest/,
    );
    expect(at.stdout).toMatch(
      / {2}dan {2}since 2026-03-01T09:00:00\.000Z \(journal #\d+, .*\): added in config/,
    );
    // cy was removed by that run: not held afterwards, and not "held outside gatehouse" either.
    expect(at.stdout).not.toMatch(/\bcy\b/);

    const json = JSON.parse((await access(repo, "ops", "--at", "2026-03-15", "--format", "json")).stdout) as {
      groups: { members: { member: string; reason: string; adopted?: { runSeq: number } }[] }[];
    };
    expect(json.groups[0]?.members.map((m) => [m.member, m.reason, m.adopted?.runSeq])).toEqual([
      ["ann", "adopted", 1],
      ["bob", "adopted", 1],
      ["dan", "added-in-config", undefined],
    ]);

    // Before the run: gatehouse had not changed it, but the members it found then may have held it.
    const before = await access(repo, "ops", "--at", "2026-02-15");
    expect(before.stdout).toContain(
      "ops in app at 2026-02-15T23:59:59.999Z: gatehouse had not changed it by then",
    );
    expect(before.stdout).toContain(
      "  and 3 member(s) the run that took the group on in app later found holding it (run #1 at 2026-03-01T09:00:00.000Z): held since before gatehouse, so they may have held it then",
    );
    expect(before.stdout).toContain("  ? cy  found holding it at 2026-03-01T09:00:00.000Z");

    // journal run says which groups the run took on, and how many held each.
    const run = await repo.run(["journal", "run", "1"], { now: LATER });
    expect(run.stdout).toContain(
      "  took on 1 group(s), recording who held them before gatehouse (3 member(s)): ops in app (3)",
    );
    const runJson = JSON.parse(
      (await repo.run(["journal", "run", "1", "--format", "json"], { now: LATER })).stdout,
    ) as { adopted?: unknown };
    expect(runJson.adopted).toEqual([{ provider: "app", group: "ops", members: 3, groupMembers: 0 }]);

    expect((await repo.run(["journal", "verify"], { now: LATER })).code).toBe(0);
  });

  it("reads a later removal of an adopted member as the end of that holding, and records the group once", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    await repo.write("access/groups/teams.yaml", groups(group("ops", "ann, dan")));
    await repo.commit("bob leaves ops");
    expect((await apply(repo, T2)).code).toBe(0);
    // The second run found ops on record: nothing recorded again.
    expect(await adoptedOf(repo)).toHaveLength(1);

    const window = await access(repo, "ops", "--since", "2026-02-15", "--until", "2026-05-01");
    expect(window.code).toBe(0);
    const lines = window.stdout.split("\n");
    const bob = lines.findIndex((l) => l.startsWith("  bob  "));
    expect(lines[bob]).toMatch(
      /^ {2}bob {2}held since before gatehouse to 2026-04-01T09:00:00\.000Z \(journal #2, run #1, /,
    );
    // The plan gives its reason from the files gatehouse last applied (they gave bob the group): removed
    // from config, not drift, though gatehouse never added bob.
    expect(lines[bob + 1]).toMatch(
      /^ {4}ended by its removal, journal #\d+ .*: removed from config: no longer in the access files \(they held it at [0-9a-f]{12}, the commit gatehouse last applied\)/,
    );
    // Its removal ends a holding on record: no member held outside gatehouse (since when unknown).
    expect(window.stdout).not.toMatch(/member\(s\) held outside gatehouse/);
    const after = await access(repo, "ops", "--at", "2026-04-15");
    expect(after.stdout).toContain("2 member(s) (1 gatehouse applied, 1 held since before gatehouse)");
    expect(after.stdout).not.toMatch(/ {2}bob /);
    expect(after.stdout).not.toMatch(/member\(s\) held outside gatehouse/);
  });

  it("records a group the files take on later when it comes under management, and none gatehouse made", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    // The first run deleted audit (in no access file, authoritative); someone made it again by hand.
    await repo.write(".gatehouse/app.json", await withMember(repo, "audit", "cy"));
    await repo.write(
      "access/groups/teams.yaml",
      groups(group("ops", "ann, bob, dan"), group("audit", "cy, eve"), group("fresh", "ann")),
    );
    await repo.commit("audit and fresh under management");
    const second = await apply(repo, T2);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    const adopted = await adoptedOf(repo);
    expect(adopted.map((e) => [e["group"], e["members"], e["late"]])).toEqual([
      ["ops", ["ann", "bob", "cy"], undefined],
      ["audit", ["cy"], undefined],
    ]);
    const audit = await access(repo, "audit", "--at", "2026-04-15");
    expect(audit.stdout).toContain("2 member(s) (1 gatehouse applied, 1 held since before gatehouse)");
    expect(audit.stdout).toMatch(
      / {2}cy {2}held since before gatehouse \(.*\): found there at 2026-04-01T09:00:00\.000Z/,
    );
    // fresh was made by gatehouse: its one member is gatehouse's add, and a third run records nothing.
    expect((await apply(repo, LATER)).code).toBe(0);
    expect(await adoptedOf(repo)).toHaveLength(2);
  });

  it("records a group taken on after runs that made every group, as held before gatehouse (not late)", async () => {
    const repo = await adoptingRepo();
    await repo.write("access/groups/teams.yaml", groups(group("fresh", "ann")));
    await repo.commit("only a group gatehouse makes");
    expect((await apply(repo, T1)).code).toBe(0);
    expect(await adoptedOf(repo)).toEqual([]);
    await repo.write(".gatehouse/app.json", await withMember(repo, "ops", "bob"));
    await repo.write("access/groups/teams.yaml", groups(group("fresh", "ann"), group("ops", "bob, dan")));
    await repo.commit("ops taken on");
    expect((await apply(repo, T2)).code).toBe(0);
    expect((await adoptedOf(repo)).map((e) => [e["group"], e["members"], e["late"]])).toEqual([
      ["ops", ["bob"], undefined],
    ]);
  });

  it("records the holders of a journal an older gatehouse wrote once, as found then (late)", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    await asWrittenByOlderGatehouse(repo);
    // eve added by hand meanwhile; additive mode keeps her.
    await repo.write(".gatehouse/app.json", await withMember(repo, "ops", "eve"));
    await repo.write("access/gatehouse.yaml", CONFIG.replace("authoritative", "additive"));
    await repo.commit("additive");
    expect((await apply(repo, T2)).code).toBe(0);
    const adopted = await adoptedOf(repo);
    // dan is gatehouse's add (journal #…): not adopted. cy was removed by the first run.
    expect(adopted.map((e) => [e["group"], e["members"], e["late"]])).toEqual([
      ["ops", ["ann", "bob", "eve"], true],
    ]);
    const at = await access(repo, "ops", "--at", "2026-04-15");
    expect(at.stdout).toMatch(
      / {2}eve {2}held since before 2026-04-01T09:00:00\.000Z \(.*\): not added by gatehouse: .*an older gatehouse managed the group before, so it may also have been added by hand since then/,
    );
    expect((await repo.run(["journal", "verify"], { now: LATER })).code).toBe(0);
  });

  it("keeps the record of a run killed after it (the next apply records nothing again)", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    // The run as a kill right after its writes' announcement leaves it: adopted, intent, no outcome.
    const journal = await entries(repo);
    const cut = journal.findIndex((e) => e["type"] === "intent");
    expect(journal.slice(0, cut).map((e) => e["type"])).toEqual(["apply-start", "adopted"]);
    await repo.write(
      JOURNAL_FILE,
      journal
        .slice(0, cut + 1)
        .map((e) => JSON.stringify(e) + "\n")
        .join(""),
    );
    await forgetReads(repo);
    expect((await apply(repo, T2)).code).toBe(0);
    expect(await adoptedOf(repo)).toHaveLength(1);
    const at = await access(repo, "ops", "--at", "2026-04-15");
    expect(at.stdout).toMatch(/ {2}ann {2}held since before gatehouse/);
    expect((await repo.run(["journal", "verify"], { now: LATER })).code).toBe(0);
  });
});

describe("an adopted group in the journal's chain", () => {
  it("is checked by journal verify: a name taken out of an adopted entry breaks the chain there", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    const text = await repo.read(JOURNAL_FILE);
    await repo.write(JOURNAL_FILE, text.replace('"members":["ann","bob","cy"]', '"members":["ann","bob"]'));
    const verify = await repo.run(["journal", "verify"], { now: LATER });
    expect(verify.code).toBe(1);
    expect(verify.stdout + verify.stderr).toContain(
      "journal.jsonl:2 entry seq 2 was edited: its content does not match its hash",
    );
  });

  it("follows a rename gatehouse applies: the group stays on record under its new name", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    await repo.write(
      "access/groups/teams.yaml",
      groups("- name: ops-team\n  formerNames: [ops]\n  owners: [ann]\n  members: [ann, bob, dan]\n"),
    );
    await repo.commit("ops is ops-team now");
    expect((await apply(repo, T2)).code).toBe(0);
    expect((await apply(repo, LATER)).code).toBe(0);
    expect(await adoptedOf(repo)).toHaveLength(1);
    const at = await access(repo, "ops-team", "--at", "2026-04-15");
    expect(at.stdout).toContain(
      "ops-team in app at 2026-04-15T23:59:59.999Z: 3 member(s) (1 gatehouse applied, 2 held since before gatehouse)",
    );
  });
});

async function forgetReads(repo: TempRepo): Promise<void> {
  const cache = path.join(repo.cwd, ".gatehouse/cache");
  for (const name of await readdir(cache)) if (name.startsWith("journal-")) await rm(path.join(cache, name));
}

/** The journal as a gatehouse before adoptions were recorded wrote it: no `adopted` entry, chained again. */
async function asWrittenByOlderGatehouse(repo: TempRepo): Promise<void> {
  let previous: JournalEntry | undefined;
  const lines: string[] = [];
  for (const entry of await entries(repo)) {
    if (entry["type"] === "adopted") continue;
    delete entry["adopts"]; // nor did its apply-start say it records them
    // Sealed again: seq, prevHash and hash are given anew. Runs are named by their apply-start's seq,
    // which the dropped entries (after it) do not change.
    previous = sealEntry(entry as unknown as NewJournalEntry, previous);
    lines.push(JSON.stringify(previous) + "\n");
  }
  await repo.write(JOURNAL_FILE, lines.join(""));
  await forgetReads(repo);
}

async function withMember(repo: TempRepo, name: string, member: string): Promise<string> {
  const live = JSON.parse(await repo.read(".gatehouse/app.json")) as {
    groups: { name: string; members: string[]; groupMembers?: string[] }[];
  };
  const found = live.groups.find((g) => g.name === name);
  if (found === undefined) live.groups.push({ name, members: [member], groupMembers: [] });
  else found.members.push(member);
  return JSON.stringify(live);
}

describe("explain of a member held before gatehouse", () => {
  it("points to the adopted membership beside the files' reason, and to one the files do not give", async () => {
    const repo = await adoptingRepo();
    await repo.write("access/gatehouse.yaml", CONFIG.replace("authoritative", "additive"));
    await repo.write(
      "access/groups/teams.yaml",
      groups(group("ops", "ann, bob, dan"), "- name: audit\n  owners: [ann]\n  members: [eve]\n"),
    );
    await repo.commit("additive: audit keeps cy, whom no line gives");
    expect((await apply(repo, T1)).code).toBe(0);
    const cy = await repo.run(["explain", "cy"], { now: LATER });
    expect(cy.code).toBe(0);
    expect(cy.stdout).toContain(
      "  ops  [app]  not given by the access files\n    held in app since before gatehouse: found there by the run that took the group on (run #1 at 2026-03-01T09:00:00.000Z, journal #2); `gatehouse journal access ops` tells more",
    );
    expect(cy.stdout).toContain("  audit  [app]  not given by the access files");
    const ann = await repo.run(["explain", "ann", "ops", "--format", "json"], { now: LATER });
    const json = JSON.parse(ann.stdout) as { groups: { group: string; heldBeforeGatehouse?: unknown[] }[] };
    expect(json.groups[0]?.heldBeforeGatehouse).toEqual([
      { provider: "app", at: "2026-03-01T09:00:00.000Z", seq: 2, runSeq: 1 },
    ]);
    // dan's membership is gatehouse's add: nothing held before.
    const dan = await repo.run(["explain", "dan"], { now: LATER });
    expect(dan.stdout).not.toContain("since before gatehouse");
  });

  it("no longer points to it once a run removed the membership", async () => {
    const repo = await adoptingRepo();
    expect((await apply(repo, T1)).code).toBe(0);
    // cy was in ops before; the first (authoritative) run removed her.
    const cy = await repo.run(["explain", "cy"], { now: LATER });
    expect(cy.stdout).not.toContain("since before gatehouse");
    expect(cy.stdout).toContain("  no memberships");
    const before = await repo.run(["explain", "bob", "ops"], { now: LATER });
    expect(before.stdout).toContain("held in app since before gatehouse");
  });
});
