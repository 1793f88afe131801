/**
 * Where the system expires accounts itself (Capabilities.expiresAccounts: Active Directory's
 * accountExpires), an endDate written to an account takes the access away on that day whether or not a
 * later run is refused: the guard rails judge it when it is written, as hr sync's --max-leavers does (an
 * endDate set or brought forward makes a leaver). An expiry the files no longer give is said in the plan.
 */
import { describe, expect, it } from "vitest";
import { checkGuardrails, countRemovals } from "../../src/plan/safety.ts";
import { live, liveUser, model, planFor, policy, user } from "../builders.ts";

const AD = { capabilities: { userAttributes: [], expiresAccounts: true } } as const;
const people = ["ann", "ben", "cat", "dan", "eve"];

describe("an account expiry under the guard rails", () => {
  it("counts an expiry set or brought forward as a removal, and not one moved later", () => {
    const plan = planFor(
      model({
        users: [
          ...people.map((id) => user(id, { endDate: "2026-06-30" })),
          user("fay", { endDate: "2027-12-31" }),
        ],
      }),
      {
        ...AD,
        live: live([
          ...people.map((id) => liveUser(id, id === "ann" ? { endDate: "2026-12-31" } : {})),
          liveUser("fay", { endDate: "2027-01-31" }),
        ]),
      },
    );
    // ann's brought forward, four set where there was none; fay's moved later.
    expect(plan.changes.filter((c) => c.kind === "user" && c.action === "update")).toHaveLength(6);
    expect(countRemovals(plan)).toBe(5);
    const refusals = checkGuardrails(
      plan,
      policy({ guardrails: { ...guardrails(), maxRemovals: count(2) } }),
    );
    expect(refusals).toEqual([
      expect.stringContaining("the plan removes 5 memberships or accounts in directory"),
    ]);
    expect(checkGuardrails(plan, policy(), { allowRemovals: 5 })).toEqual([]);
  });

  it("refuses an expiry set on a protected user's account without --force", () => {
    const plan = planFor(model({ users: [user("root", { endDate: "2026-06-30" })] }), {
      ...AD,
      live: live([liveUser("root")]),
    });
    const refusals = checkGuardrails(
      plan,
      policy({ guardrails: { ...guardrails(), protectedUsers: ["root"] } }),
    );
    expect(refusals).toEqual([expect.stringContaining("touches protected user root")]);
    expect(
      checkGuardrails(plan, policy({ guardrails: { ...guardrails(), protectedUsers: ["root"] } }), {
        force: true,
      }),
    ).toEqual([]);
  });

  it("says in the plan that an account expires though the files give its person no endDate", () => {
    const plan = planFor(model({ users: [user("gil"), user("hal")] }), {
      ...AD,
      live: live([liveUser("gil", { endDate: "2026-07-31" }), liveUser("hal")]),
    });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/^account gil of gil in directory expires when 2026-07-31 ends .*no endDate/),
    ]);
  });
});

describe("an account expiry the files no longer give", () => {
  // gil's endDate was removed from the files after gatehouse wrote it (a contract made permanent); hal's
  // expiry was set by someone else; ivy's was written by gatehouse, then moved by hand in the system.
  const plan = (caseInsensitiveNames = false) =>
    planFor(model({ users: [user("gil"), user("hal"), user("ivy")] }), {
      capabilities: { ...AD.capabilities, caseInsensitiveNames },
      live: live([
        liveUser("gil", { endDate: "2026-07-31" }),
        liveUser("hal", { endDate: "2026-08-31" }),
        liveUser("ivy", { endDate: "2026-10-31" }),
      ]),
      expiries: new Map([
        [caseInsensitiveNames ? "directory:user/GIL" : "directory:user/gil", "2026-07-31"],
        ["directory:user/ivy", "2026-09-30"],
      ]),
    });

  it("is cleared where it is the one gatehouse wrote, and said in the plan where someone else set it", () => {
    for (const made of [plan(), plan(true)]) {
      expect(
        made.changes.map((c) => (c.kind === "user" && c.action === "update" ? [c.account, c.fields] : c.id)),
      ).toEqual([["gil", [{ field: "endDate", before: "2026-07-31", after: null }]]]);
      expect(made.notes.map((n) => n.message)).toEqual([
        expect.stringMatching(
          /^account hal of hal in directory expires when 2026-08-31 ends \(set in directory, not by gatehouse\)/,
        ),
        expect.stringMatching(/^account ivy of ivy in directory expires when 2026-10-31 ends/),
      ]);
    }
  });

  it("takes nothing away: clearing an expiry is neither counted nor refused for a protected user", () => {
    const made = plan();
    expect(countRemovals(made)).toBe(0);
    expect(
      checkGuardrails(
        made,
        policy({ guardrails: { ...guardrails(), protectedUsers: ["gil"], maxRemovals: count(0) } }),
      ),
    ).toEqual([]);
  });
});

function guardrails() {
  return { protectedUsers: [], protectedGroups: [] };
}

function count(value: number) {
  return { kind: "count", value } as const;
}
