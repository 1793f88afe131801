/**
 * Sorts `values`, numbers in [0, limit), ascending in place. Each group's members are put in account
 * order this way before a plan compares them with the live list (inRankOrder in desired-state.ts): at
 * 100k people, a million and a half ranks in groups of a few hundred to a few thousand; and each
 * group's effective members are joined the same way (unionPositions in user-set.ts). For those a
 * radix sort of two passes (into a scratch list and back) is two to three times quicker than the
 * built-in sort; a short list is left to the built-in sort, which then costs less than the counting.
 */
export function sortRanks(values: Int32Array, limit: number): void {
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, limit))));
  // Two digits of half the bits each: 512 buckets at 100k people, 1,024 at a million.
  const digitBits = Math.ceil(bits / 2);
  const buckets = 1 << digitBits;
  if (values.length * 4 < buckets) {
    values.sort();
    return;
  }
  const count = new Int32Array(buckets);
  const scratch = new Int32Array(values.length);
  countingPass(values, scratch, count, 0, buckets - 1);
  countingPass(scratch, values, count, digitBits, buckets - 1);
}

/** One stable pass of the radix sort: `from` into `to` by the digit at `shift`. */
function countingPass(
  from: Int32Array,
  to: Int32Array,
  count: Int32Array,
  shift: number,
  mask: number,
): void {
  count.fill(0);
  // Indexed loops: for-of over a typed array made this pass 1.7 times slower on Node 20.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < from.length; i++) {
    const digit = ((from[i] ?? 0) >>> shift) & mask;
    count[digit] = (count[digit] ?? 0) + 1;
  }
  let start = 0;
  for (let digit = 0; digit < count.length; digit++) {
    const n = count[digit] ?? 0;
    count[digit] = start;
    start += n;
  }
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < from.length; i++) {
    const value = from[i] ?? 0;
    const digit = (value >>> shift) & mask;
    const at = count[digit] ?? 0;
    to[at] = value;
    count[digit] = at + 1;
  }
}
