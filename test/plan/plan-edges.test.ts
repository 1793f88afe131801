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
import { renderSummaryLine } from "../../src/render/text.ts";

describe("turning native nesting off", () => {
  it("takes out group-in-group links left from when it was on, and gives the flattened members", () => {
    const files = model({
      users: [user("ann"), user("ben")],
      groups: [
        group("inner", ["ben"]),
        group("outer", [
          "ann",
          { kind: "group", group: "inner", source: { file: "g.yaml", line: 1, column: 1 } },
        ]),
      ],
    });
    const stored = live(
      [liveUser("ann"), liveUser("ben")],
      [liveGroup("inner", ["ben"]), liveGroup("outer", ["ann"], { groupMembers: ["inner"] })],
    );
    const changes = planFor(files, { mode: "authoritative", live: stored, nativeNesting: false }).changes;
    expect(changes.map((c) => `${c.kind}.${c.action} ${c.id}`)).toEqual([
      "membership.add directory:membership/outer/ben",
      "membership.remove directory:membership/outer/group:inner",
    ]);
  });
});

describe("users: members", () => {
  it("says a live account of someone in the files who holds none of the provider's groups is theirs, not a stranger's", () => {
    const files = model({
      users: [user("ann"), user("dave")],
      groups: [group("ops", ["ann"])],
      providers: [providerConfig({ users: "members" })],
    });
    const stored = live(
      [liveUser("ann"), liveUser("dave"), liveUser("mallory")],
      [liveGroup("ops", ["ann"])],
    );
    const plan = planFor(files, { mode: "authoritative", live: stored });
    const disables = plan.changes.filter((c) => c.kind === "user" && c.action === "disable");
    expect(disables.map((c) => [c.id, c.userId, c.reason, c.why?.[0]])).toEqual([
      [
        "directory:user/dave",
        "dave",
        "holds-no-group",
        "the account of dave, who holds none of directory's groups (users: members) (mode: authoritative)",
      ],
      [
        "directory:user/mallory",
        undefined,
        "not-in-config",
        "the account is in no access file (mode: authoritative)",
      ],
    ]);
  });
});

describe("on leave, with accounts disabled (policy.leave: disable)", () => {
  it("adds nobody without an account to a group (none is created while disabled), and says so", () => {
    const files = model({
      users: [user("ann"), user("pat", { status: "leave" })],
      groups: [group("ops", ["ann", "pat"])],
      policy: policy({ leave: "disable" }),
    });
    const plan = planFor(files, {
      mode: "authoritative",
      live: live([liveUser("ann")], [liveGroup("ops", ["ann"])]),
    });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => n.message)).toContain(
      "pat is not added to ops: no account in directory, and none is created while the account is disabled",
    );
    // With an account (disabled), the membership is kept as for anyone on leave.
    const withAccount = planFor(files, {
      mode: "authoritative",
      live: live([liveUser("ann"), liveUser("pat", { enabled: false })], [liveGroup("ops", ["ann"])]),
    });
    expect(withAccount.changes.map((c) => `${c.kind}.${c.action} ${c.id}`)).toEqual([
      "membership.add directory:membership/ops/pat",
    ]);
  });
});

describe("deleteLeavers (SCIM deleteUsers: true)", () => {
  it("deletes leavers; disables people on leave and, in authoritative mode, accounts no one holds", () => {
    const files = model({
      users: [user("ann"), user("bob", { status: "terminated" }), user("cy", { status: "leave" })],
      groups: [group("ops", ["ann", "cy"])],
      policy: policy({ leave: "disable" }),
    });
    const stored = live(
      [
        liveUser("ann"),
        liveUser("bob"),
        liveUser("cy"),
        liveUser("mallory"),
        liveUser("ivy", { pending: true }),
      ],
      [liveGroup("ops", ["ann", "cy"])],
    );
    const actions = (deleteLeavers: boolean) =>
      planFor(files, { mode: "authoritative", live: stored, capabilities: { deleteLeavers } })
        .changes.flatMap((c) => (c.kind === "user" ? [`${c.action} ${c.account} ${c.reason}`] : []))
        .sort();
    expect(actions(true)).toEqual([
      "delete bob user-terminated",
      "disable cy user-on-leave",
      "disable ivy not-in-config",
      "disable mallory not-in-config",
    ]);
    expect(actions(false).filter((a) => a.startsWith("delete"))).toEqual([]);
  });

  it("deletes a leaver's account disabled before (while leavers were only disabled), never a disabled stranger's", () => {
    const files = model({
      users: [user("ann"), user("bob", { status: "terminated" }), user("cy", { status: "leave" })],
      groups: [group("ops", ["ann"])],
      policy: policy({ leave: "disable" }),
    });
    const stored = live(
      [
        liveUser("ann"),
        liveUser("bob", { enabled: false }),
        liveUser("cy", { enabled: false }),
        liveUser("mallory", { enabled: false }),
      ],
      [liveGroup("ops", ["ann"])],
    );
    const changes = (deleteLeavers: boolean) =>
      planFor(files, { mode: "authoritative", live: stored, capabilities: { deleteLeavers } }).changes;
    expect(changes(true).map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`)).toEqual([
      "user.delete directory:user/bob user-terminated",
    ]);
    expect(changes(true)[0]?.why).toEqual([
      "leaver: status: terminated",
      "disabled already; leavers' accounts are deleted in directory",
    ]);
    expect(changes(false)).toEqual([]);
  });

  it("does not call the delete of an account disabled long ago a late offboarding", () => {
    // bob left in January and was disabled then; deleteUsers was turned on in June.
    const files = model({
      users: [user("ann"), user("bob", { endDate: "2026-01-20" })],
      groups: [group("ops", ["ann"])],
    });
    const stored = live([liveUser("ann"), liveUser("bob", { enabled: false })], [liveGroup("ops", ["ann"])]);
    const [deletion] = planFor(files, { live: stored, capabilities: { deleteLeavers: true } }).changes;
    expect(deletion?.action).toBe("delete");
    expect(deletion?.why).toEqual([
      "leaver: endDate 2026-01-20 has passed",
      "disabled already; leavers' accounts are deleted in directory",
    ]);
  });
});

describe("access a system holds that gatehouse does not manage", () => {
  it("is noted, and a plan with nothing to change does not say the system matches", () => {
    const files = model({ users: [user("ann")], groups: [group("admins", ["ann"])] });
    const held = live([liveUser("ann")], [liveGroup("admins", ["ann"])]);
    const plain = planFor(files, { mode: "authoritative", live: held });
    expect(renderSummaryLine(plain)).toBe("No changes. Live systems match the access files.");
    const nested = planFor(files, {
      mode: "authoritative",
      live: { ...held, unmanaged: ['group "admins" holds the group "agents" as a member'] },
    });
    expect(nested.changes).toEqual([]);
    expect(nested.notes).toEqual([
      {
        provider: "directory",
        kind: "unmanaged",
        message: 'group "admins" holds the group "agents" as a member',
      },
    ]);
    expect(renderSummaryLine(nested)).toBe(
      "No changes to apply, but live systems hold access gatehouse does not manage, noted above.",
    );
  });
});

describe("a rename onto a name the system already has", () => {
  it("notes, in additive mode, that the former group still grants its access", () => {
    const files = model({
      users: [user("ann"), user("bob")],
      groups: [group("finance", ["ann", "bob"], { formerNames: ["finance-approvers"] })],
    });
    const held = live(
      [liveUser("ann"), liveUser("bob")],
      [liveGroup("finance", ["ann", "bob"]), liveGroup("finance-approvers", ["ann", "bob"])],
    );
    const plan = planFor(files, { mode: "additive", live: held });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => `${n.kind}: ${n.message}`)).toContainEqual(
      "unmanaged: group finance-approvers is a former name of finance (formerNames), but finance exists already, so it was not renamed: its 2 member(s) still hold its access; delete it in directory, or set mode: authoritative",
    );
    expect(renderSummaryLine(plan)).not.toContain("match");
  });
});
