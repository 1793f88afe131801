import { describe, expect, it } from "vitest";
import { applyCuts, whereIn, type TextCut } from "../../src/engine/yaml-text.ts";

/** The cuts made one at a time from the end (what applyCuts did before it put the pieces together once). */
function oneAtATime(text: string, cuts: readonly TextCut[]): string {
  const order = cuts.map((cut, i) => ({ cut, i }));
  order.sort((a, b) => b.cut.start - a.cut.start || b.cut.end - a.cut.end || b.i - a.i);
  let out = text;
  for (const { cut } of order) out = out.slice(0, cut.start) + (cut.insert ?? "") + out.slice(cut.end);
  return out;
}

describe("applyCuts", () => {
  it("keeps the order inserts at one place were made, with a span removed there too", () => {
    const text = "0123456789";
    const cuts: TextCut[] = [
      { start: 3, end: 3, insert: "a" },
      { start: 3, end: 6, insert: "" },
      { start: 3, end: 3, insert: "b" },
      { start: 6, end: 6, insert: "c" },
      { start: 10, end: 10, insert: "!" },
      { start: 0, end: 1 },
    ];
    expect(applyCuts(text, cuts)).toBe("12ab" + "c" + "6789!");
    expect(applyCuts(text, cuts)).toBe(oneAtATime(text, cuts));
  });

  it("gives what making the cuts one at a time gives, overlapping or not", () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const text = "abcdefghijklmnopqrstuvwxyz".slice(0, 1 + next(26));
      const cuts = Array.from({ length: next(6) }, (): TextCut => {
        const start = next(text.length + 1);
        const end = Math.min(text.length, start + (next(2) === 0 ? 0 : next(5)));
        return next(3) === 0 ? { start, end } : { start, end, insert: String(next(100)) };
      });
      expect(applyCuts(text, cuts), JSON.stringify({ text, cuts })).toBe(oneAtATime(text, cuts));
    }
  });
});

describe("whereIn", () => {
  it("gives the 1-based line and column of an offset, or the file alone without one", () => {
    const text = "groups:\n  - { name: a }\r\n\n  - name: b\n";
    expect(whereIn("g.yaml", text, 0)).toBe("g.yaml:1:1");
    expect(whereIn("g.yaml", text, text.indexOf("{"))).toBe("g.yaml:2:5");
    expect(whereIn("g.yaml", text, text.indexOf("name: b"))).toBe("g.yaml:4:5");
    expect(whereIn("g.yaml", text, text.length)).toBe("g.yaml:5:1");
    expect(whereIn("g.yaml", text, undefined)).toBe("g.yaml");
  });
});
