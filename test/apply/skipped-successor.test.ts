import { describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply-plan.ts";
import { ProviderError } from "../../src/errors.ts";
import { countRemovals, guardrailViolations } from "../../src/plan/safety.ts";
import type { Change } from "../../src/plan/types.ts";
import type { ChangeOutcome, Provider } from "../../src/providers/types.ts";
import { group, live, liveGroup, liveUser, model, NOW, planFor, policy, user } from "../builders.ts";

/** A provider that applies every change but those `fails` picks (by default the create of `failing`). */
function recording(
  failing: string,
  applied: Change[],
  fails: (c: Change) => boolean = (c) => c.kind === "user" && c.action === "create" && c.account === failing,
): Provider {
  return {
    name: "directory",
    capabilities: { maxMembersPerWrite: 1 },
    stats: () => ({ reads: 0, writes: 0 }),
    apply: (changes: readonly Change[]): Promise<ChangeOutcome[]> =>
      Promise.resolve(
        changes.map((c): ChangeOutcome => {
          if (fails(c))
            return { status: "failed", error: new ProviderError("directory", "create", "refused") };
          applied.push(c);
          return { status: "applied" };
        }),
      ),
  } as unknown as Provider;
}

describe("a person's former account, when their new account's create is skipped", () => {
  it("is not disabled: the new account does not exist (its manager's create failed)", async () => {
    // alice's account changes to alice.new; her new manager, mia, is a new hire whose create fails.
    const files = model({
      users: [user("mia"), user("alice", { accounts: { directory: "alice.new" }, manager: "mia" })],
      groups: [group("g", ["alice"])],
    });
    const plan = planFor(files, {
      live: live([liveUser("alice")], [liveGroup("g", ["alice"])]),
      journalAccounts: new Map([["directory\nalice", ["alice"]]]),
      managed: ["directory:user/alice", "directory:membership/g/alice"],
      capabilities: { userAttributes: ["manager"] },
    });
    const applied: Change[] = [];
    const result = await applyPlan(plan, new Map([["directory", recording("mia", applied)]]), {
      signal: AbortSignal.timeout(20_000),
      now: () => NOW,
      sleep: () => Promise.resolve(),
    });
    expect(result.results.map((r) => `${r.change.id} ${r.outcome}: ${r.error ?? ""}`)).toEqual([
      "directory:user/alice skipped: skipped: creating user/alice.new was skipped",
      "directory:user/alice.new skipped: skipped: creating user/mia failed",
      "directory:user/mia failed: directory: create: refused",
      "directory:membership/g/alice skipped: skipped: creating user/alice.new was skipped",
      "directory:membership/g/alice.new skipped: skipped: creating user/alice.new was skipped",
    ]);
    // alice keeps her old account, in her groups, until alice.new exists.
    expect(applied).toEqual([]);
  });
});

describe("a person's former account, in a group their new account takes over", () => {
  // alice's account changes to alice.new (a system that cannot rename): alice.new gets her groups, the old
  // account leaves them and is disabled. `admins` is protected.
  const files = model({
    users: [user("alice", { accounts: { directory: "alice.new" } })],
    groups: [group("admins", ["alice"]), group("readers", ["alice"])],
    policy: policy({ guardrails: { protectedUsers: [], protectedGroups: ["admins"] } }),
  });
  const plan = planFor(files, {
    live: live([liveUser("alice")], [liveGroup("admins", ["alice"]), liveGroup("readers", ["alice"])]),
    journalAccounts: new Map([["directory\nalice", ["alice"]]]),
    managed: [
      "directory:user/alice",
      "directory:membership/admins/alice",
      "directory:membership/readers/alice",
    ],
  });

  it("leaves it with the new account named, uncounted and unrefused by the guard rails", () => {
    const removal = plan.changes.find((c) => c.id === "directory:membership/admins/alice");
    expect(removal).toMatchObject({ action: "remove", replacedBy: "alice.new", userId: "alice" });
    expect(removal?.why).toEqual([
      "the former account of alice, whose account here changed: alice.new holds admins in its place (removed once it does)",
    ]);
    // The person keeps both groups: only the old account's disable takes something away.
    expect(countRemovals(plan, "directory")).toBe(1);
    expect(guardrailViolations(plan, files.config.policy)).toEqual([]);
  });

  it("keeps it, and the old account, when the new account's add to it fails", async () => {
    const applied: Change[] = [];
    const failsAdmins = (c: Change): boolean =>
      c.kind === "membership" && c.action === "add" && c.group === "admins";
    const result = await applyPlan(plan, new Map([["directory", recording("", applied, failsAdmins)]]), {
      signal: AbortSignal.timeout(20_000),
      now: () => NOW,
      sleep: () => Promise.resolve(),
    });
    expect(result.results.map((r) => `${r.change.id} ${r.outcome}: ${r.error ?? ""}`).sort()).toEqual([
      "directory:membership/admins/alice skipped: skipped: creating membership/admins/alice.new failed",
      "directory:membership/admins/alice.new failed: directory: create: refused",
      "directory:membership/readers/alice applied: ",
      "directory:membership/readers/alice.new applied: ",
      "directory:user/alice skipped: skipped: creating membership/admins/alice.new failed",
      "directory:user/alice.new applied: ",
    ]);
    // Each removal ran after the add that takes its place.
    const ids = applied.map((c) => c.id);
    expect(ids.indexOf("directory:membership/readers/alice")).toBeGreaterThan(
      ids.indexOf("directory:membership/readers/alice.new"),
    );
  });
});
