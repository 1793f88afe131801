import { describe, expect, it } from "vitest";
import { sortRanks } from "../../src/desired/rank-sort.ts";

/** Deterministic pseudo-random ranks in [0, limit) (a linear congruential generator). */
function ranks(count: number, limit: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = state % limit;
  }
  return out;
}

describe("sortRanks", () => {
  it.each([
    { count: 0, limit: 100_000 },
    { count: 1, limit: 100_000 },
    { count: 100, limit: 100_000 }, // short: the built-in sort
    { count: 128, limit: 100_000 }, // the first length sorted by radix at 100k
    { count: 5_000, limit: 100_000 },
    { count: 3_000, limit: 2 }, // digits of one bit
    { count: 70_000, limit: 2_147_483_647 }, // digits of 16 bits
    { count: 40_000, limit: 1_000_003 }, // a limit not a power of two; many repeats
  ])("sorts $count ranks below $limit as the built-in sort does", ({ count, limit }) => {
    const values = ranks(count, limit, count + limit);
    const expected = Int32Array.from(values).sort();
    sortRanks(values, limit);
    expect(Array.from(values)).toEqual(Array.from(expected));
  });

  it("keeps the extremes of the range in place", () => {
    const values = Int32Array.from([99_999, 0, 511, 512, 99_998, 1, ...ranks(200, 100_000, 7)]);
    const expected = Int32Array.from(values).sort();
    sortRanks(values, 100_000);
    expect(values[0]).toBe(0);
    expect(values[values.length - 1]).toBe(99_999);
    expect(Array.from(values)).toEqual(Array.from(expected));
  });
});
