/**
 * An account adopted before gatehouse managed it (import: the journal never saw it), whose name the files
 * change: the plan cannot know it is the person's, so it disables it as in no access file and creates the
 * new one. That disable, and the old account's removals from groups, must wait for the new account: when
 * it cannot be made, the person keeps the account they have (found in a trial against slapd, where the
 * new name was taken and the person was left with no working account).
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeProviders, preparePlan } from "../../src/engine/prepare-plan.ts";
import { runApply } from "../../src/engine/run-apply.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

interface Stored {
  users: { account: string; enabled: boolean; email?: string; sessions: []; tokens: [] }[];
  groups: { name: string; members: string[]; groupMembers: string[] }[];
}

const person = (account: string, email: string): Stored["users"][number] => ({
  account,
  email,
  enabled: true,
  sessions: [],
  tokens: [],
});

/** A site whose directory already holds ann and grace in staff (adopted: no journal), grace renamed in the files. */
async function site(): Promise<{ cwd: string; directory: string }> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gh-adopted-"));
  dirs.push(cwd);
  await mkdir(path.join(cwd, "access/users"), { recursive: true });
  await mkdir(path.join(cwd, "access/groups"), { recursive: true });
  await mkdir(path.join(cwd, ".gatehouse"), { recursive: true });
  await writeFile(
    path.join(cwd, "access/gatehouse.yaml"),
    "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 10 }\n",
  );
  await writeFile(
    path.join(cwd, "access/users/people.yaml"),
    "users:\n  - { id: ann, name: Ann, email: ann@example.com }\n" +
      "  - { id: grace, name: Grace, email: Grace@example.com, accounts: { app: grace.g } }\n",
  );
  await writeFile(
    path.join(cwd, "access/groups/staff.yaml"),
    "groups:\n  - name: staff\n    owners: [ann]\n    members: [ann, grace]\n",
  );
  const directory = path.join(cwd, ".gatehouse/app.json");
  const stored: Stored = {
    users: [person("ann", "ann@example.com"), person("grace", "grace@example.com")],
    groups: [{ name: "staff", members: ["ann", "grace"], groupMembers: [] }],
  };
  await writeFile(directory, JSON.stringify({ formatVersion: 1, ...stored }));
  return { cwd, directory };
}

describe("an adopted account whose name the files change", () => {
  it("is disabled, and taken out of its groups, only once the new account exists", async () => {
    const { cwd, directory } = await site();
    const prepared = await preparePlan({ cwd, dir: "access", now: NOW, env: {}, cacheDir: false });
    try {
      const disable = prepared.plan.changes.find((c) => c.kind === "user" && c.action === "disable");
      // The same e-mail (whatever its case) links the old account to grace's new one; not taken for hers.
      expect(disable).toMatchObject({ account: "grace", replacedBy: "grace.g", reason: "not-in-config" });
      expect(disable?.userId).toBeUndefined();
      expect(disable?.why?.[0]).toContain(
        "named and addressed as grace would be by default, whose account grace.g this plan creates",
      );
      const result = await runApply(prepared.plan, prepared.tree.model.config.policy, prepared.providers, {
        journalPath: path.join(cwd, ".gatehouse/journal.jsonl"),
        actor: "test",
        now: () => NOW,
        signal: AbortSignal.timeout(30_000),
      });
      expect(result.failed).toBe(0);
    } finally {
      await closeProviders(prepared.providers);
    }
    const after = JSON.parse(await readFile(directory, "utf8")) as Stored;
    expect(after.users.map((u) => [u.account, u.enabled])).toEqual([
      ["ann", true],
      ["grace", false],
      ["grace.g", true],
    ]);
    expect(after.groups[0]?.members).toEqual(["ann", "grace.g"]);
    // Carried out in this order (the journal's outcome entries): the new account, the old one's removal
    // from staff, then its disable.
    const done = (await readFile(path.join(cwd, ".gatehouse/journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; changeId?: string })
      .flatMap((e) => (e.type === "change" && e.changeId !== undefined ? [e.changeId] : []));
    const at = (id: string): number => done.indexOf(id);
    expect(at("app:user/grace.g")).toBeGreaterThanOrEqual(0);
    expect(at("app:user/grace.g")).toBeLessThan(at("app:membership/staff/grace"));
    expect(at("app:membership/staff/grace")).toBeLessThan(at("app:user/grace"));
  });

  it("keeps the old account enabled and in its groups when the new one cannot be made", async () => {
    const { cwd, directory } = await site();
    const prepared = await preparePlan({ cwd, dir: "access", now: NOW, env: {}, cacheDir: false });
    try {
      // Between the plan and the apply, someone takes the name (as a name taken outside the people filter
      // did against slapd): the create fails.
      const taken = JSON.parse(await readFile(directory, "utf8")) as Stored;
      taken.users.push({ ...person("grace.g", "someone.else@example.com"), enabled: false });
      await writeFile(directory, JSON.stringify({ formatVersion: 1, ...taken }));
      const result = await runApply(prepared.plan, prepared.tree.model.config.policy, prepared.providers, {
        journalPath: path.join(cwd, ".gatehouse/journal.jsonl"),
        actor: "test",
        now: () => NOW,
        signal: AbortSignal.timeout(30_000),
      });
      const outcome = (id: string): string | undefined =>
        result.results.find((r) => r.change.id === id)?.outcome;
      expect(outcome("app:user/grace.g")).toBe("failed");
      expect(outcome("app:user/grace")).toBe("skipped");
      expect(outcome("app:membership/staff/grace")).toBe("skipped");
    } finally {
      await closeProviders(prepared.providers);
    }
    const after = JSON.parse(await readFile(directory, "utf8")) as Stored;
    expect(after.users.find((u) => u.account === "grace")?.enabled).toBe(true);
    expect(after.groups[0]?.members).toContain("grace");
  });

  it("neither disables nor replaces an account renamed by hand to another name that carries the person's e-mail", async () => {
    const { cwd, directory } = await site();
    // Someone renamed grace's account to another name, keeping her address on it (an Active Directory
    // admin changing a sAMAccountName): disabling it and making a new one would lock her out of hers.
    const stored = JSON.parse(await readFile(directory, "utf8")) as Stored;
    const [, grace] = stored.users;
    if (grace) grace.account = "grace.married";
    const staff = stored.groups[0];
    if (staff) staff.members = ["ann", "grace.married"];
    await writeFile(directory, JSON.stringify({ formatVersion: 1, ...stored }));
    const prepared = await preparePlan({ cwd, dir: "access", now: NOW, env: {}, cacheDir: false });
    try {
      // Only ann's display name (the stored directory has none); nothing of grace's.
      expect(prepared.plan.changes.filter((c) => c.id.includes("grace"))).toEqual([]);
      expect(prepared.plan.notes.map((n) => [n.kind, n.message])).toContainEqual([
        "unmanaged",
        expect.stringMatching(
          /^account grace\.married in app has the e-mail of grace \(grace@example\.com\), whose account grace\.g is not there: renamed by hand\? gatehouse neither creates grace\.g .* nor disables grace\.married, and keeps it only in the groups grace holds/,
        ),
      ]);
    } finally {
      await closeProviders(prepared.providers);
    }
    // A leaver's account so renamed is theirs to offboard: disabled and out of every group.
    await writeFile(
      path.join(cwd, "access/users/people.yaml"),
      "users:\n  - { id: ann, name: Ann, email: ann@example.com }\n" +
        "  - { id: grace, name: Grace, email: Grace@example.com, status: terminated, accounts: { app: grace.g } }\n",
    );
    const leaver = await preparePlan({ cwd, dir: "access", now: NOW, env: {}, cacheDir: false });
    try {
      expect(
        leaver.plan.changes
          .filter((c) => c.id.includes("grace"))
          .map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`),
      ).toEqual([
        "user.disable app:user/grace.married user-terminated",
        "membership.remove app:membership/staff/grace.married user-terminated",
      ]);
    } finally {
      await closeProviders(leaver.providers);
    }
  });
});
