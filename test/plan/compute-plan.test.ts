import { describe, expect, it } from "vitest";
import type { AccessModel } from "../../src/model/access.ts";
import type { Change } from "../../src/plan/types.ts";
import {
  at,
  briefs,
  entry,
  group,
  GROUPS_FILE,
  live,
  liveGroup,
  liveUser,
  loc,
  model,
  planFor,
  policy,
  role,
  ROLES_FILE,
  user,
  USERS_FILE,
  type PlanOptions,
} from "../builders.ts";

interface Case {
  readonly name: string;
  readonly model: AccessModel;
  readonly options: PlanOptions;
  /** `brief(change)` of every change, in plan order. */
  readonly expected: readonly string[];
  /** Substrings of the plan's notes, in order. */
  readonly notes?: readonly string[];
}

const alice = user("alice");
const bob = user("bob");
const m = "directory:membership";

const cases: Case[] = [
  {
    name: "creates a missing user, group and membership, users first",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: { live: live() },
    expected: [
      "user.create alice added-in-config broadens",
      "group.create g added-in-config neutral",
      "membership.add g/alice added-in-config broadens",
    ],
  },
  {
    name: "adds a member listed in a group (added-in-config)",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: { live: live([liveUser("alice")], [liveGroup("g")]) },
    expected: ["membership.add g/alice added-in-config broadens"],
  },
  {
    name: "adds a member a role rule gives (role-baseline)",
    model: model({
      users: [user("alice", { department: "ENG" })],
      groups: [group("g", [])],
      roles: [role("engineer", { department: ["ENG"] }, ["g"])],
    }),
    options: { live: live([liveUser("alice", { department: "ENG" })], [liveGroup("g")]) },
    expected: ["membership.add g/alice role-baseline broadens"],
  },
  {
    name: "a member both listed and given by a role is added for the listed line",
    model: model({
      users: [user("alice", { department: "ENG" })],
      groups: [group("g", ["alice"])],
      roles: [role("engineer", { department: ["ENG"] }, ["g"])],
    }),
    options: { live: live([liveUser("alice", { department: "ENG" })], [liveGroup("g")]) },
    expected: ["membership.add g/alice added-in-config broadens"],
  },
  {
    name: "re-adds a membership gatehouse made that went missing live (drift)",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: {
      live: live([liveUser("alice")], [liveGroup("g")]),
      managed: [`${m}/g/alice`],
    },
    expected: ["membership.add g/alice drift broadens"],
  },
  {
    name: "removes a membership gatehouse made once it left the files (removed-from-config), even in additive mode",
    model: model({ users: [alice, bob], groups: [group("g", ["alice"])] }),
    options: {
      mode: "additive",
      live: live([liveUser("alice"), liveUser("bob")], [liveGroup("g", ["alice", "bob"])]),
      managed: [`${m}/g/bob`],
    },
    expected: ["membership.remove g/bob removed-from-config narrows"],
  },
  {
    name: "authoritative: removes an unmentioned member and disables an unmentioned account",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: {
      mode: "authoritative",
      live: live([liveUser("alice"), liveUser("mallory")], [liveGroup("g", ["alice", "mallory"])]),
    },
    expected: ["user.disable mallory not-in-config narrows", "membership.remove g/mallory drift narrows"],
  },
  {
    name: "additive: leaves an unmentioned member, account and group alone",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: {
      mode: "additive",
      live: live(
        [liveUser("alice"), liveUser("mallory")],
        [liveGroup("g", ["alice", "mallory"]), liveGroup("legacy", ["mallory"])],
      ),
    },
    expected: [],
    notes: [
      "1 membership(s) in managed groups are not granted by the access files now (not listed, or the person has not started yet) and are kept",
    ],
  },
  {
    name: "additive: names every member a privileged group holds that the files do not grant, in a note of its own",
    model: model({
      users: [alice],
      groups: [group("admins", ["alice"], { sensitivity: "privileged" }), group("g", ["alice"])],
    }),
    options: {
      mode: "additive",
      live: live(
        [liveUser("alice"), liveUser("mallory"), liveUser("trent")],
        [liveGroup("admins", ["alice", "mallory", "trent"]), liveGroup("g", ["alice", "trent"])],
      ),
    },
    expected: [],
    notes: [
      "privileged group admins holds 2 member(s) the access files do not grant, kept because gatehouse did not apply them (mode: additive): mallory, trent. Remove them in directory, or list them in the files with the owners' approval",
      "1 membership(s) in managed groups are not granted by the access files now (not listed, or the person has not started yet) and are kept, because gatehouse did not apply them (mode: additive): trent in g.",
    ],
  },
  {
    name: "observe: leaves an unmentioned member, account and group alone and notes each",
    model: model({ users: [alice], groups: [group("g", ["alice"])] }),
    options: {
      mode: "observe",
      live: live(
        [liveUser("alice"), liveUser("mallory")],
        [liveGroup("g", ["alice", "mallory"]), liveGroup("legacy", ["mallory"])],
      ),
    },
    expected: [],
    notes: [
      "account mallory is in no access file",
      "mallory is in g but not in the access files",
      "group legacy is in no access file",
    ],
  },
  {
    name: "authoritative: deletes groups in no file (narrows with members, neutral when empty)",
    model: model({ users: [alice], groups: [] }),
    options: {
      mode: "authoritative",
      live: live([liveUser("alice")], [liveGroup("legacy", ["alice"]), liveGroup("old-empty")]),
    },
    expected: ["group.delete legacy not-in-config narrows", "group.delete old-empty not-in-config neutral"],
  },
  {
    name: "authoritative: a group gatehouse created that left the files is removed-from-config",
    model: model({ users: [alice], groups: [] }),
    options: {
      live: live([liveUser("alice")], [liveGroup("gone", ["alice"])]),
      managed: ["directory:group/gone", "directory:user/mallory"],
    },
    expected: ["group.delete gone removed-from-config narrows"],
  },
  {
    name: "authoritative: an account gatehouse created that left the files is removed-from-config",
    model: model({ users: [alice] }),
    options: {
      live: live([liveUser("alice"), liveUser("mallory")]),
      managed: ["directory:user/mallory"],
    },
    expected: ["user.disable mallory removed-from-config narrows"],
  },
  {
    name: "a group without a members key keeps unknown live members, even in authoritative mode",
    model: model({ users: [alice], groups: [group("g", undefined)] }),
    options: {
      mode: "authoritative",
      live: live([liveUser("alice"), liveUser("mallory", { enabled: false })], [liveGroup("g", ["mallory"])]),
    },
    expected: [],
  },
  {
    name: "an explicit empty members list enforces empty (authoritative)",
    model: model({ users: [alice], groups: [group("g", [])] }),
    options: { live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    expected: ["membership.remove g/alice drift narrows"],
  },
  {
    name: "a grant whose until is exactly now has expired and is removed (grant-expired)",
    model: model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(0) })])] }),
    options: { live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    expected: ["membership.remove g/alice grant-expired narrows"],
  },
  {
    name: "a grant 1 ms before its until is kept",
    model: model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(1) })])] }),
    options: { live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    expected: [],
  },
  {
    name: "an expired grant is removed in additive mode too",
    model: model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(-1) })])] }),
    options: { mode: "additive", live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    expected: ["membership.remove g/alice grant-expired narrows"],
  },
  {
    name: "an expired grant is not removed while a role still gives the group",
    model: model({
      users: [user("alice", { department: "ENG" })],
      groups: [group("g", [entry.user("alice", 4, { until: at(-1) })])],
      roles: [role("engineer", { department: ["ENG"] }, ["g"])],
    }),
    options: {
      live: live([liveUser("alice", { department: "ENG" })], [liveGroup("g", ["alice"])]),
    },
    expected: [],
  },
  {
    name: "an expired grant not yet applied is not added",
    model: model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(-1) })])] }),
    options: { live: live([liveUser("alice")], [liveGroup("g")]) },
    expected: [],
  },
  {
    name: "a terminated user is disabled, loses sessions and tokens, and leaves every group (additive mode)",
    model: model({
      users: [alice, user("bob", { status: "terminated" })],
      groups: [group("listed", ["alice", "bob"]), group("unmanaged", undefined)],
    }),
    options: {
      mode: "additive",
      live: live(
        [liveUser("alice"), liveUser("bob", { sessions: 2, tokens: 1 })],
        [
          liveGroup("listed", ["alice", "bob"]),
          liveGroup("unmanaged", ["alice", "bob"]),
          liveGroup("not-in-files", ["alice", "bob"]),
        ],
      ),
    },
    expected: [
      "user.disable bob user-terminated narrows",
      "user.revoke-sessions bob#sessions user-terminated narrows",
      "membership.remove listed/bob user-terminated narrows",
      "membership.remove not-in-files/bob user-terminated narrows",
      "membership.remove unmanaged/bob user-terminated narrows",
    ],
  },
  {
    name: "observe writes nothing: even a leaver's disable and removals are only reported",
    model: model({ users: [user("bob", { status: "terminated" })] }),
    options: {
      mode: "observe",
      live: live([liveUser("bob")], [liveGroup("not-in-files", ["bob"])]),
    },
    expected: [],
    notes: [
      "would disable user bob (user terminated)",
      "group not-in-files is in no access file",
      "would remove bob from not-in-files (user terminated)",
    ],
  },
  {
    name: "a user past the end date is treated as terminated",
    model: model({ users: [user("bob", { endDate: "2026-05-31" })], groups: [group("g", ["bob"])] }),
    options: { live: live([liveUser("bob")], [liveGroup("g", ["bob"])]) },
    expected: ["user.disable bob user-terminated narrows", "membership.remove g/bob user-terminated narrows"],
  },
  {
    name: "a user on the last day (endDate today) keeps access",
    model: model({ users: [user("bob", { endDate: "2026-06-01" })], groups: [group("g", ["bob"])] }),
    options: { live: live([liveUser("bob")], [liveGroup("g", ["bob"])]) },
    expected: [],
  },
  {
    name: "a terminated user with no account here needs nothing",
    model: model({ users: [user("bob", { status: "terminated" })], groups: [group("g", ["bob"])] }),
    options: { live: live([], [liveGroup("g")]) },
    expected: [],
  },
  {
    name: "a user on leave with policy leave=disable is disabled and keeps memberships (user-on-leave)",
    model: model({
      users: [user("bob", { status: "leave" })],
      groups: [group("g", ["bob"])],
      policy: policy({ leave: "disable" }),
    }),
    options: { live: live([liveUser("bob", { sessions: 1 })], [liveGroup("g", ["bob"])]) },
    expected: ["user.disable bob user-on-leave narrows"],
  },
  {
    name: "a user on leave with policy leave=keep keeps everything",
    model: model({ users: [user("bob", { status: "leave" })], groups: [group("g", ["bob"])] }),
    options: { live: live([liveUser("bob")], [liveGroup("g", ["bob"])]) },
    expected: [],
  },
  {
    // Not gatehouse's doing (the journal knows nothing of it: adopted by import, say): someone else's.
    name: "a disabled account of an active user is enabled again as drift",
    model: model({ users: [alice] }),
    options: { live: live([liveUser("alice", { enabled: false })]) },
    expected: ["user.enable alice drift broadens"],
  },
  {
    name: "an account gatehouse manages but did not disable is enabled again as drift (disabled by someone else)",
    model: model({ users: [alice] }),
    options: {
      live: live([liveUser("alice", { enabled: false })]),
      managed: ["directory:user/alice"],
    },
    expected: ["user.enable alice drift broadens"],
  },
  {
    name: "an account gatehouse disabled itself (on leave, say) is enabled because the files changed",
    model: model({ users: [alice] }),
    options: {
      live: live([liveUser("alice", { enabled: false })]),
      managed: ["directory:user/alice"],
      disabledByGatehouse: ["directory:user/alice"],
    },
    expected: ["user.enable alice added-in-config broadens"],
  },
  {
    name: "an account gatehouse made before and someone deleted is made again as drift",
    model: model({ users: [alice] }),
    options: { live: live([]), managed: ["directory:user/alice"] },
    expected: ["user.create alice drift broadens"],
  },
  {
    name: "a person who has not started gets no account yet",
    model: model({ users: [user("alice", { startDate: "2026-06-02" })], groups: [group("g", ["alice"])] }),
    options: { live: live([], [liveGroup("g")]) },
    expected: [],
  },
  {
    name: "an attribute that differs is updated (neutral); drift when gatehouse set it before",
    model: model({ users: [user("alice", { title: "Staff Engineer" })] }),
    options: {
      live: live([liveUser("alice", { title: "Engineer" })]),
      managed: ["directory:user/alice"],
    },
    expected: ["user.update alice drift neutral"],
  },
  {
    name: "an attribute absent from the files is not managed",
    model: model({ users: [alice] }),
    options: { live: live([liveUser("alice", { title: "Whatever", department: "X" })]) },
    expected: [],
  },
  {
    name: "a changed description updates the group (neutral)",
    model: model({ groups: [group("g", [], { description: "new words" })] }),
    options: { live: live([], [liveGroup("g", [], { description: "old words" })]) },
    expected: ["group.update g added-in-config neutral"],
  },
];

describe("computePlan (table)", () => {
  it.each(cases)("$name", ({ model: accessModel, options, expected, notes }) => {
    const plan = planFor(accessModel, options);
    expect(briefs(plan)).toEqual(expected);
    if (notes !== undefined) {
      expect(plan.notes).toHaveLength(notes.length);
      notes.forEach((text, i) => {
        expect(plan.notes[i]?.message).toContain(text);
      });
    }
    expect(plan.summary.changes).toBe(expected.length);
  });
});

describe("a mover's lost group", () => {
  it("says the person is still in the files and what roles now see, not that a line left the files", () => {
    const mover = user("lukasz", { department: "FIN" });
    const plan = planFor(
      model({
        users: [mover],
        groups: [group("team-infra", [])],
        roles: [role("infra", { department: ["INFRA"] }, ["team-infra"])],
      }),
      {
        live: live([liveUser("lukasz", { department: "INFRA" })], [liveGroup("team-infra", ["lukasz"])]),
        managed: [`${m}/team-infra/lukasz`],
      },
    );
    const removal = plan.changes.find((c) => c.kind === "membership" && c.action === "remove");
    expect(removal?.reason).toBe("removed-from-config");
    expect(removal?.why).toEqual([
      `lukasz (${USERS_FILE}:1:5) is still in the access files, but no member line, role or nested group gives them this group now (now department "FIN", employmentType "employee")`,
    ]);
  });
});

describe("a temporary membership's source", () => {
  it("is the line of the grant whose end it has, not the first grant listed", () => {
    const g = group("g", [
      entry.user("alice", 4, { until: "2026-06-10T00:00:00Z" }),
      entry.user("alice", 6, { until: "2026-07-01T00:00:00Z" }),
    ]);
    const plan = planFor(model({ users: [alice], groups: [g] }), {
      live: live([liveUser("alice")], [liveGroup("g")]),
    });
    const add = plan.changes.find((c) => c.kind === "membership");
    expect(add).toMatchObject({ until: "2026-07-01T00:00:00Z", source: { line: 6 } });
  });
});

describe("a leaver's offboarding", () => {
  it("names the HR event behind it, with its date, on the disable and every removal, and says when it is late", () => {
    // NOW is 2026-06-01T12:00Z: siobhan's access ended 12 hours ago, ulf's 131.5 days ago.
    const users = [user("siobhan", { endDate: "2026-05-31" }), user("ulf", { endDate: "2026-01-20" })];
    const plan = planFor(model({ users, groups: [group("ledger", ["siobhan", "ulf"])] }), {
      live: live([liveUser("siobhan"), liveUser("ulf")], [liveGroup("ledger", ["siobhan", "ulf"])]),
    });
    const whom = (c: Change): string =>
      c.kind === "user" ? c.account : c.kind === "membership" ? c.member : "";
    expect(plan.changes.map((c) => [c.action, whom(c), c.why])).toEqual([
      ["disable", "siobhan", ["leaver: endDate 2026-05-31 has passed"]],
      ["disable", "ulf", ["leaver: endDate 2026-01-20 has passed, 131.5 days ago: offboarded late"]],
      ["remove", "siobhan", ["leaver (endDate 2026-05-31 has passed): every membership is removed"]],
      [
        "remove",
        "ulf",
        [
          "leaver (endDate 2026-01-20 has passed, 131.5 days ago: offboarded late): every membership is removed",
        ],
      ],
    ]);
  });
  it("says when a leaver's account gatehouse disabled was enabled again by someone else", () => {
    const users = [user("siobhan", { status: "terminated" }), user("ulf", { status: "terminated" })];
    const options = {
      live: live([liveUser("siobhan"), liveUser("ulf")]),
      managed: ["directory:user/siobhan", "directory:user/ulf"],
    };
    // siobhan was disabled by gatehouse before; ulf never was (this is his first offboarding).
    const plan = planFor(model({ users }), { ...options, disabledByGatehouse: ["directory:user/siobhan"] });
    const why = (account: string): readonly string[] | undefined =>
      plan.changes.find((c) => c.kind === "user" && c.account === account)?.why;
    expect(why("siobhan")).toEqual([
      "leaver: status: terminated",
      "enabled again outside gatehouse after gatehouse disabled it (the journal records no enable since)",
    ]);
    expect(why("ulf")).toEqual(["leaver: status: terminated"]);
    expect(plan.notes.map((n) => n.message).filter((m) => m.includes("enabled again"))).toEqual([
      "account siobhan of siobhan in directory was enabled again outside gatehouse after gatehouse disabled it (the journal records no enable since); this plan disables it again",
    ]);
  });
});

describe("nesting", () => {
  const nested = model({
    users: [alice, bob],
    groups: [
      group("outer", [entry.group("inner", 4), "bob"], { line: 1 }),
      group("inner", ["alice"], { line: 10 }),
    ],
  });
  const state = live(
    [liveUser("alice"), liveUser("bob")],
    [liveGroup("outer"), liveGroup("inner", ["alice"])],
  );

  it("flattens a nested group's members into the outer group when the provider does not nest", () => {
    const plan = planFor(nested, { live: state, nativeNesting: false });
    expect(briefs(plan)).toEqual([
      "membership.add outer/alice added-in-config broadens",
      "membership.add outer/bob added-in-config broadens",
    ]);
    const viaInner = plan.changes.find((c) => c.id === `${m}/outer/alice`);
    expect(viaInner?.source).toEqual(loc(GROUPS_FILE, 4, 9));
    expect(viaInner?.why?.[0]).toMatch(/^via group inner/);
  });

  it("keeps the nested group as a group member when the provider nests natively", () => {
    const plan = planFor(nested, { live: state, nativeNesting: true });
    expect(briefs(plan)).toEqual([
      "membership.add outer/bob added-in-config broadens",
      "membership.add outer/group:inner added-in-config broadens",
    ]);
  });

  it("removes a live nested group the files no longer nest (native nesting)", () => {
    const plan = planFor(model({ groups: [group("outer", []), group("inner", [])] }), {
      live: live([], [liveGroup("outer", [], { groupMembers: ["inner"] }), liveGroup("inner")]),
      nativeNesting: true,
    });
    expect(briefs(plan)).toEqual(["membership.remove outer/group:inner drift narrows"]);
    // inner is in the files: what they do not have is its nesting in outer.
    expect(plan.changes[0]?.why).toEqual([
      "inner is in the access files, but they do not nest it in outer; gatehouse did not add it (mode: authoritative)",
    ]);
    const applied = planFor(model({ groups: [group("outer", []), group("inner", [])] }), {
      live: live([], [liveGroup("outer", [], { groupMembers: ["inner"] }), liveGroup("inner")]),
      nativeNesting: true,
      managed: [`${m}/outer/group:inner`],
    });
    expect(briefs(applied)).toEqual(["membership.remove outer/group:inner removed-from-config narrows"]);
    expect(applied.changes[0]?.why).toEqual(["the access files no longer nest inner in outer"]);
  });
});

describe("plan order and determinism", () => {
  const mixed = model({
    users: [
      user("zed"),
      user("amy"),
      user("bob", { status: "terminated" }),
      user("carl", { department: "ENG" }),
    ],
    groups: [group("new-group", ["zed", "amy"]), group("g", [])],
    roles: [role("eng", { department: ["ENG"] }, ["g"])],
  });
  const state = live(
    [liveUser("bob", { sessions: 1 }), liveUser("carl", { department: "ENG" }), liveUser("old")],
    [liveGroup("g", ["bob", "old"]), liveGroup("legacy", ["old"])],
  );

  it("returns identical JSON for the same input twice", () => {
    const first = JSON.stringify(planFor(mixed, { live: state }));
    const second = JSON.stringify(planFor(mixed, { live: state }));
    expect(second).toBe(first);
  });

  it("orders disables and revocations, then creates, then memberships, then deletes", () => {
    expect(briefs(planFor(mixed, { live: state }))).toEqual([
      "user.disable bob user-terminated narrows",
      "user.revoke-sessions bob#sessions user-terminated narrows",
      "user.disable old not-in-config narrows",
      "user.create amy added-in-config broadens",
      "user.create zed added-in-config broadens",
      "group.create new-group added-in-config neutral",
      "membership.remove g/bob user-terminated narrows",
      "membership.add g/carl role-baseline broadens",
      "membership.remove g/old drift narrows",
      "membership.add new-group/amy added-in-config broadens",
      "membership.add new-group/zed added-in-config broadens",
      "group.delete legacy not-in-config narrows",
    ]);
  });

  it("does not depend on the order of users and groups in the files or live", () => {
    const reversed = model({
      users: [...mixed.users.values()].reverse(),
      groups: [...mixed.groups.values()].reverse(),
      roles: [...mixed.roles.values()],
    });
    const shuffled = live([...state.users].reverse(), [...state.groups].reverse());
    expect(JSON.stringify(planFor(reversed, { live: shuffled }))).toBe(
      JSON.stringify(planFor(mixed, { live: state })),
    );
  });

  it("summarizes by action and by risk", () => {
    const { summary } = planFor(mixed, { live: state });
    expect(summary).toEqual({
      changes: 12,
      broadens: 5,
      narrows: 6,
      byAction: {
        "user.disable": 2,
        "user.revoke-sessions": 1,
        "user.create": 2,
        "group.create": 1,
        "membership.add": 3,
        "membership.remove": 2,
        "group.delete": 1,
      },
    });
  });
});

describe("sources", () => {
  it("points each change that comes from a line at that line", () => {
    const plan = planFor(
      model({
        users: [user("alice", { department: "ENG", source: loc(USERS_FILE, 7) })],
        groups: [
          group("g", [entry.user("alice", 13, { until: at(3_600_000), reason: "INC-1" })], { line: 10 }),
          group("r", [], { line: 20 }),
          group("x", [entry.user("alice", 33, { until: at(0) })], { line: 30 }),
        ],
        roles: [role("engineer", { department: ["ENG"] }, ["r"], 40)],
      }),
      { live: live([], [liveGroup("x", ["alice"])]) },
    );
    const sourceOf = (id: string): string | undefined => {
      const s = plan.changes.find((c) => c.id === id)?.source;
      return s ? `${s.file}:${String(s.line)}:${String(s.column)}` : undefined;
    };
    expect(sourceOf("directory:user/alice")).toBe(`${USERS_FILE}:7:5`);
    expect(sourceOf("directory:group/g")).toBe(`${GROUPS_FILE}:10:5`);
    expect(sourceOf(`${m}/g/alice`)).toBe(`${GROUPS_FILE}:13:9`);
    expect(sourceOf(`${m}/r/alice`)).toBe(`${ROLES_FILE}:40:5`);
    expect(sourceOf(`${m}/x/alice`)).toBe(`${GROUPS_FILE}:33:9`);
    const grant = plan.changes.find((c) => c.id === `${m}/g/alice`);
    expect(grant?.why).toEqual([`listed at ${GROUPS_FILE}:13 until ${at(3_600_000)} (INC-1)`]);
    expect(grant?.userId).toBe("alice");
  });

  it("gives no source to a change no line asks for", () => {
    const plan = planFor(model(), { live: live([liveUser("mallory")], [liveGroup("legacy")]) });
    expect(plan.changes.map((c) => [c.id, c.source])).toEqual([
      ["directory:user/mallory", undefined],
      ["directory:group/legacy", undefined],
    ]);
  });
});

describe("expired grants removed late", () => {
  const DAY = 86_400_000;
  const held = live([liveUser("alice"), liveUser("bob")], [liveGroup("g", ["alice", "bob"])]);

  it("says how late, in the change and in one note, when a grant ended more than a day ago", () => {
    const plan = planFor(
      model({
        users: [alice, bob],
        groups: [
          group("g", [
            entry.user("alice", 4, { until: at(-6.7 * DAY) }),
            entry.user("bob", 5, { until: at(-2 * DAY) }),
          ]),
        ],
      }),
      { live: held, managed: [`${m}/g/alice`, `${m}/g/bob`] },
    );
    expect(plan.changes.map((c) => c.why)).toEqual([
      [`grant ended ${at(-6.7 * DAY)}, 6.7 days ago: removed late`],
      [`grant ended ${at(-2 * DAY)}, 2.0 days ago: removed late`],
    ]);
    expect(plan.notes.map((n) => n.message)).toEqual([
      `2 expired grant(s) are removed more than a day after they ended (the oldest ended ${at(-6.7 * DAY)}, 6.7 days ago): check that the scheduled reconcile runs and succeeds`,
    ]);
  });

  it("says nothing of lateness for a grant gatehouse never applied (written already expired)", () => {
    const plan = planFor(
      model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(-3 * DAY) })])] }),
      { live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    );
    expect(plan.changes.map((c) => c.why)).toEqual([[`grant ended ${at(-3 * DAY)}`]]);
    expect(plan.notes).toEqual([]);
  });

  it("says nothing of lateness within a day of the end", () => {
    const plan = planFor(
      model({ users: [alice], groups: [group("g", [entry.user("alice", 4, { until: at(-DAY + 1) })])] }),
      { live: live([liveUser("alice")], [liveGroup("g", ["alice"])]) },
    );
    expect(plan.changes.map((c) => c.why)).toEqual([[`grant ended ${at(-DAY + 1)}`]]);
    expect(plan.notes).toEqual([]);
  });
});
