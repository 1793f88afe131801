import { describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply-plan.ts";
import { ProviderError } from "../../src/errors.ts";
import type { Change } from "../../src/plan/types.ts";
import type { ChangeOutcome, Provider } from "../../src/providers/types.ts";
import { group, live, liveGroup, liveUser, model, NOW, planFor, user } from "../builders.ts";

/** A provider that applies every change but the create of `failing`, and records what it applied. */
function recording(failing: string, applied: Change[]): Provider {
  return {
    name: "directory",
    capabilities: { maxMembersPerWrite: 1 },
    stats: () => ({ reads: 0, writes: 0 }),
    apply: (changes: readonly Change[]): Promise<ChangeOutcome[]> =>
      Promise.resolve(
        changes.map((c): ChangeOutcome => {
          if (c.kind === "user" && c.action === "create" && c.account === failing)
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
