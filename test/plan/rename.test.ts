import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  group,
  live,
  liveGroup,
  liveUser,
  model,
  planFor,
  policy,
  providerConfig,
  user,
} from "../builders.ts";
import { createdBy, dependenciesOf, planBatches, runAccounts } from "../../src/apply/batches.ts";
import { checkGuardrails, countRemovals } from "../../src/plan/safety.ts";
import type { Change } from "../../src/plan/types.ts";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { foldJournal } from "../../src/audit/journal-fold.ts";

const people = [user("alice"), user("bob"), user("carol")];
const current = live(
  people.map((u) => liveUser(u.id)),
  [liveGroup("team-old-write", ["alice", "bob"])],
);
const renamedModel = model({
  users: people,
  groups: [group("team-new-write", ["alice", "bob", "carol"], { formerNames: ["team-old-write"] })],
});
const brief = (changes: readonly { kind: string; action: string; id: string; reason: string }[]): string[] =>
  changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`);

describe("group renames (formerNames)", () => {
  it("renames the live group in place where the system can, keeping its members", () => {
    const plan = planFor(renamedModel, {
      mode: "additive",
      live: current,
      capabilities: { renameGroups: true, userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "group.update directory:group/team-old-write added-in-config",
      "membership.add directory:membership/team-new-write/carol added-in-config",
    ]);
    const rename = plan.changes[0];
    expect(rename?.kind === "group" && rename.action === "update" ? rename.fields : []).toEqual([
      { field: "name", before: "team-old-write", after: "team-new-write" },
      { field: "description", before: "team-old-write description", after: "team-new-write description" },
    ]);
  });

  it("replaces the group where the system cannot rename, even in additive mode", () => {
    const plan = planFor(renamedModel, {
      mode: "additive",
      live: current,
      capabilities: { renameGroups: false, userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "group.create directory:group/team-new-write added-in-config",
      "membership.add directory:membership/team-new-write/alice added-in-config",
      "membership.add directory:membership/team-new-write/bob added-in-config",
      "membership.add directory:membership/team-new-write/carol added-in-config",
      "group.delete directory:group/team-old-write removed-from-config",
    ]);
    // The old group goes only once the new one exists: a failed create must not leave nobody with access.
    const deletion = plan.changes.at(-1);
    expect(deletion?.kind === "group" && deletion.action === "delete" ? deletion.replacedBy : undefined).toBe(
      "team-new-write",
    );
    expect(dependenciesOf(deletion ?? plan.changes[0]!)).toEqual(["group/team-new-write"]);
  });

  it("leaves a former name alone when a group by that name is still defined", () => {
    const both = model({
      users: people,
      groups: [
        group("team-new-write", ["alice"], { formerNames: ["team-old-write"] }),
        group("team-old-write", ["alice", "bob"]),
      ],
    });
    const plan = planFor(both, {
      mode: "additive",
      live: current,
      capabilities: { renameGroups: true, userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "group.create directory:group/team-new-write added-in-config",
      "membership.add directory:membership/team-new-write/alice added-in-config",
    ]);
  });
});

describe("groups renamed by hand in the system (LiveGroup.otherName, AD's sAMAccountName)", () => {
  const byHand = live(
    people.map((u) => liveUser(u.id)),
    [{ ...liveGroup("Team Old (renamed)", ["alice", "bob"]), otherName: "team-ops" }],
  );
  const wanted = model({ users: people, groups: [group("team-ops", ["alice", "carol"])] });

  it("renames the group back, as drift, and plans its members under its name: never a delete and a create", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: byHand,
      capabilities: { renameGroups: true, userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "group.update directory:group/Team Old (renamed) drift",
      "membership.remove directory:membership/team-ops/bob drift",
      "membership.add directory:membership/team-ops/carol added-in-config",
    ]);
    const rename = plan.changes[0];
    expect(rename?.kind === "group" && rename.action === "update" ? rename.fields[0] : undefined).toEqual({
      field: "name",
      before: "Team Old (renamed)",
      after: "team-ops",
    });
    expect(rename?.why?.[0]).toContain("renamed back from Team Old (renamed) to team-ops");
  });

  it("leaves the other name alone when a live group has the desired name already", () => {
    const both = live(byHand.users, [...byHand.groups, liveGroup("team-ops", ["alice", "carol"])]);
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: both,
      capabilities: { renameGroups: true, userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual(["group.delete directory:group/Team Old (renamed) not-in-config"]);
  });
});

describe("accounts renamed by hand in the system (LiveUser.otherName, an AD entry's cn)", () => {
  // bob's sAMAccountName was changed to bob.x by hand; his entry is still CN=bob.
  const byHand = live(
    [liveUser("alice"), liveUser("bob.x", { otherName: "bob" })],
    [liveGroup("team-ops", ["alice", "bob.x"]), liveGroup("domain-admins", ["alice", "bob.x"])],
  );
  const wanted = model({
    users: [user("alice"), user("bob")],
    groups: [group("team-ops", ["alice", "bob"]), group("domain-admins", ["alice"])],
  });
  const notes = (plan: { notes: readonly { kind: string; message: string }[] }): string[] =>
    plan.notes.map((n) => `${n.kind}: ${n.message}`);

  it("neither creates the account nor disables its holder; the holder keeps only the person's groups, and a note says what to do", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: byHand,
      capabilities: { userAttributes: [] },
    });
    // bob holds team-ops (kept) but not domain-admins, which the files took away: that goes.
    expect(brief(plan.changes)).toEqual(["membership.remove directory:membership/domain-admins/bob.x drift"]);
    expect(notes(plan)).toEqual([
      "unmanaged: account bob.x in directory holds the entry of bob (bob): renamed by hand? gatehouse neither creates bob (its entry name is taken) nor disables bob.x, and keeps it only in the groups bob holds. If it is bob's account, rename it back to bob in directory, or map bob to it in the files (accounts: { directory: bob.x }); if it is someone else's, rename or move that entry",
    ]);
  });

  it("treats the renamed account of a leaver as theirs: disabled and out of every group, also in additive mode", () => {
    const leaving = model({
      users: [user("alice"), user("bob", { status: "terminated" })],
      groups: [group("team-ops", ["alice"]), group("domain-admins", ["alice"])],
    });
    for (const mode of ["authoritative", "additive"] as const) {
      const plan = planFor(leaving, { mode, live: byHand, capabilities: { userAttributes: [] } });
      expect(brief(plan.changes)).toEqual([
        "user.disable directory:user/bob.x user-terminated",
        "membership.remove directory:membership/domain-admins/bob.x user-terminated",
        "membership.remove directory:membership/team-ops/bob.x user-terminated",
      ]);
    }
  });

  it("does not let a disabled account that carries the name block a new hire's account", () => {
    // An ex-employee's disabled account, renamed to free the name jdoe; a new jdoe joins.
    const state = live(
      [liveUser("jdoe.old", { otherName: "jdoe", enabled: false })],
      [liveGroup("staff", [])],
    );
    const joiner = model({ users: [user("jdoe")], groups: [group("staff", ["jdoe"])] });
    const plan = planFor(joiner, {
      mode: "authoritative",
      live: state,
      capabilities: { userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "user.create directory:user/jdoe added-in-config",
      "membership.add directory:membership/staff/jdoe added-in-config",
    ]);
  });
});

describe("accounts outside the scope read (LiveState.elsewhere: an entry moved out of the people OU by hand)", () => {
  const WHERE = "CN=bob,OU=Elsewhere,DC=example,DC=com";
  // bob's entry was moved to OU=Elsewhere: it is still in team-ops, and still carol's manager.
  const moved = {
    ...live([liveUser("alice"), liveUser("carol")], [liveGroup("team-ops", ["alice"])]),
    elsewhere: [{ account: "bob", where: WHERE }],
  };
  const wanted = model({
    users: [user("alice"), user("bob"), user("carol", { manager: "bob" })],
    groups: [group("team-ops", ["alice", "bob"]), group("staff", ["bob", "carol"])],
  });
  const notes = (plan: { notes: readonly { kind: string; message: string }[] }): string[] =>
    plan.notes.map((n) => `${n.kind}: ${n.message}`);

  it("neither creates the account again nor adds it to groups nor points a manager at it, and says where it is", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: moved,
      capabilities: { userAttributes: ["manager"] },
    });
    expect(brief(plan.changes)).toEqual([
      "group.create directory:group/staff added-in-config",
      "membership.add directory:membership/staff/carol added-in-config",
    ]);
    expect(notes(plan)).toEqual([
      `unmanaged: account bob (bob) is in directory outside the scope gatehouse reads, at ${WHERE}: moved there by hand? gatehouse neither creates bob again (directory would refuse the name, or hold two accounts) nor adds it to groups. If it is bob's account, move the entry back where gatehouse creates accounts, and it is managed again; if it is someone else's, rename or move that entry`,
    ]);
  });

  it("matches the name whatever its case where the system does", () => {
    const shouting = { ...moved, elsewhere: [{ account: "BOB", where: WHERE }] };
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: shouting,
      capabilities: { userAttributes: [], caseInsensitiveNames: true },
    });
    expect(brief(plan.changes).filter((c) => c.includes("/bob"))).toEqual([]);
    // Where case counts, BOB is someone else: bob is created as usual.
    const exact = planFor(wanted, {
      mode: "authoritative",
      live: shouting,
      capabilities: { userAttributes: [] },
    });
    expect(brief(exact.changes)).toContain("user.create directory:user/bob added-in-config");
  });

  it("says that a leaver's account outside the scope keeps what it holds there", () => {
    const leaving = model({
      users: [user("alice"), user("bob", { status: "terminated" }), user("carol")],
      groups: [group("team-ops", ["alice"])],
    });
    const plan = planFor(leaving, {
      mode: "authoritative",
      live: moved,
      capabilities: { userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([]);
    expect(notes(plan)).toEqual([
      `unmanaged: account bob of bob (a leaver) is in directory outside the scope gatehouse reads, at ${WHERE}: gatehouse can neither disable it nor take it out of groups there. If it is still enabled, disable it by hand, or move the entry back where gatehouse creates accounts`,
    ]);
  });

  it("sets no manager whose account is outside the scope: not on a new hire, not in place of another", () => {
    const withReports = model({
      users: [
        user("alice"),
        user("bob"),
        user("carol", { manager: "bob" }),
        user("gus", { manager: "bob", title: "Engineer" }),
      ],
      groups: [group("team-ops", ["alice"])],
    });
    // carol's manager is alice live; gus is new.
    const state = {
      ...live(
        [liveUser("alice"), { ...liveUser("carol"), manager: "alice" }],
        [liveGroup("team-ops", ["alice"])],
      ),
      elsewhere: [{ account: "bob", where: WHERE }],
    };
    const plan = planFor(withReports, {
      mode: "authoritative",
      live: state,
      capabilities: { userAttributes: ["manager", "title"] },
    });
    expect(brief(plan.changes)).toEqual(["user.create directory:user/gus added-in-config"]);
    const create = plan.changes[0];
    expect(create?.kind === "user" && create.action === "create" ? create.after : undefined).toEqual({
      title: "Engineer",
    });
    // Without the account held elsewhere, both would point at bob (the create would fail at apply).
    const usual = planFor(withReports, {
      mode: "authoritative",
      live: { ...state, elsewhere: [] },
      capabilities: { userAttributes: ["manager", "title"] },
    });
    expect(brief(usual.changes)).toContain("user.update directory:user/carol added-in-config");
  });

  it("takes an account read in scope as that account, whatever else bears its name", () => {
    const both = { ...moved, users: [...moved.users, liveUser("bob")] };
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: both,
      capabilities: { userAttributes: ["manager"] },
    });
    expect(brief(plan.changes)).toContain("membership.add directory:membership/team-ops/bob added-in-config");
    expect(brief(plan.changes)).toContain("user.update directory:user/carol added-in-config");
    expect(notes(plan)).toEqual([]);
  });

  it("creates the account as usual when the system holds no entry of that name elsewhere", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: { ...moved, elsewhere: [{ account: "bobby", where: "CN=bobby,OU=Elsewhere,DC=example,DC=com" }] },
      capabilities: { userAttributes: [] },
    });
    expect(brief(plan.changes)).toContain("user.create directory:user/bob added-in-config");
    expect(brief(plan.changes)).toContain("membership.add directory:membership/team-ops/bob added-in-config");
  });
});

describe("a person whose account name changes (a new e-mail under accountName: email)", () => {
  // alice's account was alice (the journal saw gatehouse manage it for her); the files now give alice.new.
  const moved = model({
    users: [user("alice", { accounts: { directory: "alice.new" } }), user("bob")],
    groups: [
      group("team-ops-write", ["alice", "bob"]),
      group("team-web-write", ["alice"]),
      group("team-old-read", ["bob"]),
    ],
  });
  const before = live(
    [liveUser("alice"), liveUser("bob")],
    [
      liveGroup("team-ops-write", ["alice", "bob"]),
      liveGroup("team-web-write", []),
      liveGroup("team-old-read", ["alice", "bob"]),
    ],
  );
  const journalAccounts = new Map([["directory\nalice", ["alice"]]]);
  const managed = [
    "directory:user/alice",
    "directory:membership/team-ops-write/alice",
    "directory:membership/team-old-read/alice",
  ];

  it("renames the former account in place where the system can: its groups kept, the rename counted once by the guard rails", () => {
    const plan = planFor(moved, {
      live: before,
      journalAccounts,
      managed,
      capabilities: { renameUsers: true, userAttributes: ["email"] },
    });
    expect(brief(plan.changes)).toEqual([
      "user.update directory:user/alice added-in-config",
      // Known to the journal under the former name: it was gatehouse's, and the files took it away.
      "membership.remove directory:membership/team-old-read/alice.new removed-from-config",
      "membership.add directory:membership/team-web-write/alice.new added-in-config",
    ]);
    const rename = plan.changes[0];
    expect(rename?.kind === "user" && rename.action === "update" ? rename.fields : []).toEqual([
      { field: "account", before: "alice", after: "alice.new" },
    ]);
    expect(rename?.userId).toBe("alice");
    // The group the files took away, and the rename: the old name stops working (the guard rails count it).
    expect(countRemovals(plan)).toBe(2);
    // Changes under the new name wait for the rename; if it fails they are skipped, and nothing is taken.
    expect(createdBy(rename ?? plan.changes[0]!)).toBe("user/alice.new");
    for (const change of plan.changes.slice(1))
      expect(dependenciesOf(change, runAccounts(plan.changes))).toContain("user/alice.new");
  });

  it("moves member values and manager references that name the account, where the system's do not follow a rename (LDAP)", () => {
    const withManager = model({
      users: [user("alice", { accounts: { directory: "alice.new" } }), user("bob", { manager: "alice" })],
      groups: [
        group("team-ops-write", ["alice", "bob"]),
        group("team-web-write", ["alice"]),
        group("team-old-read", ["bob"]),
      ],
    });
    const reporting = live(
      [liveUser("alice"), liveUser("bob", { manager: "alice" })],
      [...before.groups, liveGroup("legacy-vpn", ["alice"])],
    );
    const options = {
      mode: "additive" as const,
      live: reporting,
      journalAccounts,
      managed,
      capabilities: {
        renameUsers: true,
        userAttributes: ["manager"],
        userRenameRewrites: { members: true, manager: true },
      },
    };
    const plan = planFor(withManager, options);
    expect(brief(plan.changes)).toEqual([
      "user.update directory:user/alice added-in-config",
      "user.update directory:user/bob added-in-config",
      // legacy-vpn is in no access file (additive mode leaves it): alice keeps it, under her new name.
      "membership.remove directory:membership/legacy-vpn/alice added-in-config",
      "membership.add directory:membership/legacy-vpn/alice.new added-in-config",
      // The files took team-old-read from her: the value of her former name goes with the new one.
      "membership.remove directory:membership/team-old-read/alice removed-from-config",
      "membership.remove directory:membership/team-old-read/alice.new removed-from-config",
      "membership.remove directory:membership/team-ops-write/alice added-in-config",
      "membership.add directory:membership/team-ops-write/alice.new added-in-config",
      "membership.add directory:membership/team-web-write/alice.new added-in-config",
    ]);
    const bob = plan.changes[1];
    expect(bob?.kind === "user" && bob.action === "update" ? bob.fields : []).toEqual([
      { field: "manager", before: "alice", after: "alice.new" },
    ]);
    expect(bob?.why?.[0]).toContain("alice is renamed to alice.new in place");
    const moves = plan.changes.filter((c) => c.kind === "membership" && c.member === "alice");
    expect(moves.map((c) => (c.kind === "membership" ? c.renamedTo : undefined))).toEqual([
      "alice.new",
      "alice.new",
      "alice.new",
    ]);
    // The moves take nothing: only the group the files took away and the rename count.
    expect(countRemovals(plan)).toBe(2);
    // Every move, and bob's new manager reference, waits for the rename: if it fails, nothing is written.
    const run = runAccounts(plan.changes);
    for (const change of plan.changes.slice(1))
      expect(dependenciesOf(change, run)).toContain("user/alice.new");
    // Without the capability the same plan trusts the system to keep the references (SCIM).
    const trusting = planFor(withManager, {
      ...options,
      capabilities: { renameUsers: true, userAttributes: ["manager"] },
    });
    expect(brief(trusting.changes)).toEqual([
      "user.update directory:user/alice added-in-config",
      "membership.remove directory:membership/team-old-read/alice.new removed-from-config",
      "membership.add directory:membership/team-web-write/alice.new added-in-config",
    ]);
  });

  it("enables a disabled former account before renaming it", () => {
    const disabled = live([liveUser("alice", { enabled: false }), liveUser("bob")], before.groups);
    const plan = planFor(moved, {
      live: disabled,
      journalAccounts,
      managed,
      disabledByGatehouse: ["directory:user/alice"],
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    const users = plan.changes.filter((c) => c.kind === "user");
    expect(brief(users)).toEqual([
      "user.enable directory:user/alice added-in-config",
      "user.update directory:user/alice added-in-config",
    ]);
    expect(planBatches(users, 1).flat(2)).toEqual(users);
  });

  it("creates the new account and disables the former one only after it, where the system cannot rename", () => {
    const plan = planFor(moved, {
      live: before,
      journalAccounts,
      managed,
      capabilities: { userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual([
      "user.disable directory:user/alice removed-from-config",
      "user.create directory:user/alice.new added-in-config",
      "membership.remove directory:membership/team-old-read/alice removed-from-config",
      "membership.remove directory:membership/team-ops-write/alice removed-from-config",
      "membership.add directory:membership/team-ops-write/alice.new added-in-config",
      "membership.add directory:membership/team-web-write/alice.new added-in-config",
    ]);
    const created = runAccounts(plan.changes);
    // The old account goes once the new one exists and holds the groups it is added to here.
    expect(dependenciesOf(plan.changes[0]!, created)).toEqual([
      "user/alice.new",
      "membership/team-ops-write/alice.new",
      "membership/team-web-write/alice.new",
    ]);
    // It leaves team-ops-write, which alice.new takes over, once alice.new holds it; team-old-read as before.
    expect(plan.changes[3]).toMatchObject({ replacedBy: "alice.new" });
    expect(dependenciesOf(plan.changes[3]!, created)).toEqual([
      "group/team-ops-write",
      "user/alice.new",
      "membership/team-ops-write/alice.new",
      "user/alice",
    ]);
    expect(plan.changes[2]).not.toHaveProperty("replacedBy");
    // Both in the last phase, after every add.
    expect(planBatches(plan.changes, 1).at(-1)?.flat()).toEqual([plan.changes[0], plan.changes[3]]);
  });

  it("renames the former account when the system spells it in another case than the journal", () => {
    const recased = live(
      [liveUser("Alice"), liveUser("bob")],
      [
        liveGroup("team-ops-write", ["Alice", "bob"]),
        liveGroup("team-web-write", []),
        liveGroup("team-old-read", ["Alice", "bob"]),
      ],
    );
    const plan = planFor(moved, {
      live: recased,
      journalAccounts,
      managed,
      capabilities: { renameUsers: true, userAttributes: [], caseInsensitiveNames: true },
    });
    expect(brief(plan.changes)).toEqual([
      "user.update directory:user/alice added-in-config",
      "membership.remove directory:membership/team-old-read/alice.new removed-from-config",
      "membership.add directory:membership/team-web-write/alice.new added-in-config",
    ]);
  });

  it("stops a mass rename at the removal limit and a protected person's rename, as creates and disables are", () => {
    const ids = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, "0")}`);
    const typo = model({
      users: ids.map((id) => user(id, { accounts: { directory: `${id}@typo.example` } })),
      groups: [group("team-all-read", ids)],
      policy: policy({
        guardrails: {
          maxRemovals: { kind: "count", value: 5 },
          protectedUsers: ["p00"],
          protectedGroups: [],
        },
      }),
    });
    const state = live(
      ids.map((id) => liveUser(id)),
      [liveGroup("team-all-read", ids)],
    );
    for (const renameUsers of [false, true]) {
      const plan = planFor(typo, {
        live: state,
        journalAccounts: new Map(ids.map((id) => [`directory\n${id}`, [id]])),
        managed: ids.flatMap((id) => [`directory:user/${id}`, `directory:membership/team-all-read/${id}`]),
        capabilities: { renameUsers, userAttributes: [] },
      });
      const refusals = checkGuardrails(plan, typo.config.policy);
      expect(
        refusals.some((r) => r.includes("more than allowed")),
        `renameUsers ${String(renameUsers)}`,
      ).toBe(true);
      expect(refusals.some((r) => r.includes("touches protected user p00"))).toBe(true);
    }
  });

  it("renames nothing for an account the journal does not give to the person", () => {
    const plan = planFor(moved, {
      live: before,
      managed,
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(brief(plan.changes).slice(0, 2)).toEqual([
      "user.disable directory:user/alice removed-from-config",
      "user.create directory:user/alice.new added-in-config",
    ]);
  });
});

describe("an account the journal saw gatehouse manage for two people in the files", () => {
  // "shared" was zoe's years ago (the address given to bob later), then bob's: it is bob's now, in his
  // groups. In one run bob's e-mail changes (bob.new) and zoe, rehired, gets zoe.new.
  const files = model({
    users: [
      user("bob", { accounts: { directory: "bob.new" } }),
      user("zoe", { accounts: { directory: "zoe.new" } }),
    ],
    groups: [group("team-bob-write", ["bob"]), group("team-zoe-write", ["zoe"])],
  });
  const now = live(
    [liveUser("shared")],
    [liveGroup("team-bob-write", ["shared"]), liveGroup("team-zoe-write", [])],
  );

  it("is renamed to neither: whose it is now, the journal cannot say", () => {
    const plan = planFor(files, {
      live: now,
      journalAccounts: new Map([
        ["directory\nzoe", ["shared"]],
        ["directory\nbob", ["shared"]],
      ]),
      managed: ["directory:user/shared", "directory:membership/team-bob-write/shared"],
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(brief(plan.changes.filter((c) => c.kind === "user"))).toEqual([
      "user.disable directory:user/shared removed-from-config",
      "user.create directory:user/bob.new added-in-config",
      "user.create directory:user/zoe.new added-in-config",
    ]);
  });
});

describe("an e-mail change chain: ann takes bea's former address while bea moves to a new one", () => {
  // bea's account was bea.old (the journal saw gatehouse manage it for her); in one commit the files give
  // bea.old to ann, a new hire, and bea.new to bea.
  const chain = model({
    users: [
      user("ann", { accounts: { directory: "bea.old" } }),
      user("bea", { accounts: { directory: "bea.new" } }),
    ],
    groups: [group("team-ann-write", ["ann"]), group("team-bea-write", ["bea"])],
  });
  const before = live(
    [liveUser("bea.old")],
    [liveGroup("team-ann-write", []), liveGroup("team-bea-write", ["bea.old"])],
  );
  const journalAccounts = new Map([["directory\nbea", ["bea.old"]]]);
  const managed = ["directory:user/bea.old", "directory:membership/team-bea-write/bea.old"];
  const withUser = (changes: readonly Change[]): string[] =>
    changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.userId ?? "-"}`);

  it("renames bea's account to her new address and creates ann's once the name is free: ann never gets bea's account", () => {
    const plan = planFor(chain, {
      live: before,
      journalAccounts,
      managed,
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(withUser(plan.changes)).toEqual([
      "user.update directory:user/bea.old bea",
      "user.create directory:user/bea.old ann",
      "membership.add directory:membership/team-ann-write/bea.old ann",
    ]);
    const [rename, create] = plan.changes;
    expect(rename?.kind === "user" && rename.action === "update" ? rename.fields[0] : undefined).toEqual({
      field: "account",
      before: "bea.old",
      after: "bea.new",
    });
    expect(create?.reason).toBe("added-in-config");
    // ann's create waits for the rename that frees the name: if the rename fails, it is skipped.
    const created = runAccounts(plan.changes);
    expect(dependenciesOf(create!, created)).toContain("user/bea.new");
    const order = planBatches(plan.changes, 1).flat(2);
    expect(order.indexOf(create!)).toBeGreaterThan(order.indexOf(rename!));
  });

  it("knows bea's account by the journal's spelling in another case (Bea.Old): the system ignores case, so ann never gets it", () => {
    // The journal recorded bea's account as Bea.Old; the files (and HR) spell ann's address bea.old.
    const recorded = new Map([["directory\nbea", ["Bea.Old"]]]);
    for (const spelt of ["bea.old", "Bea.Old"]) {
      const state = live(
        [liveUser(spelt)],
        [liveGroup("team-ann-write", []), liveGroup("team-bea-write", [spelt])],
      );
      const renamed = planFor(chain, {
        live: state,
        journalAccounts: recorded,
        managed: [`directory:user/${spelt}`, `directory:membership/team-bea-write/${spelt}`],
        capabilities: { renameUsers: true, userAttributes: [], caseInsensitiveNames: true },
      });
      expect(withUser(renamed.changes), spelt).toEqual([
        "user.update directory:user/bea.old bea",
        "user.create directory:user/bea.old ann",
        "membership.add directory:membership/team-ann-write/bea.old ann",
      ]);
      const [rename, create] = renamed.changes;
      expect(dependenciesOf(create!, runAccounts(renamed.changes))).toContain("user/bea.new");
      expect(rename?.kind === "user" && rename.action === "update" ? rename.fields[0] : undefined).toEqual({
        field: "account",
        before: "bea.old",
        after: "bea.new",
      });
      // Where it cannot be renamed, it stays bea's (hers until her new account exists); ann gets nothing.
      const kept = planFor(chain, {
        live: state,
        journalAccounts: recorded,
        managed: [`directory:user/${spelt}`, `directory:membership/team-bea-write/${spelt}`],
        capabilities: { userAttributes: [], caseInsensitiveNames: true },
      });
      expect(
        kept.changes.filter((c) => c.userId === "ann"),
        spelt,
      ).toEqual([]);
      expect(kept.notes[0]?.message, spelt).toContain("gatehouse does not hand bea's account to ann");
    }
  });

  it("where member values name the account (LDAP), moves bea's to her new name and makes ann's account only in the next run", () => {
    const shared = model({
      users: [...chain.users.values()],
      groups: [
        group("team-ann-write", ["ann"]),
        group("team-bea-write", ["bea"]),
        group("team-shared-read", ["ann", "bea"]),
      ],
    });
    const plan = planFor(shared, {
      live: live([liveUser("bea.old")], [...before.groups, liveGroup("team-shared-read", ["bea.old"])]),
      journalAccounts,
      managed,
      capabilities: {
        renameUsers: true,
        userAttributes: [],
        userRenameRewrites: { members: true, manager: false },
      },
    });
    // Until the moves are written the groups still name bea.old: an entry made under it in this run
    // would hold bea's groups meanwhile, and for good if a move failed.
    expect(withUser(plan.changes)).toEqual([
      "user.update directory:user/bea.old bea",
      "membership.add directory:membership/team-bea-write/bea.new bea",
      "membership.remove directory:membership/team-bea-write/bea.old bea",
      "membership.add directory:membership/team-shared-read/bea.new bea",
      "membership.remove directory:membership/team-shared-read/bea.old bea",
    ]);
    expect(plan.notes.map((n) => n.message)).toContain(
      "bea.old (ann) is created by the next run: this one renames the account of that name to bea.new, and the groups that name bea.old in directory are moved to the new name first",
    );
  });

  it("renames a whole chain of passed-on addresses in one plan, whatever their order, each after the one freeing its name", () => {
    // p1 moves from a0 to a1, p2's former account; p2 to a2, p3's former account; p3 to a9.
    const files = model({
      users: [
        user("p1", { accounts: { directory: "a1" } }),
        user("p2", { accounts: { directory: "a2" } }),
        user("p3", { accounts: { directory: "a9" } }),
      ],
      groups: [group("team-all-read", ["p1", "p2", "p3"])],
    });
    const plan = planFor(files, {
      live: live(
        [liveUser("a0"), liveUser("a1"), liveUser("a2")],
        [liveGroup("team-all-read", ["a0", "a1", "a2"])],
      ),
      journalAccounts: new Map([
        ["directory\np1", ["a0"]],
        ["directory\np2", ["a1"]],
        ["directory\np3", ["a2"]],
      ]),
      managed: ["directory:user/a0", "directory:user/a1", "directory:user/a2"],
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(withUser(plan.changes)).toEqual([
      "user.update directory:user/a0 p1",
      "user.update directory:user/a1 p2",
      "user.update directory:user/a2 p3",
    ]);
    const [p1, p2, p3] = plan.changes;
    expect(planBatches(plan.changes, 1).flat(2)).toEqual([p3, p2, p1]);
  });

  it("where member values name the account (LDAP), renames into a name freed in the same plan only in the next run: a group both hold keeps both", () => {
    // p1 moves from a0 to a1, p2's former account; p2 moves from a1 to a2. Both are in team-all-read.
    const files = model({
      users: [user("p1", { accounts: { directory: "a1" } }), user("p2", { accounts: { directory: "a2" } })],
      groups: [group("team-all-read", ["p1", "p2"]), group("team-p1-read", ["p1"])],
    });
    const journal = new Map([
      ["directory\np1", ["a0"]],
      ["directory\np2", ["a1"]],
    ]);
    const capabilities = {
      renameUsers: true,
      userAttributes: [],
      userRenameRewrites: { members: true, manager: false },
    };
    const plan = planFor(files, {
      live: live(
        [liveUser("a0"), liveUser("a1")],
        [liveGroup("team-all-read", ["a0", "a1"]), liveGroup("team-p1-read", ["a0"])],
      ),
      journalAccounts: journal,
      managed: ["directory:user/a0", "directory:user/a1"],
      capabilities,
    });
    // Renamed at once, p1's add of a1 and p2's removal of a1 met in team-all-read: one write took a1
    // (p1's entry by then) out, an uncounted removal; and until the moves, p1's entry held p2's groups.
    expect(withUser(plan.changes)).toEqual([
      "user.update directory:user/a1 p2",
      "membership.remove directory:membership/team-all-read/a1 p2",
      "membership.add directory:membership/team-all-read/a2 p2",
    ]);
    expect(countRemovals(plan)).toBe(1);
    expect(plan.notes.map((n) => n.message)).toContain(
      "a1 (p1) is renamed from a0 by the next run: this one renames the account of that name to a2, and the groups that name a1 in directory are moved to the new name first",
    );
    // The next run: a1 is free, and p1's a0 is renamed into it, with its groups.
    const next = planFor(files, {
      live: live(
        [liveUser("a0"), liveUser("a2")],
        [liveGroup("team-all-read", ["a0", "a2"]), liveGroup("team-p1-read", ["a0"])],
      ),
      journalAccounts: new Map([
        ["directory\np1", ["a0"]],
        ["directory\np2", ["a1", "a2"]],
      ]),
      managed: ["directory:user/a0", "directory:user/a2"],
      capabilities,
    });
    expect(withUser(next.changes)).toEqual([
      "user.update directory:user/a0 p1",
      "membership.remove directory:membership/team-all-read/a0 p1",
      "membership.add directory:membership/team-all-read/a1 p1",
      "membership.remove directory:membership/team-p1-read/a0 p1",
      "membership.add directory:membership/team-p1-read/a1 p1",
    ]);
    expect(countRemovals(next)).toBe(1);
  });

  it("makes a name another person held only once nothing of theirs names it: searched (heldBefore), checked again at the write", () => {
    // bea's account was renamed from bea.old to bea.new by an earlier run; the files now give bea.old to
    // ann. Values of bea's the moves did not reach would grant ann what was bea's.
    const files = model({
      users: [
        user("ann", { accounts: { directory: "bea.old" } }),
        user("bea", { accounts: { directory: "bea.new" } }),
      ],
      groups: [group("team-ann-write", ["ann"]), group("team-bea-write", ["bea"])],
    });
    const options = {
      journalAccounts: new Map([["directory\nbea", ["bea.new"]]]),
      renamedAway: new Map([["directory\nbea.old", ["bea"]]]),
      managed: ["directory:user/bea.new", "directory:membership/team-bea-write/bea.new"],
      capabilities: {
        renameUsers: true,
        userAttributes: [],
        userRenameRewrites: { members: true, manager: true },
        caseInsensitiveNames: true,
      },
    };
    const groups = [liveGroup("team-ann-write", []), liveGroup("team-bea-write", ["bea.new"])];
    const state = live([liveUser("bea.new"), liveUser("cy", { manager: "Bea.Old" })], groups);
    const legacy = "cn=legacy-login,ou=legacy,dc=example,dc=com";
    const outside = new Map([["bea.old", { outside: [legacy], unread: [], managerOf: [] }]]);
    const held = planFor(files, { ...options, live: state, stillNaming: outside });
    expect(held.changes.filter((c) => c.userId === "ann")).toEqual([]);
    expect(held.notes.map((n) => n.message)).toContain(
      `bea.old (ann) is not created yet: the name was bea's in directory, and values they left still name it: the manager of cy, group ${legacy} (outside the groups gatehouse reads). ` +
        "Whoever holds bea.old gets that access with it. Remove bea.old from there in directory (or give ann the group in the files, if it is theirs to have); the first run after that makes the account",
    );
    // A group gatehouse reads that still holds the name, and that the files do not give ann, holds it back too.
    const dangling = live(
      [liveUser("bea.new")],
      [liveGroup("team-ann-write", []), liveGroup("team-bea-write", ["bea.new", "bea.old"])],
    );
    const inRead = planFor(files, { ...options, live: dangling, stillNaming: new Map() });
    // This plan takes the value out (authoritative mode); the account is made by the next run.
    expect(withUser(inRead.changes)).toEqual([
      "membership.remove directory:membership/team-bea-write/bea.old ann",
    ]);
    expect(inRead.notes.map((n) => n.message).join("\n")).toContain(
      "values they left still name it: group team-bea-write.",
    );
    // Once nothing names it: created, marked for the system to check again right before the write.
    const clear = planFor(files, {
      ...options,
      live: live([liveUser("bea.new")], groups),
      stillNaming: new Map(),
    });
    expect(withUser(clear.changes)).toEqual([
      "user.create directory:user/bea.old ann",
      "membership.add directory:membership/team-ann-write/bea.old ann",
    ]);
    expect(clear.changes[0]).toMatchObject({ heldBefore: true });
    // A name nobody held, or only the same person, is neither searched for nor marked.
    const fresh = planFor(files, {
      ...options,
      renamedAway: new Map(),
      live: live([liveUser("bea.new")], groups),
      stillNaming: outside,
    });
    expect(withUser(fresh.changes)).toEqual(withUser(clear.changes));
    expect(fresh.changes[0]).not.toHaveProperty("heldBefore");
  });

  it("renames an account into a name another person held only once nothing of theirs names it; until then it stays the person's", () => {
    // p2's account was renamed away from a1 earlier; p1 (account a0) is given a1 now.
    const files = model({
      users: [user("p1", { accounts: { directory: "a1" } }), user("p2", { accounts: { directory: "a2" } })],
      groups: [group("team-p1-read", ["p1"])],
    });
    const options = {
      journalAccounts: new Map([
        ["directory\np1", ["a0"]],
        ["directory\np2", ["a2"]],
      ]),
      renamedAway: new Map([["directory\na1", ["p2"]]]),
      managed: ["directory:user/a0", "directory:user/a2", "directory:membership/team-p1-read/a0"],
      live: live([liveUser("a0"), liveUser("a2")], [liveGroup("team-p1-read", ["a0"])]),
      capabilities: {
        renameUsers: true,
        userAttributes: [],
        userRenameRewrites: { members: true, manager: false },
      },
    };
    const named = new Map([
      ["a1", { outside: [], unread: [{ group: "cn=x,ou=groups", attribute: "memberUid" }], managerOf: [] }],
    ]);
    const held = planFor(files, { ...options, stillNaming: named });
    // a0 stays p1's, in p1's groups: neither renamed nor disabled.
    expect(held.changes).toEqual([]);
    expect(held.notes.map((n) => n.message).join("\n")).toContain(
      "a1 (p1) is not renamed from a0 yet: the name was p2's in directory, and values they left still name it: memberUid of group cn=x,ou=groups.",
    );
    const clear = planFor(files, { ...options, stillNaming: new Map() });
    expect(withUser(clear.changes)).toEqual([
      "user.update directory:user/a0 p1",
      "membership.remove directory:membership/team-p1-read/a0 p1",
      "membership.add directory:membership/team-p1-read/a1 p1",
    ]);
    expect(clear.changes[0]).toMatchObject({ heldBefore: true });
  });

  it("orders a long chain (a shifted HR export) without deep recursion", () => {
    const n = 5_000;
    const id = (i: number): string => `p${String(i).padStart(5, "0")}`;
    // Each person takes the former account of the next; the last moves to a new name.
    const files = model({
      users: Array.from({ length: n }, (_, i) =>
        user(id(i), { accounts: { directory: i === n - 1 ? "new" : `a${id(i + 1)}` } }),
      ),
      groups: [],
    });
    const plan = planFor(files, {
      live: live(
        Array.from({ length: n - 1 }, (_, i) => liveUser(`a${id(i + 1)}`)),
        [],
      ),
      journalAccounts: new Map(
        Array.from({ length: n - 1 }, (_, i) => [`directory\n${id(i + 1)}`, [`a${id(i + 1)}`]]),
      ),
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(plan.changes.filter((c) => c.action === "update")).toHaveLength(n - 1);
    expect(plan.changes.filter((c) => c.action === "create")).toHaveLength(1);
    const waves = planBatches(plan.changes, 1);
    expect(waves).toHaveLength(n);
    expect(waves.at(-1)?.[0]?.[0]?.action).toBe("create");
  });

  it("pairs ann with the account of her name once bea's rename away from it is applied, also after a run that died before ann's create was answered", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-chain-"));
    try {
      const journal = join(dir, "journal.jsonl");
      const recorded = (change: Change): NewJournalEntry => ({
        type: "change",
        at: "2026-11-25T09:00:00.000Z",
        runSeq: 1,
        provider: "directory",
        changeId: change.id,
        change,
        outcome: "applied",
      });
      const base = { provider: "directory", reason: "added-in-config", userId: "bea" } as const;
      await appendJournalEntries(journal, [
        recorded({
          ...base,
          id: "directory:user/bea.old",
          kind: "user",
          action: "create",
          account: "bea.old",
          risk: "broadens",
          after: {},
        }),
        recorded({
          ...base,
          id: "directory:user/bea.old",
          kind: "user",
          action: "update",
          account: "bea.old",
          risk: "neutral",
          fields: [{ field: "account", before: "bea.old", after: "bea.new" }],
          after: {},
        }),
        // ann's create was announced, and the run died before its answer: it may have been made.
        {
          type: "intent",
          at: "2026-11-25T09:00:01.000Z",
          runSeq: 1,
          provider: "directory",
          changeIds: ["directory:user/bea.old"],
        },
      ]);
      const fold = await foldJournal(journal);
      const plan = planFor(chain, {
        live: live(
          [liveUser("bea.new"), liveUser("bea.old")],
          [liveGroup("team-ann-write", []), liveGroup("team-bea-write", ["bea.new"])],
        ),
        journalAccounts: fold.accounts,
        managed: [...fold.managed],
        capabilities: { renameUsers: true, userAttributes: [] },
      });
      // bea.old is the account made for ann: hers, neither disabled as bea's former account nor left out.
      expect(withUser(plan.changes)).toEqual([
        "membership.add directory:membership/team-ann-write/bea.old ann",
      ]);
      expect(plan.notes).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("renames ann's own former account into bea's old address only after bea's is renamed away", () => {
    const plan = planFor(chain, {
      live: live(
        [liveUser("ann.old"), liveUser("bea.old")],
        [liveGroup("team-ann-write", ["ann.old"]), liveGroup("team-bea-write", ["bea.old"])],
      ),
      journalAccounts: new Map([...journalAccounts, ["directory\nann", ["ann.old"]]]),
      managed: [...managed, "directory:user/ann.old", "directory:membership/team-ann-write/ann.old"],
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    // Both keep their accounts and groups, under their new names.
    expect(withUser(plan.changes)).toEqual([
      "user.update directory:user/ann.old ann",
      "user.update directory:user/bea.old bea",
    ]);
    const [ann, bea] = plan.changes;
    expect(dependenciesOf(ann!, runAccounts(plan.changes))).toEqual(["user/bea.new"]);
    expect(planBatches(plan.changes, 1).flat(2)).toEqual([bea, ann]);
  });
});

describe("an account the journal saw as one person's, which the files give to another (no renames in place)", () => {
  const notes = (plan: { notes: readonly { kind: string; message: string }[] }): string[] =>
    plan.notes.map((n) => `${n.kind}: ${n.message}`);
  const withUser = (changes: readonly Change[]): string[] =>
    changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason} ${c.userId ?? "-"}`);
  const journalAccounts = new Map([["directory\nbea", ["bea.old"]]]);
  const managed = ["directory:user/bea.old", "directory:membership/team-bea-write/bea.old"];

  it("hands bea's account to ann in no mode: bea gets her new account and the old one goes after it; ann gets none, and a note names both", () => {
    const chain = model({
      users: [
        user("ann", { accounts: { directory: "bea.old" } }),
        user("bea", { accounts: { directory: "bea.new" } }),
      ],
      groups: [
        group("team-ann-write", ["ann"]),
        group("team-bea-write", ["bea"]),
        group("team-both-read", ["ann", "bea"]),
      ],
    });
    const before = live(
      [liveUser("bea.old")],
      [
        liveGroup("team-ann-write", []),
        liveGroup("team-bea-write", ["bea.old"]),
        liveGroup("team-both-read", ["bea.old"]),
      ],
    );
    for (const mode of ["authoritative", "additive"] as const) {
      const plan = planFor(chain, {
        mode,
        live: before,
        journalAccounts,
        managed,
        capabilities: { userAttributes: [] },
      });
      expect(withUser(plan.changes), mode).toEqual([
        ...(mode === "authoritative" ? ["user.disable directory:user/bea.old removed-from-config bea"] : []),
        "user.create directory:user/bea.new added-in-config bea",
        "membership.add directory:membership/team-bea-write/bea.new added-in-config bea",
        "membership.remove directory:membership/team-bea-write/bea.old removed-from-config bea",
        "membership.add directory:membership/team-both-read/bea.new added-in-config bea",
        // ann is a member too, but bea.old is bea's former account: judged as bea's, it goes (gatehouse
        // did not add it there, so additive mode keeps it).
        ...(mode === "authoritative"
          ? ["membership.remove directory:membership/team-both-read/bea.old drift bea"]
          : []),
      ]);
      expect(notes(plan)[0]).toEqual(
        "unmanaged: account bea.old in directory is bea's (the journal saw gatehouse manage it for bea), but the files now give bea.old to ann: gatehouse does not hand bea's account to ann, and creates none for ann while the name is taken (directory cannot rename it to bea's account bea.new). Once bea.old is renamed or deleted in directory, ann's account is created; if it is ann's account now, rename or delete it by hand and let gatehouse create it",
      );
      // bea's old account keeps its access until her new one exists.
      const run = runAccounts(plan.changes);
      for (const c of plan.changes.filter((c) => c.id.endsWith("/bea.old")))
        expect(dependenciesOf(c, run)).toContain("user/bea.new");
    }
  });

  it("treats the account as its owner's when she is a leaver: disabled and out of every group, ann's included", () => {
    // bea left; HR gave her an archive address and her old one to ann.
    const reused = model({
      users: [
        user("ann", { accounts: { directory: "bea.old" } }),
        user("bea", { accounts: { directory: "bea.archived" }, status: "terminated" }),
        user("cy"),
      ],
      groups: [group("team-ann-write", ["ann", "cy"]), group("team-bea-write", ["cy"])],
    });
    const both = live(
      [liveUser("bea.old"), liveUser("cy")],
      [liveGroup("team-ann-write", ["bea.old", "cy"]), liveGroup("team-bea-write", ["bea.old", "cy"])],
    );
    for (const mode of ["authoritative", "additive"] as const) {
      const plan = planFor(reused, {
        mode,
        live: both,
        journalAccounts,
        managed,
        capabilities: { userAttributes: [] },
      });
      expect(withUser(plan.changes), mode).toEqual([
        "user.disable directory:user/bea.old user-terminated bea",
        "membership.remove directory:membership/team-ann-write/bea.old user-terminated bea",
        "membership.remove directory:membership/team-bea-write/bea.old user-terminated bea",
      ]);
      expect(notes(plan)[0]).toContain("gatehouse does not hand bea's account to ann");
    }
  });

  it("keeps both accounts where two people swap addresses, renaming neither: a rename into a taken name cannot be ordered", () => {
    const swap = model({
      users: [
        user("ann", { accounts: { directory: "bea.old" } }),
        user("bea", { accounts: { directory: "ann.old" } }),
      ],
      groups: [group("team-ann-write", ["ann"]), group("team-bea-write", ["bea"])],
    });
    const state = live(
      [liveUser("ann.old"), liveUser("bea.old")],
      [liveGroup("team-ann-write", ["ann.old"]), liveGroup("team-bea-write", ["bea.old"])],
    );
    for (const renameUsers of [false, true]) {
      const plan = planFor(swap, {
        live: state,
        journalAccounts: new Map([
          ["directory\nann", ["ann.old"]],
          ["directory\nbea", ["bea.old"]],
        ]),
        managed: [
          "directory:user/ann.old",
          "directory:user/bea.old",
          "directory:membership/team-ann-write/ann.old",
          "directory:membership/team-bea-write/bea.old",
        ],
        capabilities: { renameUsers, userAttributes: [] },
      });
      // Each keeps their own account and groups; neither is given the other's.
      expect(withUser(plan.changes), `renameUsers ${String(renameUsers)}`).toEqual([]);
      expect(notes(plan)).toHaveLength(2);
    }
  });
});

describe("users: members, where the person the files give another's account to holds no group", () => {
  // bea's account was bea.old; the files give bea.old to ann, who holds none of the system's groups yet.
  const journalAccounts = new Map([["directory\nbea", ["bea.old"]]]);
  const managed = ["directory:user/bea.old", "directory:membership/team-bea-write/bea.old"];
  const withUser = (changes: readonly Change[]): string[] =>
    changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason} ${c.userId ?? "-"}`);
  const filesWith = (bea: Parameters<typeof user>[1]) =>
    model({
      users: [user("ann", { accounts: { directory: "bea.old" } }), user("bea", bea)],
      groups: [group("team-bea-write", ["bea"])],
      providers: [providerConfig({ users: "members" })],
    });
  const before = live([liveUser("bea.old")], [liveGroup("team-bea-write", ["bea.old"])]);

  it("renames bea's account to her new address, or keeps it hers until her new one exists: never ann's", () => {
    const moved = filesWith({ accounts: { directory: "bea.new" } });
    const renamed = planFor(moved, {
      live: before,
      journalAccounts,
      managed,
      capabilities: { renameUsers: true, userAttributes: [] },
    });
    expect(withUser(renamed.changes)).toEqual(["user.update directory:user/bea.old added-in-config bea"]);
    const kept = planFor(moved, {
      live: before,
      journalAccounts,
      managed,
      capabilities: { userAttributes: [] },
    });
    expect(withUser(kept.changes)).toEqual([
      "user.disable directory:user/bea.old removed-from-config bea",
      "user.create directory:user/bea.new added-in-config bea",
      "membership.add directory:membership/team-bea-write/bea.new added-in-config bea",
      "membership.remove directory:membership/team-bea-write/bea.old removed-from-config bea",
    ]);
    const run = runAccounts(kept.changes);
    expect(dependenciesOf(kept.changes[0]!, run)).toEqual([
      "user/bea.new",
      "membership/team-bea-write/bea.new",
    ]);
  });

  it("treats it as a leaver's account when bea left: disabled in every mode, and out of her groups", () => {
    const left = filesWith({ accounts: { directory: "bea.archived" }, status: "terminated" });
    for (const mode of ["authoritative", "additive"] as const) {
      const plan = planFor(left, {
        mode,
        live: before,
        journalAccounts,
        managed,
        capabilities: { userAttributes: [] },
      });
      expect(withUser(plan.changes), mode).toEqual([
        "user.disable directory:user/bea.old user-terminated bea",
        "membership.remove directory:membership/team-bea-write/bea.old user-terminated bea",
      ]);
    }
  });
});

describe("an account the journal saw as the account of someone no longer in the files", () => {
  // bea left and was removed from the files; her account bea.old stayed, disabled. The files now give
  // bea.old to ann, a new hire (an address passed on), or to bea under a new id: the files cannot tell.
  const journalAccounts = new Map([["directory\nbea", ["bea.old"]]]);
  const managed = ["directory:user/bea.old"];
  const files = model({
    users: [user("ann", { accounts: { directory: "bea.old" } })],
    groups: [group("team-ann-write", ["ann"])],
  });
  const withUser = (changes: readonly Change[]): string[] =>
    changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason} ${c.userId ?? "-"}`);

  const note = (state: string, left: string): string =>
    `unmanaged: account bea.old in directory is ${state}, and the journal saw gatehouse manage it for bea, who is no longer in the files; the files now give bea.old to ann: ` +
    "gatehouse does not hand it to ann (no enable, update or group for ann on it), and creates no account for ann while the name is taken (a departed person's address given to someone new would hand them that person's account, its data and sessions)." +
    left +
    " If ann is someone else, rename or delete bea.old in directory (or give ann another account name in the files), and gatehouse creates ann's account; " +
    "if ann is bea under a new id, add formerIds: [bea] to ann's entry, and gatehouse manages bea.old as ann's";

  it("does not enable a disabled one for the person the files give it to, nor add it to their groups: a note names both", () => {
    const state = live([liveUser("bea.old", { enabled: false })], [liveGroup("team-ann-write", [])]);
    for (const mode of ["authoritative", "additive"] as const) {
      const plan = planFor(files, {
        mode,
        live: state,
        journalAccounts,
        managed,
        disabledByGatehouse: managed,
        capabilities: { userAttributes: [] },
      });
      expect(withUser(plan.changes), mode).toEqual([]);
      expect(
        plan.notes.map((n) => `${n.kind}: ${n.message}`),
        mode,
      ).toEqual([note("disabled", "")]);
    }
  });

  it("does not hand an enabled one to the person the files give it to: no update or group for them; authoritative disables it and takes it out of their groups as bea's", () => {
    const state = live(
      [liveUser("bea.old", { name: "Bea Old" })],
      [liveGroup("team-ann-write", ["bea.old"])],
    );
    const authoritative = planFor(files, {
      live: state,
      journalAccounts,
      managed: [...managed, "directory:membership/team-ann-write/bea.old"],
      capabilities: { userAttributes: ["name"] },
    });
    expect(withUser(authoritative.changes)).toEqual([
      "user.disable directory:user/bea.old removed-from-config bea",
      "membership.remove directory:membership/team-ann-write/bea.old removed-from-config bea",
    ]);
    expect(authoritative.changes.every((c) => c.risk === "narrows")).toBe(true);
    expect(authoritative.changes[0]?.why).toEqual([
      "the account of bea, who is no longer in the files; the files give bea.old to ann, who does not get it (mode: authoritative)",
    ]);
    expect(authoritative.notes.map((n) => `${n.kind}: ${n.message}`)).toEqual([
      note("enabled", " As nobody's account, it is disabled (mode: authoritative)."),
    ]);
    const additive = planFor(files, {
      mode: "additive",
      live: state,
      journalAccounts,
      managed,
      capabilities: { userAttributes: ["name"] },
    });
    expect(withUser(additive.changes)).toEqual([]);
    expect(additive.notes.map((n) => `${n.kind}: ${n.message}`)).toContainEqual(
      note("enabled", " It is not disabled (mode: additive)."),
    );
    // A membership gatehouse made for bea goes in additive mode too, as for anyone removed from the files.
    const madeForBea = planFor(files, {
      mode: "additive",
      live: state,
      journalAccounts,
      managed: [...managed, "directory:membership/team-ann-write/bea.old"],
      capabilities: { userAttributes: ["name"] },
    });
    expect(withUser(madeForBea.changes)).toEqual([
      "membership.remove directory:membership/team-ann-write/bea.old removed-from-config bea",
    ]);
  });

  it("pairs by name as before where the journal has no record of the account (a first deployment, an import)", () => {
    const plan = planFor(files, {
      live: live([liveUser("bea.old")], [liveGroup("team-ann-write", [])]),
      capabilities: { userAttributes: [] },
    });
    expect(withUser(plan.changes)).toEqual([
      "membership.add directory:membership/team-ann-write/bea.old added-in-config ann",
    ]);
    expect(plan.notes).toEqual([]);
  });

  it("manages it as the person's when they list the id in formerIds (an id change), or once the journal saw it as theirs; a leaver's is offboarded", () => {
    const renamed = model({
      users: [user("ann", { accounts: { directory: "bea.old" }, formerIds: ["bea"] })],
      groups: [group("team-ann-write", ["ann"])],
    });
    const enabled = planFor(renamed, {
      live: live([liveUser("bea.old")], [liveGroup("team-ann-write", [])]),
      journalAccounts,
      managed,
      capabilities: { userAttributes: [] },
    });
    expect(withUser(enabled.changes)).toEqual([
      "membership.add directory:membership/team-ann-write/bea.old added-in-config ann",
    ]);
    expect(enabled.notes).toEqual([]);
    const disabled = planFor(renamed, {
      live: live([liveUser("bea.old", { enabled: false })], [liveGroup("team-ann-write", [])]),
      journalAccounts,
      managed,
      disabledByGatehouse: managed,
      capabilities: { userAttributes: [] },
    });
    expect(withUser(disabled.changes)).toEqual([
      "user.enable directory:user/bea.old added-in-config ann",
      "membership.add directory:membership/team-ann-write/bea.old added-in-config ann",
    ]);
    expect(disabled.notes).toEqual([]);
    const theirs = planFor(files, {
      live: live([liveUser("bea.old", { enabled: false })], [liveGroup("team-ann-write", [])]),
      journalAccounts: new Map([...journalAccounts, ["directory\nann", ["bea.old"]]]),
      managed,
      capabilities: { userAttributes: [] },
    });
    expect(withUser(theirs.changes)).toEqual([
      "user.enable directory:user/bea.old drift ann",
      "membership.add directory:membership/team-ann-write/bea.old added-in-config ann",
    ]);
    const leaver = planFor(
      model({ users: [user("ann", { accounts: { directory: "bea.old" }, status: "terminated" })] }),
      {
        live: live([liveUser("bea.old")], [liveGroup("team-ann-write", ["bea.old"])]),
        journalAccounts,
        managed,
        capabilities: { userAttributes: [] },
      },
    );
    expect(withUser(leaver.changes)).toContain("user.disable directory:user/bea.old user-terminated ann");
  });
});
