import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { appendJournalEntries, readJournal, type NewJournalEntry } from "../../src/audit/journal.ts";
import { managedAddresses } from "../../src/engine/managed.ts";
import { assertPlanCurrent, consentOf, planChecksum } from "../../src/engine/saved-plan.ts";
import { userIdFromAccount } from "../../src/engine/import-files.ts";
import { StalePlanError } from "../../src/errors.ts";
import type { Change, Plan } from "../../src/plan/types.ts";
import { at, entry, group, live, liveGroup, liveUser, model, NOW, planFor, user } from "../builders.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("managedAddresses", () => {
  const plan = planFor(
    model({ users: [user("alice"), user("bob")], groups: [group("g", ["alice", "bob"])] }),
  );
  const byId = (id: string): Change => {
    const c = plan.changes.find((x) => x.id === id);
    if (!c) throw new Error(`no change ${id}`);
    return c;
  };
  const record = (change: Change, outcome: "applied" | "failed"): NewJournalEntry => ({
    type: "change",
    at: NOW.toISOString(),
    runSeq: 1,
    provider: change.provider,
    changeId: change.id,
    change,
    outcome,
  });

  it("holds what gatehouse applied and drops what it later removed; failures do not count", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gatehouse-managed-"));
    dirs.push(dir);
    const journal = path.join(dir, "journal.jsonl");
    const addAlice = byId("directory:membership/g/alice");
    if (addAlice.kind !== "membership") throw new Error("not a membership change");
    const removeAlice: Change = {
      ...addAlice,
      action: "remove",
      reason: "removed-from-config",
      risk: "narrows",
    };
    await appendJournalEntries(journal, [
      record(byId("directory:user/alice"), "applied"),
      record(byId("directory:group/g"), "applied"),
      record(addAlice, "applied"),
      record(byId("directory:membership/g/bob"), "failed"),
      record(removeAlice, "applied"),
    ]);
    expect([...managedAddresses(await readJournal(journal))].sort()).toEqual([
      "directory:group/g",
      "directory:user/alice",
    ]);
  });
});

describe("assertPlanCurrent", () => {
  const grant = model({
    users: [user("alice")],
    groups: [group("g", [entry.user("alice", 4, { until: at(60_000) })])],
  });
  const state = live([liveUser("alice")], [liveGroup("g")]);
  const saved = planFor(grant, { live: state });

  it("accepts the same plan made again", () => {
    expect(() => {
      assertPlanCurrent(consentOf(saved, true), planFor(grant, { live: state }), planChecksum(saved));
    }).not.toThrow();
  });

  it("refuses a checksum that is not the saved plan's, and one it was not asked to keep", () => {
    expect(() => {
      assertPlanCurrent(consentOf(saved, true), saved, "0".repeat(64));
    }).toThrow(StalePlanError);
    expect(() => {
      assertPlanCurrent(consentOf(saved, false), saved, planChecksum(saved));
    }).toThrow("its checksum is unknown");
  });

  it("refuses when the access files changed", () => {
    const fresh: Plan = { ...saved, desiredDigest: "e".repeat(64) };
    expect(() => {
      assertPlanCurrent(consentOf(saved, false), fresh, undefined);
    }).toThrow("plan is stale: the access files changed since the plan was made; re-run plan");
  });

  it("refuses when the live state changed", () => {
    const fresh: Plan = {
      ...saved,
      providers: saved.providers.map((p) => ({ ...p, liveDigest: "f".repeat(64) })),
    };
    expect(() => {
      assertPlanCurrent(consentOf(saved, false), fresh, undefined);
    }).toThrow("the live state of directory changed since the plan was made");
  });

  it("refuses when a grant expired between plan and apply, though files and live state are the same", () => {
    const later = planFor(grant, { live: state, now: new Date(NOW.getTime() + 60_000) });
    expect(later.changes).toEqual([]);
    expect(() => {
      assertPlanCurrent(consentOf(saved, false), later, undefined);
    }).toThrow("the plan's changes differ from what the files and live state give now");
  });

  it("refuses a saved plan whose change was retargeted by hand, though ids and digests still match", () => {
    const fresh = planFor(grant, { live: state });
    expect(fresh.changes.length).toBeGreaterThan(0);
    const tampered = {
      ...fresh,
      changes: fresh.changes.map((c) =>
        c.kind === "membership" ? { ...c, group: "app-aws-prod-admin" } : c,
      ),
    };
    expect(() => {
      assertPlanCurrent(consentOf(tampered, false), fresh, undefined);
    }).toThrow("the plan's changes differ");
    expect(() => {
      assertPlanCurrent(consentOf(fresh, false), fresh, undefined);
    }).not.toThrow();
  });
});

describe("userIdFromAccount", () => {
  it.each([
    { account: "Alice.L@Example.com", id: "alice.l" },
    { account: "bob_smith", id: "bob_smith" },
    { account: "CN Carol Jones", id: "cn-carol-jones" },
    { account: "--dash", id: "dash" },
    { account: "@@@", id: "user" },
    { account: "x".repeat(100), id: "x".repeat(64) },
  ])("turns $account into $id", ({ account, id }) => {
    expect(userIdFromAccount(account)).toBe(id);
  });
});
