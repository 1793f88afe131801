import type { Diagnostic, Severity } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";

/** One diagnostic at `at`, copying only the location fields (no stray properties from the model). */
export function report(
  severity: Severity,
  code: string,
  message: string,
  at: SourceLocation,
  related?: readonly SourceLocation[],
): Diagnostic {
  return {
    severity,
    code,
    message,
    file: at.file,
    line: at.line,
    column: at.column,
    ...(related && related.length > 0 ? { related } : {}),
  };
}

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/**
 * How many characters `candidate` shares with the name whose characters `counts` holds (by UTF-16 code
 * unit, as `distance` compares them; each counted as often as both have it). `counts` is left as found.
 */
function sharedCharacters(counts: Int32Array, candidate: string): number {
  let shared = 0;
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    const left = counts[code] ?? 0;
    if (left > 0) shared++;
    counts[code] = left - 1;
  }
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return shared;
}

/** ` Did you mean "x"?` for the closest known name (a typo of at most a third of the name), else "". */
export function suggest(name: string, known: Iterable<string>): string {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  const counts = new Int32Array(0x10000);
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    counts[code] = (counts[code] ?? 0) + 1;
  }
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    // Known names are many (100,000 people) and nearly all far off: two cheap lower bounds of the edit
    // distance (every character of the longer name beyond the other's length, or beyond the characters
    // both share, needs an edit) rule them out before the quadratic `distance` runs. A candidate further
    // than the best so far cannot win either.
    const most = Math.min(limit, bestDistance);
    const longer = Math.max(name.length, candidate.length);
    if (Math.abs(name.length - candidate.length) > most) continue;
    if (longer - sharedCharacters(counts, candidate) > most) continue;
    const d = distance(name, candidate, most);
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? "" : ` Did you mean "${best}"?`;
}

/** "a → b → a": a cycle written from its first node back to it. */
export function formatCycle(names: readonly string[]): string {
  return [...names, names[0] ?? ""].join(" → ");
}

/**
 * A cycle rotated to start at its smallest name, so the same cycle found from different starting
 * points is reported once.
 */
export function canonicalCycle(names: readonly string[]): string[] {
  let start = 0;
  names.forEach((n, i) => {
    if (n < (names[start] ?? n)) start = i;
  });
  return [...names.slice(start), ...names.slice(0, start)];
}
