import { describe, expect, it } from "vitest";
import { canonicalLiveDigest, liveDigestOf } from "../../src/engine/live-digest.ts";
import { canonicalJson, sha256Hex } from "../../src/audit/canonical-json.ts";
import type { LiveState, LiveUser } from "../../src/model/state.ts";

const reference = (live: LiveState): string => sha256Hex(canonicalJson(live));
/** Data of any shape, typed as a live state: the digest must handle whatever a provider returns. */
const asLive = (value: { users: unknown[]; groups: unknown[] }): LiveState => value as unknown as LiveState;

describe("liveDigestOf", () => {
  it("equals sha256 of the canonical JSON for a live state", () => {
    // An undefined property (as a provider might leave one) is skipped by both.
    const a: LiveUser = { account: "a", enabled: false, lastLogin: "2026-01-01T00:00:00Z" };
    Object.assign(a, { email: undefined });
    const live: LiveState = {
      users: [{ account: "zoë", enabled: true, name: 'Zoë \u{1F600} "q"', sessions: 2, tokens: 0 }, a],
      groups: [
        { name: "g", description: "d\n\u2028", members: ["b", "a", "\ud800"], groupMembers: [] },
        { name: "h", members: [] },
      ],
    };
    expect(liveDigestOf(live)).toBe(reference(live));
  });

  it("equals it for mixed lists, nested objects, skipped values and numbers", () => {
    const odd = {
      users: [
        { account: "x", enabled: true, extra: { b: [1, "s", null, undefined, { z: 1, a: 2.5 }], a: -0 } },
      ],
      groups: [],
      fn: () => 1,
    };
    const live: LiveState = odd;
    expect(liveDigestOf(live)).toBe(reference(live));
  });

  it("falls back to canonicalJson for dates and refuses what it refuses", () => {
    const withDate = { users: [], groups: [], at: new Date("2026-01-01T00:00:00Z") };
    expect(liveDigestOf(withDate)).toBe(reference(withDate));
    const withNaN = { users: [{ account: "x", enabled: true, sessions: Number.NaN }], groups: [] };
    expect(() => liveDigestOf(withNaN)).toThrow(TypeError);
  });

  it("equals it for a large directory", () => {
    const members = Array.from({ length: 50_000 }, (_, i) => `user${String(i)}`);
    const live: LiveState = {
      users: members.map((account, i) => ({
        account,
        enabled: i % 7 !== 0,
        name: `User ${String(i)}`,
        sessions: i % 3,
      })),
      groups: Array.from({ length: 50 }, (_, g) => ({
        name: `g${String(g)}`,
        members: members.slice(g * 100, g * 1000),
      })),
    };
    expect(liveDigestOf(live)).toBe(reference(live));
  });

  it("takes a provider's own digest for a state it read, and the generic one for any other", () => {
    const read: LiveState = { users: [{ account: "a", enabled: true }], groups: [] };
    const other: LiveState = { users: [{ account: "a", enabled: true }], groups: [] };
    const provider = { liveDigest: (live: LiveState) => (live === read ? "own" : undefined) };
    expect(liveDigestOf(read, provider)).toBe("own");
    expect(liveDigestOf(other, provider)).toBe(reference(other));
    expect(liveDigestOf(read, {})).toBe(reference(read));
    expect(liveDigestOf(read)).toBe(reference(read));
  });

  it("equals it for runs of objects whose keys differ in set, order or kind of value", () => {
    // The encoder reuses the key order of the object before and writes objects of primitives in one
    // JSON.stringify call: every way the next object can differ from the one before must still count.
    const users: Record<string, unknown>[] = [
      { account: "a", enabled: true, name: "A" },
      { account: "b", enabled: true, name: "B" },
      { name: "C", enabled: false, account: "c" },
      { account: "d", enabled: true, name: undefined },
      { account: "e", enabled: true, title: "T" },
      { account: "f", enabled: true, name: { first: "F" } },
      { account: "g", enabled: true, name: ["G", 1] },
      { account: "h", enabled: true, toJSON: () => "no" },
      { account: "i", enabled: true, 10: "ten", 2: "two", "": "empty", é: "e", e: -0 },
      Object.assign(Object.create(null) as Record<string, unknown>, { account: "j", enabled: true }),
      { account: "k", enabled: null, sessions: 1.5e300, tokens: 2, fn: () => 1, sym: Symbol("s") },
    ];
    const live = asLive({
      users,
      groups: [{ name: "g", members: ["a", "b"], extra: [{ z: 1, a: [null] }] }],
    });
    expect(canonicalLiveDigest(live)).toBe(reference(live));
    for (let i = 0; i < users.length; i++) {
      const rotated = asLive({ users: [...users.slice(i), ...users.slice(0, i)], groups: [] });
      expect(canonicalLiveDigest(rotated)).toBe(reference(rotated));
    }
  });

  it("equals it for random plain data", () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ["a", "b", "account", "name", "10", "2", "toJSON", "ä", "\u{1F600}", "members"];
    const leaf = (): unknown =>
      pick<() => unknown>([
        () => pick(["", "x", 'q"\\', "\ud800", "line\n", "\u2028"]),
        () => pick([0, -0, 1, -2.5, 1e21, 5e-324]),
        () => pick([true, false, null, undefined]),
      ])();
    const value = (depth: number): unknown => {
      const kind = depth > 2 ? 0 : Math.floor(random() * 3);
      if (kind === 0) return leaf();
      const size = Math.floor(random() * 5);
      if (kind === 1) return Array.from({ length: size }, () => value(depth + 1));
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[pick(keys)] = value(depth + 1);
      return out;
    };
    for (let run = 0; run < 200; run++) {
      const live = asLive({
        users: Array.from({ length: 5 }, () => value(1)),
        groups: Array.from({ length: 3 }, () => value(1)),
      });
      expect(canonicalLiveDigest(live)).toBe(reference(live));
    }
  });
});
