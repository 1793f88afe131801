/**
 * The contract every connector must meet, run against the real system (or, for SaaS we cannot reach,
 * a stateful fake at the HTTP boundary). Each connector's test file calls `describeProviderContract`.
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import type { Provider } from "../../src/providers/types.ts";
import type { Change } from "../../src/plan/types.ts";
import type { LiveState } from "../../src/model/state.ts";

export interface ContractHarness {
  /** A provider connected to a system that holds none of the contract's users and groups yet. */
  readonly provider: Provider;
  /**
   * For systems where gatehouse cannot create users (GitHub): make these accounts exist out of band.
   * Systems with `capabilities.createUsers` may omit it.
   */
  seedUsers?(accounts: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

function change(partial: Record<string, unknown>): Change {
  return {
    provider: "contract",
    reason: "added-in-config",
    risk: "broadens",
    id: JSON.stringify(partial),
    ...partial,
  } as Change;
}

function userOf(live: LiveState, account: string) {
  return live.users.find((u) => u.account === account);
}
function groupOf(live: LiveState, name: string) {
  return live.groups.find((g) => g.name === name);
}

async function applyOk(provider: Provider, changes: Change[]): Promise<void> {
  const outcomes = await provider.apply(changes, signal());
  expect(outcomes).toHaveLength(changes.length);
  for (const o of outcomes) {
    if (o.status === "failed") throw o.error;
  }
}

/** Runs the shared scenarios. `prefix` keeps names unique when a system is shared between suites. */
export function describeProviderContract(
  name: string,
  setup: () => Promise<ContractHarness>,
  prefix = "ct",
): void {
  describe(`provider contract: ${name}`, () => {
    let h: ContractHarness;
    const alice = `${prefix}-alice`;
    const bob = `${prefix}-bob`;
    const carol = `${prefix}-carol`;
    const team = `team-${prefix}-write`;
    const inner = `team-${prefix}-inner-read`;

    beforeAll(async () => {
      h = await setup();
      if (!h.provider.capabilities.createUsers) await h.seedUsers?.([alice, bob, carol]);
    });
    afterAll(async () => {
      await h.provider.close();
      await h.close();
    });

    it("creates users with their attributes, or sees seeded ones", async () => {
      const p = h.provider;
      if (p.capabilities.createUsers) {
        for (const [account, name, title] of [
          [alice, "Alice Liddell", "Staff Engineer"],
          [bob, "Bob Builder", "Engineer"],
          [carol, "Carol Danvers", "Director"],
        ] as const) {
          await applyOk(p, [
            change({
              kind: "user",
              action: "create",
              account,
              after: { name, email: `${account}@example.com`, title, department: "ENG-PLATFORM" },
            }),
          ]);
        }
      }
      const live = await p.read(signal());
      for (const account of [alice, bob, carol]) expect(userOf(live, account)?.enabled).toBe(true);
      if (p.capabilities.createUsers && p.capabilities.userAttributes.includes("name")) {
        expect(userOf(live, alice)?.name).toBe("Alice Liddell");
      }
      if (p.capabilities.createUsers && p.capabilities.userAttributes.includes("title")) {
        expect(userOf(live, alice)?.title).toBe("Staff Engineer");
      }
    });

    it("updates a user's attributes", async () => {
      const p = h.provider;
      if (!p.capabilities.userAttributes.includes("title")) {
        expect(p.capabilities.userAttributes).not.toContain("title");
        return;
      }
      await applyOk(p, [
        change({
          kind: "user",
          action: "update",
          account: bob,
          fields: [{ field: "title", before: "Engineer", after: "Senior Engineer" }],
          after: {
            name: "Bob Builder",
            email: `${bob}@example.com`,
            title: "Senior Engineer",
            department: "ENG-PLATFORM",
          },
        }),
      ]);
      const live = await p.read(signal());
      expect(userOf(live, bob)?.title).toBe("Senior Engineer");
    });

    it("creates a group and adds several members in one write", async () => {
      const p = h.provider;
      await applyOk(p, [
        change({ kind: "group", action: "create", group: team, description: "Contract team" }),
      ]);
      const writesBefore = p.stats().writes;
      await applyOk(p, [
        change({ kind: "membership", action: "add", group: team, member: alice, memberKind: "user" }),
        change({ kind: "membership", action: "add", group: team, member: bob, memberKind: "user" }),
      ]);
      if (p.capabilities.maxMembersPerWrite > 1) expect(p.stats().writes - writesBefore).toBe(1);
      const live = await p.read(signal());
      expect([...(groupOf(live, team)?.members ?? [])].sort()).toEqual([alice, bob].sort());
      if (p.capabilities.groupDescription) expect(groupOf(live, team)?.description).toBe("Contract team");
    });

    it("adds and removes members of one group in the same write", async () => {
      const p = h.provider;
      await applyOk(p, [
        change({ kind: "membership", action: "add", group: team, member: carol, memberKind: "user" }),
        change({
          kind: "membership",
          action: "remove",
          group: team,
          member: bob,
          memberKind: "user",
          risk: "narrows",
        }),
      ]);
      const live = await p.read(signal());
      expect([...(groupOf(live, team)?.members ?? [])].sort()).toEqual([alice, carol].sort());
    });

    it("nests a group natively when it can", async () => {
      const p = h.provider;
      if (!p.capabilities.nesting) {
        expect(p.capabilities.nesting).toBe(false);
        return;
      }
      await applyOk(p, [change({ kind: "group", action: "create", group: inner, description: "Inner" })]);
      await applyOk(p, [
        change({ kind: "membership", action: "add", group: team, member: inner, memberKind: "group" }),
      ]);
      let live = await p.read(signal());
      expect(groupOf(live, team)?.groupMembers).toContain(inner);
      await applyOk(p, [
        change({ kind: "membership", action: "remove", group: team, member: inner, memberKind: "group" }),
      ]);
      await applyOk(p, [change({ kind: "group", action: "delete", group: inner, memberCount: 0 })]);
      live = await p.read(signal());
      expect(groupOf(live, inner)).toBeUndefined();
    });

    it("disables and re-enables a user", async () => {
      const p = h.provider;
      if (p.capabilities.disable === "none") {
        expect(p.capabilities.disable).toBe("none");
        return;
      }
      if (p.capabilities.disable === "remove") {
        // The account leaves the system (e.g. a GitHub organization): it is gone from reads.
        await applyOk(p, [change({ kind: "user", action: "disable", account: carol, risk: "narrows" })]);
        expect(userOf(await p.read(signal()), carol)?.enabled ?? false).toBe(false);
        return;
      }
      await applyOk(p, [change({ kind: "user", action: "disable", account: carol, risk: "narrows" })]);
      expect(userOf(await p.read(signal()), carol)?.enabled).toBe(false);
      await applyOk(p, [change({ kind: "user", action: "enable", account: carol })]);
      expect(userOf(await p.read(signal()), carol)?.enabled).toBe(true);
    });

    it("reports a failed change without stopping the others", async () => {
      const p = h.provider;
      const outcomes = await p.apply(
        [
          change({
            kind: "membership",
            action: "add",
            group: `team-${prefix}-missing-write`,
            member: alice,
            memberKind: "user",
          }),
        ],
        signal(),
      );
      expect(outcomes[0]?.status).toBe("failed");
      const ok = await p.apply(
        [change({ kind: "membership", action: "remove", group: team, member: carol, memberKind: "user" })],
        signal(),
      );
      expect(ok[0]?.status).toBe("applied");
      expect(groupOf(await p.read(signal()), team)?.members).toEqual([alice]);
    });

    it("deletes a group and counts its calls", async () => {
      const p = h.provider;
      const before = p.stats();
      await applyOk(p, [
        change({ kind: "group", action: "delete", group: team, memberCount: 1, risk: "narrows" }),
      ]);
      expect(groupOf(await p.read(signal()), team)).toBeUndefined();
      const after = p.stats();
      expect(after.writes).toBeGreaterThan(before.writes);
      expect(after.reads).toBeGreaterThan(before.reads);
    });
  });
}
