import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, policy, user } from "../builders.ts";
import { checkGuardrails } from "../../src/plan/safety.ts";

const brief = (changes: readonly { kind: string; action: string; id: string; reason: string }[]): string[] =>
  changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`);

const people = [user("heidi"), user("ivan"), user("bob")];
const files = model({
  users: people,
  groups: [group("team-ops", ["heidi", "bob"]), group("support", ["heidi"])],
});
// As an app that keeps names the way they were first typed shows them.
const stored = live(
  [
    liveUser("Heidi", { name: "Heidi", email: "heidi@example.com" }),
    liveUser("ivan"),
    liveUser("bob", { manager: "Heidi" }),
  ],
  [
    liveGroup("Team-Ops", ["Heidi", "bob"], { description: "team-ops description" }),
    liveGroup("support", ["Heidi"]),
  ],
);
const insensitive = { caseInsensitiveNames: true, userAttributes: [] };

describe("names that differ only in case (systems that ignore case)", () => {
  it("are one account and one group: nothing to do", () => {
    const plan = planFor(files, { mode: "authoritative", live: stored, capabilities: insensitive });
    expect(brief(plan.changes)).toEqual([]);
  });

  it("are compared exactly where the system says case matters", () => {
    const plan = planFor(files, {
      mode: "authoritative",
      live: stored,
      capabilities: { userAttributes: [] },
    });
    expect(brief(plan.changes)).toEqual(
      expect.arrayContaining([
        "user.create directory:user/heidi added-in-config",
        "user.disable directory:user/Heidi not-in-config",
        "group.delete directory:group/Team-Ops not-in-config",
      ]),
    );
  });

  it("still find a leaver in additive mode, under the live spelling", () => {
    const leaving = model({
      users: [user("heidi", { status: "terminated" }), user("ivan"), user("bob")],
      groups: [group("team-ops", ["heidi", "bob"]), group("support", ["heidi"])],
    });
    const plan = planFor(leaving, { mode: "additive", live: stored, capabilities: insensitive });
    expect(brief(plan.changes)).toEqual([
      "user.disable directory:user/heidi user-terminated",
      "membership.remove directory:membership/support/heidi user-terminated",
      "membership.remove directory:membership/team-ops/heidi user-terminated",
    ]);
  });

  it("follow a manager written in another case", () => {
    const managed = model({
      users: [user("heidi"), user("ivan"), user("bob", { manager: "heidi" })],
      groups: [],
    });
    const plan = planFor(managed, {
      mode: "additive",
      live: stored,
      capabilities: { caseInsensitiveNames: true, userAttributes: ["manager"] },
    });
    expect(brief(plan.changes)).toEqual([]);
  });

  it("are left alone when the files spell a name two ways, or the system holds both spellings", () => {
    const twice = model({ users: [user("heidi"), user("Heidi", { accounts: {} })], groups: [] });
    const plan = planFor(twice, {
      mode: "authoritative",
      live: live([liveUser("HEIDI")]),
      capabilities: insensitive,
    });
    expect(brief(plan.changes)).toEqual(
      expect.arrayContaining([
        "user.create directory:user/heidi added-in-config",
        "user.create directory:user/Heidi added-in-config",
        "user.disable directory:user/HEIDI not-in-config",
      ]),
    );
    const both = planFor(model({ users: [user("heidi")], groups: [] }), {
      mode: "authoritative",
      live: live([liveUser("heidi"), liveUser("Heidi")]),
      capabilities: insensitive,
    });
    expect(brief(both.changes)).toEqual(["user.disable directory:user/Heidi not-in-config"]);
  });

  it("match a former name in another case, so the group is renamed, not replaced", () => {
    const renamed = model({
      users: people,
      groups: [group("ops", ["heidi", "bob"], { formerNames: ["team-ops"] })],
    });
    const plan = planFor(renamed, {
      mode: "authoritative",
      live: live(stored.users, [liveGroup("TEAM-OPS", ["heidi", "bob"], { description: "ops description" })]),
      capabilities: { ...insensitive, renameGroups: true },
    });
    expect(brief(plan.changes)).toEqual(["group.update directory:group/team-ops added-in-config"]);
  });
});

describe("names that differ only in case, continued", () => {
  it("respell a nested group though every account matches exactly", () => {
    const files = model({
      users: [user("ann")],
      groups: [
        group("eng", ["ann"]),
        group("all", [{ kind: "group", group: "eng", source: { file: "g.yaml", line: 1, column: 1 } }]),
      ],
    });
    const stored = live(
      [liveUser("ann")],
      [
        liveGroup("Eng", ["ann"], { description: "eng description" }),
        liveGroup("all", [], { groupMembers: ["Eng"] }),
      ],
    );
    const plan = planFor(files, {
      mode: "authoritative",
      live: stored,
      nativeNesting: true,
      capabilities: { ...insensitive, nesting: true },
    });
    expect(brief(plan.changes)).toEqual([]);
  });

  it("take a name the system lists twice (an active and a disabled entry) as one, as if spelt alike", () => {
    const files = model({ users: [user("bob")], groups: [group("ops", ["bob"])] });
    const twice = (name: string) =>
      live([liveUser(name), liveUser(name, { enabled: false })], [liveGroup("ops", [name])]);
    const respelt = planFor(files, { mode: "authoritative", live: twice("Bob"), capabilities: insensitive });
    const alike = planFor(files, { mode: "authoritative", live: twice("bob"), capabilities: insensitive });
    expect(brief(respelt.changes)).toEqual(brief(alike.changes));
    expect(brief(respelt.changes).some((c) => c.includes("create") || c.includes("disable"))).toBe(false);
  });
});

describe("guard rails and case", () => {
  it("protect a user and a group whatever the case of the name in the plan", () => {
    const plan = planFor(files, {
      mode: "authoritative",
      live: stored,
      capabilities: { userAttributes: [] },
    });
    const rails = policy({ guardrails: { protectedUsers: ["heidi"], protectedGroups: ["team-ops"] } });
    const violations = checkGuardrails(plan, rails, { allowRemovals: 100 });
    expect(
      violations.some(
        (v) => v.startsWith("directory:user/Heidi: user disable") && v.includes("protected user"),
      ),
    ).toBe(true);
    expect(violations.some((v) => v.includes("group/Team-Ops") && v.includes("protected group"))).toBe(true);
  });
});
