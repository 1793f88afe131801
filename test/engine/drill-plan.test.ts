/** The pure parts of a fire drill: the canary as a leaver in memory, and its kill chain out of a plan. */
import { describe, expect, it } from "vitest";
import { killChainOf, withCanaryLeaving } from "../../src/engine/drill-plan.ts";
import { ConfigError } from "../../src/errors.ts";
import { briefs, group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

/** canary and bob in ops live and in the files; xavier left (a real leaver, planned the same run). */
const files = model({
  users: [user("ann"), user("bob"), user("canary"), user("xavier", { status: "terminated" })],
  groups: [group("ops", ["ann", "bob", "canary"])],
});
const state = live(
  [liveUser("ann"), liveUser("bob"), liveUser("canary", { sessions: 1, tokens: 0 }), liveUser("xavier")],
  [liveGroup("ops", ["ann", "bob", "canary", "xavier"])],
);

describe("killChainOf", () => {
  it("keeps the canary's disable, revocation and removal, and no one else's (not even a real leaver's)", () => {
    const plan = planFor(withCanaryLeaving(files, "canary"), { live: state });
    expect(briefs(plan).some((b) => b.includes("xavier"))).toBe(true);
    const chain = killChainOf(plan, "canary");
    expect(briefs(chain).sort()).toEqual([
      "membership.remove ops/canary user-terminated narrows",
      "user.disable canary user-terminated narrows",
      "user.revoke-sessions canary#sessions user-terminated narrows",
    ]);
    expect(chain.summary.changes).toBe(3);
    expect(chain.changes.every((c) => c.userId === "canary")).toBe(true);
    // The files' model is left as it was: only the copy has the canary leaving.
    expect(files.users.get("canary")?.status).toBe("active");
  });

  it("refuses a chain that would delete the canary's account (a system that deletes leavers' accounts)", () => {
    const plan = planFor(withCanaryLeaving(files, "canary"), {
      live: state,
      capabilities: { deleteLeavers: true },
    });
    expect(() => killChainOf(plan, "canary")).toThrow(ConfigError);
    expect(() => killChainOf(plan, "canary")).toThrow(
      /would also delete its account canary in directory \(the system deletes leavers. accounts: deleteUsers\); .*Give the canary legalHold: true/,
    );
  });

  it("refuses a canary with nothing to take away", () => {
    const plan = planFor(withCanaryLeaving(files, "canary"), { live: live([liveUser("ann")]) });
    expect(() => killChainOf(plan, "canary")).toThrow(/nothing to drill: canary canary has no account/);
    expect(() => killChainOf(plan, "canary")).toThrow(ConfigError); // exit 1: a state, not a usage, refusal
  });
});
