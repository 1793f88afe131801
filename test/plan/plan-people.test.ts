import { describe, expect, it } from "vitest";
import {
  entry,
  group,
  live,
  liveGroup,
  liveUser,
  model,
  planFor,
  providerConfig,
  user,
} from "../builders.ts";
import type { MembershipChange } from "../../src/plan/types.ts";

const github = providerConfig({ name: "gh", type: "github", settings: { maintainers: "owners" } });
const people = [user("carol"), user("alice"), user("bob")];

function roles(changes: readonly { kind: string }[]): string[] {
  return changes
    .filter((c): c is MembershipChange => c.kind === "membership")
    .map((c) => `${c.action} ${c.member} ${c.role ?? "-"} ${c.risk}`);
}

describe("group owners as maintainers", () => {
  it("adds owners as maintainers of a new team, members as plain members", () => {
    const m = model({
      users: people,
      groups: [group("team-x", ["alice"], { owners: ["carol"] })],
      providers: [github],
    });
    const plan = planFor(m, { capabilities: { userAttributes: [] } });
    expect(roles(plan.changes)).toEqual(["add alice - broadens", "add carol maintainer broadens"]);
  });

  it("promotes an owner who is a plain member, and demotes a maintainer who is no longer an owner", () => {
    const m = model({
      users: people,
      groups: [group("team-x", ["alice", "bob"], { owners: ["carol", "alice"] })],
      providers: [github],
    });
    const current = live(
      people.map((u) => liveUser(u.id)),
      [{ ...liveGroup("team-x", ["alice", "bob", "carol"]), maintainers: ["bob", "carol"] }],
    );
    const plan = planFor(m, { live: current, capabilities: { userAttributes: [] } });
    expect(roles(plan.changes)).toEqual(["add alice maintainer broadens", "add bob member narrows"]);
  });

  it("asks no role change for accounts the system always shows as maintainers (GitHub org owners)", () => {
    const m = model({
      users: people,
      groups: [group("team-x", ["alice", "bob", "carol"], { owners: ["alice"] })],
      providers: [github],
    });
    const current = {
      ...live(
        people.map((u) => liveUser(u.id)),
        [{ ...liveGroup("team-x", ["bob", "carol"]), maintainers: ["bob", "carol"] }],
      ),
      alwaysMaintainers: ["alice", "carol"],
    };
    const plan = planFor(m, { live: current, capabilities: { userAttributes: [] } });
    // carol stays a maintainer (an owner); bob is demoted; alice is added as the maintainer she is to be.
    expect(roles(plan.changes)).toEqual(["add alice maintainer broadens", "add bob member narrows"]);
  });

  it("asks no role of a pending invitee, whose role the team list does not show, until they accept", () => {
    const m = model({
      users: people,
      groups: [group("team-x", ["alice"], { owners: ["carol"] })],
      providers: [github],
    });
    const team = (maintainers: string[]) => ({ ...liveGroup("team-x", ["alice", "carol"]), maintainers });
    const invited = live(
      [liveUser("alice"), liveUser("bob"), liveUser("carol", { enabled: false, pending: true })],
      [team([])],
    );
    expect(roles(planFor(m, { live: invited, capabilities: { userAttributes: [] } }).changes)).toEqual([]);
    // Accepted: the team lists her as a plain member, and she is made the maintainer she is to be.
    const accepted = live(
      people.map((u) => liveUser(u.id)),
      [team([])],
    );
    expect(roles(planFor(m, { live: accepted, capabilities: { userAttributes: [] } }).changes)).toEqual([
      "add carol maintainer broadens",
    ]);
  });

  it("leaves roles alone where the provider is not configured for maintainers", () => {
    const m = model({ users: people, groups: [group("team-x", ["alice"], { owners: ["carol"] })] });
    const current = live(
      people.map((u) => liveUser(u.id)),
      [{ ...liveGroup("team-x", ["alice"]), maintainers: ["alice"] }],
    );
    expect(planFor(m, { live: current, capabilities: { userAttributes: [] } }).changes).toEqual([]);
  });
});

describe("pending invitations", () => {
  it("withdraws a pending invitation for someone in no access file, in authoritative mode only", () => {
    const m = model({ users: [user("alice")], groups: [] });
    const current = live([liveUser("alice"), liveUser("mallory", { enabled: false, pending: true })], []);
    const authoritative = planFor(m, {
      live: current,
      mode: "authoritative",
      capabilities: { disable: "remove", userAttributes: [] },
    });
    expect(authoritative.changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`)).toEqual([
      "user.disable directory:user/mallory not-in-config",
    ]);
    const additive = planFor(m, {
      live: current,
      mode: "additive",
      capabilities: { disable: "remove", userAttributes: [] },
    });
    expect(additive.changes).toEqual([]);
  });

  it("says 'invitation pending' of an open invitation, not of a failed one the read notes itself (trial L3)", () => {
    const m = model({ users: [user("dave"), user("erin")], groups: [] });
    const current = live(
      [
        liveUser("dave", { enabled: false, pending: true }),
        liveUser("erin", { enabled: false, pending: true, invitationFailed: true }),
      ],
      [],
    );
    const plan = planFor(m, { live: current, capabilities: { disable: "remove", userAttributes: [] } });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => n.message)).toEqual(["dave: invitation pending; not sent again"]);
  });
});

describe("leavers", () => {
  it("points each membership removal of a leaver at the person's entry", () => {
    const bob = user("bob", { status: "terminated" });
    const m = model({ users: [bob], groups: [group("g", ["bob"])] });
    const plan = planFor(m, {
      mode: "additive",
      live: live([liveUser("bob")], [liveGroup("g", ["bob"]), liveGroup("legacy", ["bob"])]),
    });
    const removals = plan.changes.filter((c) => c.kind === "membership");
    expect(removals.map((c) => `${c.id} ${c.reason}`)).toEqual([
      "directory:membership/g/bob user-terminated",
      "directory:membership/legacy/bob user-terminated",
    ]);
    for (const c of removals) expect(c.source).toEqual(bob.source);
  });
});

describe("joiners", () => {
  it("keeps the account of someone who has not started yet disabled, saying why", () => {
    const m = model({ users: [user("nia", { startDate: "2026-07-01" })] });
    const plan = planFor(m, { live: live([liveUser("nia")], []) });
    expect(plan.changes.map((c) => `${c.kind}.${c.action} ${c.reason}`)).toEqual([
      "user.disable not-started",
    ]);
  });
});

describe("expired grants with native nesting", () => {
  it("removes the grant from the nested group only, not a member added to the outer group by hand", () => {
    const m = model({
      users: [user("bob")],
      groups: [
        group("inner", [entry.user("bob", 10, { until: "2026-01-01T00:00:00Z" })], { line: 7 }),
        group("outer", [entry.group("inner", 20)], { line: 17 }),
      ],
    });
    const plan = planFor(m, {
      mode: "additive",
      nativeNesting: true,
      live: live(
        [liveUser("bob")],
        [liveGroup("inner", ["bob"]), { ...liveGroup("outer", ["bob"]), groupMembers: ["inner"] }],
      ),
    });
    expect(plan.changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.reason}`)).toEqual([
      "membership.remove directory:membership/inner/bob grant-expired",
    ]);
  });
});
