import { expect, it } from "vitest";
import { applyPlan } from "../../src/apply/apply-plan.ts";
import type { Change, Plan } from "../../src/plan/types.ts";
import type { Capabilities, ChangeOutcome, Provider } from "../../src/providers/types.ts";

/** A provider at the boundary that records how many writes overlap. */
function recordingProvider(capabilities: Partial<Capabilities>): {
  provider: Provider;
  maxInFlight: () => number;
} {
  let inFlight = 0;
  let max = 0;
  const provider: Provider = {
    name: "p",
    type: "test",
    capabilities: {
      nesting: false,
      disable: "disable",
      revokeSessions: false,
      maxMembersPerWrite: 1,
      userAttributes: [],
      createUsers: true,
      groupDescription: false,
      ...capabilities,
    },
    read: () => Promise.resolve({ users: [], groups: [] }),
    apply: async (changes) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return changes.map((): ChangeOutcome => ({ status: "applied" }));
    },
    stats: () => ({ reads: 0, writes: 0 }),
    close: () => Promise.resolve(),
  };
  return { provider, maxInFlight: () => max };
}

function planOf(n: number): Plan {
  const changes: Change[] = Array.from({ length: n }, (_, i) => ({
    id: `p:user/u${String(i)}`,
    provider: "p",
    kind: "user",
    action: "disable",
    account: `u${String(i)}`,
    reason: "user-terminated",
    risk: "narrows",
  }));
  return {
    formatVersion: 1,
    createdAt: "2026-11-25T00:00:00.000Z",
    desiredDigest: "d",
    providers: [
      {
        name: "p",
        type: "test",
        mode: "authoritative",
        liveDigest: "l",
        readCalls: 0,
        liveUsers: n,
        liveGroups: 0,
        liveMemberships: 0,
      },
    ],
    changes,
    notes: [],
    summary: { changes: n, broadens: 0, narrows: n, byAction: {} },
  };
}

const options = { signal: AbortSignal.timeout(10_000), now: () => new Date() };

it("writes one change at a time unless the provider allows overlapping writes", async () => {
  const serial = recordingProvider({});
  await applyPlan(planOf(6), new Map([["p", serial.provider]]), options);
  expect(serial.maxInFlight()).toBe(1);
  const parallel = recordingProvider({ maxConcurrentWrites: 3 });
  await applyPlan(planOf(6), new Map([["p", parallel.provider]]), options);
  expect(parallel.maxInFlight()).toBe(3);
});
