import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  canonicalSha256,
  canonicalSha256Without,
  sha256Hex,
} from "../../src/audit/canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts keys at every level and leaves out whitespace and undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it("gives the same text for the same data built in a different order", () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it("writes dates as ISO strings and undefined array items as null, like JSON.stringify", () => {
    expect(canonicalJson({ at: new Date("2026-01-02T03:04:05Z"), list: [undefined] })).toBe(
      '{"at":"2026-01-02T03:04:05.000Z","list":[null]}',
    );
  });

  it("refuses values without a faithful JSON form", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/NaN has no JSON form/);
    expect(() => canonicalJson({ big: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson(new Map())).toThrow(/Map and Set/);
    expect(() => canonicalJson(undefined)).toThrow(/no JSON form/);
  });
});

describe("sha256Hex", () => {
  it("hashes UTF-8 text to lowercase hex", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("canonicalSha256", () => {
  /** Objects of many shapes (more than the encoder remembers), keys in random orders, nested. */
  function randomValue(next: () => number, depth: number): unknown {
    const keys = ["id", "a", "b", "why", "source", "z", "é", "10", "2", "line", "toString"];
    const roll = next();
    if (depth > 2 || roll < 0.3) {
      const choice = Math.floor(next() * 5);
      return [`s${String(Math.floor(next() * 9))}"\\`, Math.floor(next() * 1000) - 500, true, null, 1.5][
        choice
      ];
    }
    if (roll < 0.45)
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    const out: Record<string, unknown> = {};
    const picked = keys.filter(() => next() < 0.5).sort(() => next() - 0.5);
    for (const key of picked) out[key] = next() < 0.1 ? undefined : randomValue(next, depth + 1);
    return out;
  }

  it("hashes what canonicalJson writes, whatever the shapes and key orders in turn", () => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(next, 0);
      expect(canonicalSha256(value), JSON.stringify(value)).toBe(sha256Hex(canonicalJson(value)));
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        // Without one of its keys, as a journal entry is hashed without its `hash`.
        const record = value as Record<string, unknown>;
        for (const key of ["a", "why", "nothing-like-it"]) {
          const rest = Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
          expect(canonicalSha256Without(record, key)).toBe(sha256Hex(canonicalJson(rest)));
        }
      }
    }
  });
});
