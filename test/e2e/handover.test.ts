import { describe, expect, it } from "vitest";
import { readDirectory, useTempRepos, type TempRepo } from "./repo.ts";

const repo = useTempRepos();

const USERS = "access/users/eng-platform.yaml";
const GROUPS = "access/groups/engineering.yaml";

/** The live accounts (enabled or not) and groups of the repo's embedded directory, read the way gatehouse reads them. */
async function liveOf(cwd: string): Promise<{ users: Map<string, boolean>; groups: Map<string, string[]> }> {
  const live = await readDirectory(cwd);
  return {
    users: new Map(live.users.map((u) => [u.account, u.enabled])),
    groups: new Map(live.groups.map((g) => [g.name, [...g.members].sort()])),
  };
}

/** dmitri's entry in the users file replaced by `entry` (nothing, to remove him). */
async function replaceDmitri(r: TempRepo, entry: string): Promise<void> {
  const text = await r.read(USERS);
  const start = text.indexOf("  - id: dmitri\n");
  const end = text.indexOf("  - id: kenji\n");
  expect(start).toBeGreaterThan(0);
  await r.write(USERS, text.slice(0, start) + entry + text.slice(end));
}

const WREN =
  '  - id: wren\n    name: Wren Park\n    email: wren.park@example.com\n    department: ENG-PLATFORM\n    title: Site Reliability Engineer\n    manager: bob\n    employeeNumber: "E1099"\n    startDate: 2026-11-02\n    accounts: { directory: dmitri }\n\n';

describe(
  "an enabled account of someone removed from the files, whose name the files give to someone new (local)",
  { tags: ["slow"] },
  () => {
    it("is not handed to wren: no update or group for wren on it, a note names both, and it is disabled as nobody's (authoritative)", async () => {
      const r = await repo();
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      const before = await liveOf(r.cwd);
      expect(before.users.get("dmitri")).toBe(true);
      const dmitrisGroups = [...before.groups].filter(([, m]) => m.includes("dmitri")).map(([g]) => g);
      expect(dmitrisGroups).toContain("team-sre-write");

      // dmitri is removed from the files (not marked a leaver); wren joins with the account name dmitri had.
      await replaceDmitri(r, WREN);
      await r.edit(GROUPS, "members: [bob, dmitri, kenji]", "members: [bob, kenji, wren]");
      await r.commit("dmitri removed; wren joins with the account name dmitri had");

      const plan = await r.run(["plan", "--format", "json"]);
      expect(plan.code).toBe(0);
      const json = JSON.parse(plan.stdout) as {
        changes: {
          kind: string;
          action: string;
          account?: string;
          member?: string;
          userId?: string;
          reason: string;
          risk: string;
        }[];
        notes: { provider: string; kind: string; message: string }[];
      };
      const onDmitri = json.changes.filter((c) => c.account === "dmitri" || c.member === "dmitri");
      // Nothing for wren on it: no update, enable or group; it is disabled and leaves the groups, as dmitri's.
      expect(onDmitri.filter((c) => c.userId !== "dmitri")).toEqual([]);
      expect(onDmitri.filter((c) => c.kind === "user").map((c) => `${c.action} ${c.reason}`)).toEqual([
        "disable removed-from-config",
      ]);
      expect(onDmitri.filter((c) => c.kind === "membership").map((c) => c.action)).not.toContain("add");
      expect(json.notes.map((n) => `${n.kind}: ${n.message}`)).toContainEqual(
        expect.stringContaining(
          "unmanaged: account dmitri in directory is enabled, and the journal saw gatehouse manage it for dmitri, who is no longer in the files; the files now give dmitri to wren: gatehouse does not hand it to wren",
        ),
      );

      // Disabling it (and taking it out of its groups) narrows access: the guard rails count it.
      expect(onDmitri.every((c) => c.risk === "narrows")).toBe(true);
      expect(onDmitri.length).toBeGreaterThan(1);

      expect((await r.run(["apply", "--yes", "--allow-removals", "50"])).code).toBe(0);
      const after = await liveOf(r.cwd);
      expect(after.users.get("dmitri")).toBe(false);
      expect([...after.groups].filter(([, m]) => m.includes("dmitri")).map(([g]) => g)).toEqual([]);
      const again = await r.run(["plan"]);
      expect(again.stdout).toContain("gatehouse does not hand it to wren");
      expect(again.stdout).not.toContain("enable user dmitri");
    });

    it("stays the person's when they list the id it was managed for in formerIds (an id change)", async () => {
      const r = await repo();
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      await replaceDmitri(
        r,
        '  - id: dvolkov\n    formerIds: [dmitri]\n    name: Dmitri Volkov\n    email: dmitri.volkov@example.com\n    department: ENG-PLATFORM\n    title: Site Reliability Engineer\n    manager: bob\n    employeeNumber: "E1057"\n    startDate: 2023-04-03\n    accounts: { directory: dmitri }\n\n',
      );
      await r.edit(GROUPS, "members: [bob, dmitri, kenji]", "members: [bob, dvolkov, kenji]");
      await r.commit("dmitri's id is dvolkov now");

      const plan = await r.run(["plan", "--detailed-exitcode"]);
      expect(plan.stderr).not.toContain(" error ");
      expect(plan.stdout).toContain("No changes");
      expect(plan.stdout).not.toContain("no longer in the files");
      expect(plan.code).toBe(0);
    });

    it("gives a rehire (the same id back in the files) their account back", async () => {
      const r = await repo();
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      const entry = / {2}- id: dmitri\n[\s\S]*?\n\n/.exec(await r.read(USERS))?.[0] ?? "";
      expect(entry).toContain("Dmitri Volkov");
      await replaceDmitri(r, "");
      await r.edit(GROUPS, "members: [bob, dmitri, kenji]", "members: [bob, kenji]");
      await r.commit("dmitri removed");
      expect((await r.run(["apply", "--yes", "--allow-removals", "50"])).code).toBe(0);
      expect((await liveOf(r.cwd)).users.get("dmitri")).toBe(false);

      const text = await r.read(USERS);
      const at = text.indexOf("  - id: kenji\n");
      await r.write(USERS, text.slice(0, at) + entry + text.slice(at));
      await r.edit(GROUPS, "members: [bob, kenji]", "members: [bob, dmitri, kenji]");
      await r.commit("dmitri rehired");
      const plan = await r.run(["plan"]);
      expect(plan.stdout).toContain("+ enable user dmitri");
      expect(plan.stdout).not.toContain("no longer in the files");
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      const after = await liveOf(r.cwd);
      expect(after.users.get("dmitri")).toBe(true);
      expect(after.groups.get("team-sre-write")).toContain("dmitri");
    });
  },
);
