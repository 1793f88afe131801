import { describe, expect, it } from "vitest";
import { liveDigestOf } from "../../src/engine/live-digest.ts";
import { canonicalJson, sha256Hex } from "../../src/audit/canonical-json.ts";
import type { LiveState, LiveUser } from "../../src/model/state.ts";

const reference = (live: LiveState): string => sha256Hex(canonicalJson(live));

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
});
