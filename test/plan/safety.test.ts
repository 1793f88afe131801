import { describe, expect, it } from "vitest";
import { checkGuardrails, countRemovals, madeDespiteRefusal, removalLimit } from "../../src/plan/safety.ts";
import type { Guardrails } from "../../src/model/access.ts";
import type { Plan } from "../../src/plan/types.ts";
import { group, live, liveGroup, liveUser, model, planFor, policy, user } from "../builders.ts";

const people = ["ann", "ben", "cat", "dan", "eve"];

/** Ten live memberships (five people in two groups); the files keep only the first `keep` people in g1. */
function removalPlan(keep: number): Plan {
  return planFor(
    model({
      users: people.map((id) => user(id)),
      groups: [group("g1", people.slice(0, keep)), group("g2", people)],
    }),
    {
      live: live(
        people.map((id) => liveUser(id)),
        [liveGroup("g1", people), liveGroup("g2", people)],
      ),
    },
  );
}

const guard = (guardrails: Partial<Guardrails>) =>
  policy({ guardrails: { protectedUsers: [], protectedGroups: [], ...guardrails } });

describe("checkGuardrails: removal limit", () => {
  it("counts membership removals and the members of deleted groups", () => {
    const plan = planFor(model({ users: [user("ann")], groups: [group("g", [])] }), {
      live: live(
        [liveUser("ann"), liveUser("ben", { enabled: false })],
        [liveGroup("g", ["ann"]), liveGroup("legacy", ["ann", "ben"])],
      ),
    });
    expect(countRemovals(plan)).toBe(3);
  });

  it("counts every value a deleted group holds: nested groups and members gatehouse does not read too", () => {
    const plan = planFor(model({ users: [user("ann")] }), {
      live: live(
        [liveUser("ann")],
        [
          liveGroup("legacy", ["ann"], { groupMembers: ["ops"], unmanagedMembers: 2 }),
          // Only accounts outside the people OU: still access that the delete takes away.
          liveGroup("vpn", [], { unmanagedMembers: 3 }),
        ],
      ),
    });
    const deletes = plan.changes.flatMap((c) =>
      c.kind === "group" && c.action === "delete" ? [[c.memberCount, c.risk]] : [],
    );
    expect(deletes).toEqual([
      [4, "narrows"],
      [3, "narrows"],
    ]);
    expect(countRemovals(plan)).toBe(7);
  });

  it("counts a disabled account as a removal too", () => {
    const plan = planFor(model({ users: [user("ann")] }), {
      mode: "authoritative",
      live: live(
        Array.from({ length: 30 }, (_, i) => liveUser(`ghost${String(i)}`)).concat(liveUser("ann")),
        [],
      ),
    });
    expect(plan.changes.filter((c) => c.kind === "user" && c.action === "disable")).toHaveLength(30);
    expect(countRemovals(plan)).toBe(30);
    expect(checkGuardrails(plan, guard({ maxRemovals: { kind: "count", value: 1 } }))).toHaveLength(1);
  });

  it("takes a percentage per provider, so a big provider does not make a small one wipeable", () => {
    const plan: Plan = {
      ...removalPlan(2),
      providers: [
        { ...removalPlan(2).providers[0]!, name: "directory" },
        { ...removalPlan(2).providers[0]!, name: "mirror", liveMemberships: 1_000 },
      ],
    };
    const refused = checkGuardrails(plan, guard({ maxRemovals: { kind: "percent", value: 25 } }));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain("in directory");
  });

  it("refuses more removals than an absolute maxRemovals and names --allow-removals N", () => {
    const plan = removalPlan(2); // removes cat, dan, eve from g1
    const violations = checkGuardrails(plan, guard({ maxRemovals: { kind: "count", value: 2 } }));
    expect(violations).toEqual([
      "the plan removes 3 memberships or accounts in directory, more than allowed (policy.guardrails.maxRemovals is 2); " +
        "if that is intended, re-run with --allow-removals 3",
    ]);
  });

  it("accepts exactly maxRemovals removals", () => {
    expect(checkGuardrails(removalPlan(2), guard({ maxRemovals: { kind: "count", value: 3 } }))).toEqual([]);
  });

  it("takes a percent limit of the current live memberships, rounded down", () => {
    const rule = guard({ maxRemovals: { kind: "percent", value: 25 } });
    expect(removalLimit(removalPlan(5), rule)).toEqual({
      limit: 2,
      explanation: "policy.guardrails.maxRemovals is 25% of 10 current memberships = 2",
    });
    expect(checkGuardrails(removalPlan(3), rule)).toEqual([]); // 2 removals
    const refused = checkGuardrails(removalPlan(2), rule); // 3 removals
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain("25% of 10 current memberships in directory = 2");
    expect(refused[0]).toContain("--allow-removals 3");
  });

  it("lets --allow-removals raise the limit to N, and no further", () => {
    const rule = guard({ maxRemovals: { kind: "count", value: 0 } });
    expect(checkGuardrails(removalPlan(2), rule, { allowRemovals: 3 })).toEqual([]);
    expect(checkGuardrails(removalPlan(2), rule, { allowRemovals: 2 })).toHaveLength(1);
  });

  it("never lowers the policy limit with a smaller --allow-removals", () => {
    const rule = guard({ maxRemovals: { kind: "count", value: 5 } });
    expect(checkGuardrails(removalPlan(2), rule, { allowRemovals: 1 })).toEqual([]);
  });

  it("has no limit when policy sets none", () => {
    expect(checkGuardrails(removalPlan(0), guard({}))).toEqual([]);
  });
});

describe("checkGuardrails: protected users and groups", () => {
  const leaver = planFor(
    model({
      users: [user("svc.deploy", { status: "terminated" }), user("ann")],
      groups: [group("prod-admin", ["ann"])],
    }),
    {
      live: live(
        [liveUser("svc.deploy", { tokens: 2 }), liveUser("ann")],
        [liveGroup("prod-admin", ["ann", "svc.deploy"])],
      ),
    },
  );

  it("refuses any narrowing change to a protected user, whatever the removal limit", () => {
    const violations = checkGuardrails(leaver, guard({ protectedUsers: ["svc.deploy"] }), {
      allowRemovals: 100,
    });
    expect(violations).toEqual([
      "directory:user/svc.deploy: user disable touches protected user svc.deploy; re-run with --force if intended",
      "directory:user/svc.deploy#sessions: user revoke-sessions touches protected user svc.deploy; re-run with --force if intended",
      "directory:membership/prod-admin/svc.deploy: membership remove touches protected user svc.deploy; re-run with --force if intended",
    ]);
  });

  it("still protects a user under an account they held before (a changed mapping)", () => {
    const remapped = planFor(
      model({ users: [user("svc.deploy", { accounts: { directory: "deploy-bot2" } })] }),
      {
        mode: "authoritative",
        live: live([liveUser("deploy-bot")], []),
      },
    );
    expect(
      remapped.changes.map((c) => `${c.kind}.${c.action} ${c.kind === "user" ? c.account : ""}`),
    ).toContain("user.disable deploy-bot");
    const rule = guard({ protectedUsers: ["svc.deploy"] });
    expect(checkGuardrails(remapped, rule, { allowRemovals: 100 })).toEqual([]);
    const protectedAccounts = new Map([["directory", new Set(["deploy-bot", "deploy-bot2"])]]);
    expect(checkGuardrails(remapped, rule, { allowRemovals: 100, protectedAccounts })).toEqual([
      "directory:user/deploy-bot: user disable touches protected user deploy-bot; re-run with --force if intended",
    ]);
  });

  it("refuses removing members from a protected group, but not a leaver's offboarding", () => {
    // ann's line is taken out of the files: refused.
    const edited = planFor(
      model({ users: [user("ann"), user("bob")], groups: [group("prod-admin", ["bob"])] }),
      { live: live([liveUser("ann"), liveUser("bob")], [liveGroup("prod-admin", ["ann", "bob"])]) },
    );
    expect(checkGuardrails(edited, guard({ protectedGroups: ["prod-admin"] }))).toEqual([
      "directory:membership/prod-admin/ann: membership remove narrows protected group prod-admin; re-run with --force if intended",
    ]);
    // svc.deploy leaves: its removal from the protected group goes through (counted all the same) ...
    expect(leaver.changes.find((c) => c.id === "directory:membership/prod-admin/svc.deploy")?.reason).toBe(
      "user-terminated",
    );
    expect(checkGuardrails(leaver, guard({ protectedGroups: ["prod-admin"] }))).toEqual([]);
    expect(
      checkGuardrails(
        leaver,
        guard({ protectedGroups: ["prod-admin"], maxRemovals: { kind: "count", value: 1 } }),
      ),
    ).toEqual([
      "the plan removes 2 memberships or accounts in directory, more than allowed (policy.guardrails.maxRemovals is 1); if that is intended, re-run with --allow-removals 2",
    ]);
    // ... unless the leaver is a protected user.
    expect(
      checkGuardrails(leaver, guard({ protectedGroups: ["prod-admin"], protectedUsers: ["svc.deploy"] })),
    ).not.toEqual([]);
  });

  it("refuses deleting a protected group, even an empty one", () => {
    const empty = planFor(model(), { live: live([], [liveGroup("prod-admin")]) });
    expect(empty.changes.map((c) => c.risk)).toEqual(["neutral"]);
    expect(checkGuardrails(empty, guard({ protectedGroups: ["prod-admin"] }))).toEqual([
      "directory:group/prod-admin: group delete narrows protected group prod-admin; re-run with --force if intended",
    ]);
    const withMembers = planFor(model(), {
      live: live([liveUser("ann", { enabled: false })], [liveGroup("prod-admin", ["ann"])]),
    });
    expect(checkGuardrails(withMembers, guard({ protectedGroups: ["prod-admin"] }))).toEqual([
      "directory:group/prod-admin: group delete narrows protected group prod-admin; re-run with --force if intended",
    ]);
  });

  it("lets changes that broaden a protected group or user through", () => {
    const plan = planFor(model({ users: [user("ann")], groups: [group("prod-admin", ["ann"])] }), {
      live: live([liveUser("ann", { enabled: false })], [liveGroup("prod-admin")]),
    });
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(
      checkGuardrails(plan, guard({ protectedUsers: ["ann"], protectedGroups: ["prod-admin"] })),
    ).toEqual([]);
  });

  it("accepts every violation with --force", () => {
    const rule = guard({
      maxRemovals: { kind: "count", value: 0 },
      protectedUsers: ["svc.deploy"],
      protectedGroups: ["prod-admin"],
    });
    expect(checkGuardrails(leaver, rule).length).toBeGreaterThan(0);
    expect(checkGuardrails(leaver, rule, { force: true })).toEqual([]);
  });
});

describe("madeDespiteRefusal: what a refused plan still applies", () => {
  // svc.deploy and cy leave; a stranger, mallory, was added by hand to the protected prod-admin.
  const plan = (leavers: string[]) =>
    planFor(
      model({
        users: ["svc.deploy", "cy", "ann"].map((id) =>
          user(id, leavers.includes(id) ? { status: "terminated" } : {}),
        ),
        groups: [group("prod-admin", ["ann"]), group("team", ["ann", "cy", "svc.deploy"])],
      }),
      {
        mode: "authoritative",
        live: live(
          ["svc.deploy", "cy", "ann", "mallory"].map((id) => liveUser(id)),
          [liveGroup("prod-admin", ["ann", "mallory"]), liveGroup("team", ["ann", "cy", "svc.deploy"])],
        ),
      },
    );
  const made = (p: Plan, guardrails: Partial<Guardrails>) =>
    madeDespiteRefusal(p, guard(guardrails))?.plan.changes.map((c) => c.id);

  it("makes the leavers' kill chain, and nothing of the refused drift", () => {
    const p = plan(["cy"]);
    const rule = guard({ protectedGroups: ["prod-admin"] });
    expect(checkGuardrails(p, rule)).toEqual([
      "directory:membership/prod-admin/mallory: membership remove narrows protected group prod-admin; re-run with --force if intended",
    ]);
    expect(made(p, { protectedGroups: ["prod-admin"] })).toEqual([
      "directory:user/cy",
      "directory:membership/team/cy",
    ]);
    expect(madeDespiteRefusal(p, rule)?.leavers).toBe(1);
  });

  it("makes none of them when the leavers' changes alone break a guard rail", () => {
    // A protected user among them, or more removals than maxRemovals allows, together.
    const both = plan(["cy", "svc.deploy"]);
    expect(made(both, { protectedGroups: ["prod-admin"], protectedUsers: ["svc.deploy"] })).toBeUndefined();
    expect(
      made(both, { protectedGroups: ["prod-admin"], maxRemovals: { kind: "count", value: 3 } }),
    ).toBeUndefined();
    expect(made(both, { protectedGroups: ["prod-admin"], maxRemovals: { kind: "count", value: 4 } })).toEqual(
      [
        "directory:user/cy",
        "directory:user/svc.deploy",
        "directory:membership/team/cy",
        "directory:membership/team/svc.deploy",
      ],
    );
  });
});
