/** Legal hold: a held leaver's access is cut, but no account is deleted, or removed where removal loses data. */
import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";
import type { User } from "../../src/model/access.ts";

const KEPT = "legal hold: account kept";

function planOf(
  bob: Partial<User>,
  caps: { deleteLeavers?: boolean; disable?: "disable" | "remove" },
  bobLive = {},
) {
  const files = model({
    users: [user("ann"), user("bob", bob)],
    groups: [group("ops", ["ann"])],
  });
  const stored = live([liveUser("ann"), liveUser("bob", bobLive)], [liveGroup("ops", ["ann", "bob"])]);
  const plan = planFor(files, { mode: "authoritative", live: stored, capabilities: caps });
  return {
    changes: plan.changes.map((c) => `${c.kind}.${c.action} ${c.id}`),
    notes: plan.notes.map((n) => n.message).filter((m) => m.startsWith(KEPT)),
  };
}

describe("legal hold where leavers' accounts are deleted (SCIM deleteUsers: true)", () => {
  it("disables a held leaver's account instead, still removes memberships, and says so", () => {
    const plan = planOf({ status: "terminated", legalHold: true }, { deleteLeavers: true });
    expect(plan.changes).toEqual([
      "user.disable directory:user/bob",
      "membership.remove directory:membership/ops/bob",
    ]);
    expect(plan.notes).toEqual([
      "legal hold: account kept: bob of bob in directory is disabled, not deleted as leavers' accounts are there; its sessions and memberships go as any leaver's",
    ]);
  });

  it("deletes a leaver's account as before without the hold", () => {
    const plan = planOf({ status: "terminated" }, { deleteLeavers: true });
    expect(plan.changes).toContain("user.delete directory:user/bob");
    expect(plan.changes).not.toContain("user.disable directory:user/bob");
    expect(plan.notes).toEqual([]);
  });

  it("leaves a held leaver's account disabled before as it is, where it would otherwise be deleted", () => {
    const held = planOf(
      { status: "terminated", legalHold: true },
      { deleteLeavers: true },
      { enabled: false },
    );
    expect(held.changes).toEqual(["membership.remove directory:membership/ops/bob"]);
    expect(held.notes).toHaveLength(1);
    const free = planOf({ status: "terminated" }, { deleteLeavers: true }, { enabled: false });
    expect(free.changes).toContain("user.delete directory:user/bob");
  });

  it("does nothing to the account of a held person who has not left (the hold may be set before)", () => {
    const plan = planOf({ legalHold: true }, { deleteLeavers: true });
    expect(plan.changes).toEqual(["membership.remove directory:membership/ops/bob"]);
    expect(plan.notes).toEqual([]);
  });
});

describe("legal hold where removal is the only way to switch an account off (GitHub)", () => {
  it("keeps the held leaver's account, removes their memberships, and says what is left", () => {
    const plan = planOf({ status: "terminated", legalHold: true }, { disable: "remove" });
    expect(plan.changes).toEqual(["membership.remove directory:membership/ops/bob"]);
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toContain("stays: removal is directory's only way to switch an account off");
  });

  it("still withdraws a held leaver's pending invitation (it holds no data)", () => {
    const plan = planOf({ status: "terminated", legalHold: true }, { disable: "remove" }, { pending: true });
    expect(plan.changes).toContain("user.disable directory:user/bob");
    expect(plan.notes).toEqual([]);
  });

  it("removes a leaver's account as before without the hold", () => {
    const plan = planOf({ status: "terminated" }, { disable: "remove" });
    expect(plan.changes).toContain("user.disable directory:user/bob");
    expect(plan.notes).toEqual([]);
  });
});
