import { describe, expect, it } from "vitest";
import { DIRECTORY_FILE, readDirectory, useTempRepos } from "./repo.ts";

const repo = useTempRepos();

/** The live groups of the repo's embedded directory, read the way gatehouse reads them. */
async function groupsOf(cwd: string): Promise<Map<string, readonly string[]>> {
  const live = await readDirectory(cwd);
  return new Map(live.groups.map((g) => [g.name, [...g.members].sort()]));
}

const GROUPS_FILE = "access/groups/engineering.yaml";

/** The example's engineering groups with team-sre-write renamed to team-reliability-write (formerNames). */
function renamedSre(text: string): string {
  return text
    .replaceAll("group: team-sre-write", "group: team-reliability-write")
    .replace(
      "  - name: team-sre-write\n",
      "  - name: team-reliability-write\n    formerNames: [team-sre-write]\n",
    );
}

describe("renaming a group with formerNames", { tags: ["slow"] }, () => {
  it("renames the live group in place, keeps its members and the groups that nest it, then converges", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const before = (await groupsOf(r.cwd)).get("team-sre-write");
    expect(before?.length).toBeGreaterThan(0);

    await r.write(GROUPS_FILE, renamedSre(await r.read(GROUPS_FILE)));
    await r.commit("rename team-sre-write");

    const plan = await r.run(["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("~ rename group team-sre-write to team-reliability-write");
    expect(plan.stdout).not.toContain("delete group team-sre-write");
    expect(plan.stdout).not.toContain("create group team-reliability-write");

    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const after = await groupsOf(r.cwd);
    expect(after.has("team-sre-write")).toBe(false);
    expect(after.get("team-reliability-write")).toEqual(before);
    const again = await r.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes");
    expect(again.code).toBe(0);
  });

  it("keeps what gatehouse applied attached to the group through a rename, and lets a new group of the old name start clean", async () => {
    const r = await repo();
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    await r.write(
      "access/gatehouse.yaml",
      (await r.read("access/gatehouse.yaml")).replace("mode: authoritative", "mode: additive"),
    );
    const file = GROUPS_FILE;
    // Renamed, and kenji (whom gatehouse added) dropped in the same edit.
    await r.write(
      file,
      renamedSre(await r.read(file)).replace("members: [bob, dmitri, kenji]", "members: [bob, dmitri]"),
    );
    await r.commit("rename team-sre-write, drop kenji");
    const plan = await r.run(["plan"]);
    expect(plan.stdout).toContain("~ rename group team-sre-write to team-reliability-write");
    expect(plan.stdout).toMatch(/- remove kenji from team-reliability-write.*removed from config/);
    expect((await r.run(["apply", "--yes", "--allow-removals", "5"])).code).toBe(0);
    expect((await groupsOf(r.cwd)).get("team-reliability-write")).toEqual(["bob", "dmitri"]);
    expect((await r.run(["plan"])).stdout).toContain("No changes");

    // A new group under the old name: kenji, added there by hand, is not gatehouse's to remove.
    await r.write(
      file,
      (await r.read(file)).replace(
        "  - name: team-product-write\n",
        "  - name: team-sre-write\n    description: A new team\n    owners: [bob, carol]\n    members: [bob]\n\n  - name: team-product-write\n",
      ),
    );
    await r.commit("a new team-sre-write");
    expect((await r.run(["apply", "--yes"])).code).toBe(0);
    const directory = JSON.parse(await r.read(DIRECTORY_FILE)) as {
      groups: { name: string; members: string[] }[];
    };
    directory.groups.find((g) => g.name === "team-sre-write")?.members.push("kenji");
    await r.write(DIRECTORY_FILE, JSON.stringify(directory));
    const after = await r.run(["plan"]);
    expect(after.stdout).not.toMatch(/- remove kenji/);
    expect(after.stdout).toContain(
      "kept, because gatehouse did not apply them (mode: additive): kenji in team-sre-write",
    );
    expect(after.stdout).toContain("No changes to apply.");
  });
});

/** The repo's embedded directory's users, read the way gatehouse reads them. */
async function usersOf(cwd: string): Promise<Map<string, boolean>> {
  const live = await readDirectory(cwd);
  return new Map(live.users.map((u) => [u.account, u.enabled]));
}

describe(
  "an account name passed on to someone else where accounts cannot be renamed (local)",
  { tags: ["slow"] },
  () => {
    it("never hands dmitri's account to wren, who takes its name: dmitri moves to a new account, wren gets none and a note says why", async () => {
      const r = await repo();
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      const before = await groupsOf(r.cwd);
      const held = [...before].filter(([, members]) => members.includes("dmitri")).map(([group]) => group);
      expect(held.length).toBeGreaterThan(0);

      const users = "access/users/eng-platform.yaml";
      await r.edit(
        users,
        '    employeeNumber: "E1057"\n',
        '    employeeNumber: "E1057"\n    accounts: { directory: dmitri.v }\n',
      );
      await r.edit(
        users,
        "  - id: kenji\n",
        '  - id: wren\n    name: Wren Park\n    email: wren.park@example.com\n    department: ENG-PLATFORM\n    title: Site Reliability Engineer\n    manager: bob\n    employeeNumber: "E1099"\n    startDate: 2026-11-02\n    accounts: { directory: dmitri }\n\n  - id: kenji\n',
      );
      await r.commit("wren takes the account name dmitri had; dmitri gets dmitri.v");

      const plan = await r.run(["plan"]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain(
        "account dmitri in directory is dmitri's (the journal saw gatehouse manage it for dmitri), but the files now give dmitri to wren: gatehouse does not hand dmitri's account to wren",
      );
      expect((await r.run(["apply", "--yes", "--allow-removals", "50"])).code).toBe(0);

      // dmitri's groups moved to dmitri.v; the account dmitri is disabled and in none of them; wren has nothing.
      const after = await groupsOf(r.cwd);
      for (const group of held)
        expect({ group, members: after.get(group) }).toEqual({
          group,
          members: expect.arrayContaining(["dmitri.v"]) as unknown,
        });
      expect([...after].filter(([, members]) => members.includes("dmitri")).map(([group]) => group)).toEqual(
        [],
      );
      const accounts = await usersOf(r.cwd);
      expect(accounts.get("dmitri")).toBe(false);
      expect(accounts.get("dmitri.v")).toBe(true);

      const again = await r.run(["plan", "--detailed-exitcode"]);
      // Nothing to change, but wren has no account until someone deals with the name: the plan says so.
      expect(again.stdout).toContain(
        "No changes to apply, but live systems hold access gatehouse does not manage",
      );
      expect(again.stdout).toContain("gatehouse does not hand dmitri's account to wren");
      expect(again.code).toBe(2);
    });
  },
);

describe(
  "an account name of someone removed from the files, given to someone new (local)",
  { tags: ["slow"] },
  () => {
    it("does not enable dmitri's disabled account for wren, who takes its name once dmitri left and was removed: a note names both", async () => {
      const r = await repo();
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      const users = "access/users/eng-platform.yaml";
      await r.edit(
        users,
        '    employeeNumber: "E1057"\n',
        '    employeeNumber: "E1057"\n    status: terminated\n',
      );
      await r.commit("dmitri leaves");
      expect((await r.run(["apply", "--yes", "--allow-removals", "50"])).code).toBe(0);
      expect((await usersOf(r.cwd)).get("dmitri")).toBe(false);

      // HR drops dmitri from the export; wren is hired and given the account name dmitri had.
      const text = await r.read(users);
      const start = text.indexOf("  - id: dmitri\n");
      const end = text.indexOf("  - id: kenji\n");
      await r.write(
        users,
        text.slice(0, start) +
          '  - id: wren\n    name: Wren Park\n    email: wren.park@example.com\n    department: ENG-PLATFORM\n    title: Site Reliability Engineer\n    manager: bob\n    employeeNumber: "E1099"\n    startDate: 2026-11-02\n    accounts: { directory: dmitri }\n\n' +
          text.slice(end),
      );
      await r.edit(
        "access/groups/engineering.yaml",
        "members: [bob, dmitri, kenji]",
        "members: [bob, kenji, wren]",
      );
      await r.commit("dmitri removed; wren joins with the account name dmitri had");

      const plan = await r.run(["plan"]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain(
        "account dmitri in directory is disabled, and the journal saw gatehouse manage it for dmitri, who is no longer in the files; the files now give dmitri to wren",
      );
      expect(plan.stdout).toContain("directory (local, authoritative): 0 change(s)");
      expect((await r.run(["apply", "--yes"])).code).toBe(0);
      expect((await usersOf(r.cwd)).get("dmitri")).toBe(false);
      expect([...(await groupsOf(r.cwd))].filter(([, members]) => members.includes("dmitri"))).toEqual([]);
    });
  },
);
