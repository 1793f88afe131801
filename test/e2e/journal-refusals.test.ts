/**
 * A run the guard rails refused still makes its leavers' offboarding, and records the refusals in its
 * apply-start (`refused`): `journal changes` and `journal access` say what it did not make, and why, on a
 * real git repository with the local provider.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTempRepos, type TempRepo } from "./repo.ts";

const newRepo = useTempRepos();

const PROVIDERS = "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n";
const policy = (maxRemovals: number): string =>
  `policy:\n  guardrails: { maxRemovals: ${String(maxRemovals)}, protectedGroups: [db-admin] }\n`;
const people = (cy = ""): string =>
  `users:\n${["ann", "bob", "cy", "dan", "mal"].map((id) => `  - { id: ${id}, name: ${id}${id === "cy" ? cy : ""} }`).join("\n")}\n`;
const groups = (team: string): string =>
  `groups:\n  - name: db-admin\n    owners: [ann]\n    members: [ann]\n  - name: team\n    owners: [ann]\n    members: [${team}]\n`;

const FIRST = new Date("2026-03-01T09:00:00Z");
const REFUSED = new Date("2026-03-02T09:00:00Z");
const FORCED = new Date("2026-03-03T09:00:00Z");
const LATER = new Date("2026-03-10T00:00:00Z");

/** A repository applied once: ann in db-admin (protected), everyone in team. */
async function site(maxRemovals = 10): Promise<TempRepo> {
  const repo = await newRepo({ withAccess: false });
  await repo.write("access/gatehouse.yaml", PROVIDERS + policy(maxRemovals));
  await repo.write("access/users/people.yaml", people());
  await repo.write("access/groups/groups.yaml", groups("ann, bob, cy, dan, mal"));
  await repo.commit("access: first");
  expect((await repo.run(["apply", "--yes"], { now: FIRST })).code).toBe(0);
  return repo;
}

/** Adds `member` to `group` in the local directory, by hand. */
async function addByHand(repo: TempRepo, group: string, member: string): Promise<void> {
  const file = path.join(repo.cwd, ".gatehouse/app.json");
  const state = JSON.parse(await readFile(file, "utf8")) as { groups: { name: string; members: string[] }[] };
  state.groups.find((g) => g.name === group)?.members.push(member);
  await writeFile(file, JSON.stringify(state));
}

interface Refusal {
  readonly at: string;
  readonly seq: number;
  readonly message: string;
  readonly provider?: string;
  readonly changeId?: string;
  readonly group?: string;
  readonly account?: string;
  readonly made: number;
}

describe("journal changes and journal access on a run the guard rails refused", () => {
  it("name the refused removal from a protected group, and the run that made only the leaver's offboarding", async () => {
    const repo = await site();
    // mal is put in db-admin by hand; cy leaves. The drift removal is refused, cy's offboarding is made.
    await addByHand(repo, "db-admin", "mal");
    await repo.write("access/users/people.yaml", people(", status: terminated"));
    await repo.commit("access: cy leaves");
    const applied = await repo.run(["apply", "--yes"], { now: REFUSED });
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("only the offboarding of its 1 leaver(s) are applied now");
    const message =
      "app:membership/db-admin/mal: membership remove narrows protected group db-admin; re-run with --force if intended";

    const changes = await repo.run(["journal", "changes"], { now: LATER });
    expect(changes.code).toBe(0);
    const lines = changes.stdout.split("\n");
    const refusedAt = lines.findIndex((l) => l.includes("REFUSED by the guard rails"));
    expect(lines[refusedAt]).toMatch(
      new RegExp(
        `^2026-03-02T09:00:00.000Z {2}app {2}REFUSED by the guard rails, not applied: ${escape(message)} {2}\\(journal #\\d+, run #\\d+, commit [0-9a-f]{12}, by .*; it made only 2 change\\(s\\) \\(grant endings, leavers' offboarding that passed the guard rails on its own\\), the rest of its plan waits for an apply with the override\\)$`,
      ),
    );
    // Before the run's changes, as its apply-start is before them.
    expect(lines.findIndex((l) => l.includes("remove cy from team"))).toBeGreaterThan(refusedAt);
    expect(lines.at(-2)).toMatch(/ and 1 guard-rail refusal\(s\) of runs that made only part of their plan /);

    // Asked about mal, or db-admin: the refusal names them. About cy, or team: it does not.
    for (const filter of [
      ["--user", "mal"],
      ["--group", "db-admin"],
      ["--provider", "app"],
    ]) {
      const json = await repo.run(["journal", "changes", ...filter, "--format", "json"], { now: LATER });
      expect(json.code).toBe(0);
      const { refusals } = JSON.parse(json.stdout) as { refusals: Refusal[] };
      expect(refusals).toEqual([
        expect.objectContaining({
          at: "2026-03-02T09:00:00.000Z",
          message,
          provider: "app",
          changeId: "app:membership/db-admin/mal",
          group: "db-admin",
          account: "mal",
          made: 2,
        }),
      ]);
    }
    for (const filter of [
      ["--user", "cy"],
      ["--group", "team"],
    ]) {
      const json = await repo.run(["journal", "changes", ...filter, "--format", "json"], { now: LATER });
      expect((JSON.parse(json.stdout) as { refusals: Refusal[] }).refusals).toEqual([]);
    }
    // A protected group gatehouse never changed is still known to the journal through the refusal.
    expect((await repo.run(["journal", "changes", "--user", "mal"], { now: LATER })).stderr).toBe("");

    // journal access: the refusal stands for db-admin until a run of app is let through.
    const between = await repo.run(["journal", "access", "db-admin", "--at", "2026-03-02T12:00:00Z"], {
      now: LATER,
    });
    expect(between.code).toBe(0);
    expect(between.stdout).toContain(
      "  and 1 guard-rail refusal(s) standing then (no run of this system since was let through): what they refused was not applied, so members it would have removed kept db-admin\n" +
        `  ! ${message}  (the run at 2026-03-02T09:00:00.000Z, journal #`,
    );
    const team = await repo.run(["journal", "access", "team", "--at", "2026-03-02T12:00:00Z"], {
      now: LATER,
    });
    expect(team.stdout).not.toContain("guard-rail refusal");
    // Before the refused run, nothing stood.
    const before = await repo.run(["journal", "access", "db-admin", "--at", "2026-03-01T12:00:00Z"], {
      now: LATER,
    });
    expect(before.stdout).not.toContain("guard-rail refusal");

    // Forced: mal goes, and db-admin is renamed db-admins. The refusal no longer stands after that run; a
    // window over both still shows it, under the group's later name.
    await repo.write(
      "access/gatehouse.yaml",
      PROVIDERS + policy(10).replace("protectedGroups: [db-admin]", "protectedGroups: [db-admins]"),
    );
    await repo.write(
      "access/groups/groups.yaml",
      groups("ann, bob, cy, dan, mal").replace(
        "  - name: db-admin\n",
        "  - name: db-admins\n    formerNames: [db-admin]\n",
      ),
    );
    await repo.commit("access: db-admin is db-admins");
    expect((await repo.run(["apply", "--yes", "--force"], { now: FORCED })).code).toBe(0);
    const after = await repo.run(
      ["journal", "access", "db-admin", "--at", "2026-03-04", "--format", "json"],
      {
        now: LATER,
      },
    );
    expect((JSON.parse(after.stdout) as { groups: { refused: Refusal[] }[] }).groups[0]?.refused).toEqual([]);
    const window = await repo.run(
      ["journal", "access", "db-admin", "--since", "2026-03-01", "--until", "2026-03-04", "--format", "json"],
      { now: LATER },
    );
    const during = JSON.parse(window.stdout) as { groups: { refused: Refusal[] }[] };
    expect(during.groups[0]?.refused).toEqual([
      expect.objectContaining({ message, changeId: "app:membership/db-admin/mal", made: 2 }),
    ]);
    const windowText = await repo.run(
      ["journal", "access", "db-admin", "--since", "2026-03-01", "--until", "2026-03-04"],
      { now: LATER },
    );
    expect(windowText.stdout).toContain(
      "  and 1 guard-rail refusal(s) standing at some moment of the window",
    );
  });

  it("says a removal limit held back removals the journal does not list, for anyone asked about in that system", async () => {
    // cy's offboarding alone (account disabled, out of team: 2) passes maxRemovals 2; with bob and dan
    // taken out of team too, the plan removes 4 and is refused.
    const repo = await site(2);
    await repo.write("access/users/people.yaml", people(", status: terminated"));
    await repo.write("access/groups/groups.yaml", groups("ann, cy, mal"));
    await repo.commit("access: cy leaves, bob and dan leave team");
    const applied = await repo.run(["apply", "--yes"], { now: REFUSED });
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("the plan removes 4 memberships or accounts in app");

    const bob = await repo.run(["journal", "changes", "--user", "bob"], { now: LATER });
    expect(bob.stdout).toContain(
      "app  REFUSED by the guard rails, not applied: the plan removes 4 memberships or accounts in app, more than allowed",
    );
    expect(bob.stdout).toContain(
      "; which removals it held back, the journal does not record: it may be one asked about)",
    );
    // Unfiltered, the line does not guess.
    const all = await repo.run(["journal", "changes"], { now: LATER });
    expect(all.stdout).not.toContain("it may be one asked about");

    const team = await repo.run(["journal", "access", "team", "--at", "2026-03-02T12:00:00Z"], {
      now: LATER,
    });
    expect(team.stdout).toContain(
      "which removals it held back, the journal does not record: any member of team among them kept it)",
    );
    // Another system asked about: not its refusal.
    const other = await repo.run(["journal", "changes", "--provider", "nope", "--format", "json"], {
      now: LATER,
    });
    expect((JSON.parse(other.stdout) as { refusals: Refusal[] }).refusals).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}
