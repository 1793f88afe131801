/**
 * `suggest` rules most known names out before computing an edit distance, for speed on large
 * organizations. This file keeps the plain version (every distance in full) as the specification and
 * checks that both suggest exactly the same name on many generated names and name lists.
 */
import { describe, expect, it } from "vitest";
import { suggest } from "../../../src/validate/rules/report.ts";
import { seededRandom } from "../../helpers/random.ts";

/** Levenshtein distance by UTF-16 code unit, the full table. */
function plainDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest known name within a third of the name (1 to 3 edits); of equally close ones, the first in order. */
function plainSuggest(name: string, known: readonly string[]): string {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  const close = known
    .map((candidate) => ({ candidate, d: plainDistance(name, candidate) }))
    .filter((c) => c.d <= limit)
    .sort((x, y) => x.d - y.d || (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0));
  const best = close[0];
  return best === undefined ? "" : ` Did you mean "${best.candidate}"?`;
}

// Few letters, so that generated names are often a few edits apart; "é" and an emoji (two UTF-16 code
// units) because distances count code units.
const LETTERS = ["a", "b", "c", "d", ".", "-", "1", "é", "😀"];

function randomName(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1));
  let name = "";
  for (let i = 0; i < length; i++) name += LETTERS[Math.floor(random() * LETTERS.length)] ?? "";
  return name;
}

/** `name` with 0 to 4 random edits: the typos suggestions are for. */
function typoOf(random: () => number, name: string): string {
  let typo = name;
  for (let edits = Math.floor(random() * 5); edits > 0; edits--) {
    const at = Math.floor(random() * (typo.length + 1));
    const letter = LETTERS[Math.floor(random() * LETTERS.length)] ?? "";
    const kind = random();
    if (kind < 0.34) typo = typo.slice(0, at) + letter + typo.slice(at);
    else if (kind < 0.67) typo = typo.slice(0, at) + typo.slice(at + 1);
    else typo = typo.slice(0, at) + letter + typo.slice(at + 1);
  }
  return typo;
}

describe("suggest", () => {
  it("suggests the same name as the plain version, on many random names and typos", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = seededRandom(seed);
      const known = Array.from({ length: 1 + Math.floor(random() * 60) }, () => randomName(random, 12));
      for (let n = 0; n < 20; n++) {
        const source = known[Math.floor(random() * known.length)] ?? "";
        const name = random() < 0.8 ? typoOf(random, source) : randomName(random, 14);
        const expected = plainSuggest(name, known);
        expect({ seed, name, suggestion: suggest(name, known) }).toEqual({
          seed,
          name,
          suggestion: expected,
        });
      }
    }
  });

  it("picks the closest name, and of equally close ones the first in order", () => {
    expect(suggest("alan.tanaka67721", ["alan.tanaka67729", "alan.tanaka67720", "alan.tanaka6"])).toBe(
      ` Did you mean "alan.tanaka67720"?`,
    );
    expect(suggest("grace", ["gracie", "race", "brace"])).toBe(` Did you mean "brace"?`);
    expect(suggest("bob", ["alice", "carol"])).toBe("");
  });
});
