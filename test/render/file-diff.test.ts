import { applyPatch } from "diff";
import { describe, expect, it } from "vitest";
import { openReviewsText } from "../../src/engine/review-edit.ts";
import { applyCuts, type TextCut } from "../../src/engine/yaml-text.ts";
import { renderFileDiff } from "../../src/render/file-diff.ts";
import { seededRandom as random } from "../helpers/random.ts";

const lineStarts = (text: string): number[] => [
  0,
  ...[...text.matchAll(/\n/g)].map((m) => m.index + 1).filter((at) => at < text.length),
];

describe("renderFileDiff with the edit's cuts", () => {
  it("gives the whole file's diff, byte for byte, for the reviews opened in a file's groups", () => {
    // Groups laid out every way review open edits: block and flow members, `- members:` first, comments
    // and blank lines between, a group already under review, the last group without a newline.
    const groups: string[] = [];
    const openings: { group: string; pending: string[] }[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `team-${String(i)}-read`;
      const users = Array.from({ length: 1 + (i % 5) }, (_, k) => `user${String((i + k) % 7)}`);
      const block = users.map((u) => `      - ${u}`).join("\n");
      const layouts = [
        `  - name: ${name}\n    owners: [carol]\n    members:\n${block}\n`,
        `  - name: ${name}\n    owners: [carol]\n    members: [${users.join(", ")}] # listed\n`,
        `  - members: [${users.join(", ")}]\n    name: ${name}\n    owners: [carol]\n`,
        `  # the ${name} team\n\n  - name: ${name}\n    owners:\n      - ${users[0] ?? ""}\n    members:\n${block}\n`,
        `  - name: ${name}\n    owners: [carol]\n    review:\n      due: 2026-06-30\n      pending:\n${block}\n    members:\n${block}\n`,
      ];
      groups.push(layouts[i % layouts.length] ?? "");
      if (i % layouts.length !== 4) openings.push({ group: name, pending: users });
    }
    for (const ending of ["\n", ""]) {
      const before = `groups:\n${groups.join("\n")}`.replace(/\n$/, ending);
      const result = openReviewsText("g.yaml", before, openings, "2026-06-30");
      if (!("text" in result) || result.cuts === undefined) throw new Error("not opened");
      const diff = renderFileDiff("g.yaml", before, result.text, result.cuts);
      expect(diff).toBe(renderFileDiff("g.yaml", before, result.text));
      expect(diff.split("\n@@").length).toBeGreaterThan(10); // many hunks, from many windows
    }
  });

  it("makes, from any cuts, a patch that turns the text before into the text after", () => {
    // Lines from a small vocabulary (repeated lines, where diffs can differ in where they put a change),
    // edits that insert, delete and replace whole lines or parts of lines, near each other and far
    // apart, at the file's start and end, with and without a last newline. Where lines repeat, a diff
    // of the whole file may show a change a line up or down from the windows' (both are shortest).
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const words = ["  - alice", "  - bob", "members:", "# note", "", "  review:", "    - carol"];
      const count = 1 + Math.floor(next() * 60);
      const lines = Array.from({ length: count }, () => words[Math.floor(next() * words.length)] ?? "");
      const before = lines.join("\n") + (next() < 0.8 ? "\n" : "");
      const starts = lineStarts(before);
      const cuts: TextCut[] = [];
      let from = 0;
      while (from <= before.length && cuts.length < 8) {
        from += Math.floor(next() * 120);
        if (from > before.length) break;
        const atLine = next() < 0.7;
        const start = atLine ? (starts.find((s) => s >= from) ?? before.length) : from;
        const end = Math.min(before.length, start + (next() < 0.5 ? 0 : Math.floor(next() * 30)));
        const insert =
          next() < 0.2
            ? ""
            : `  review:\n    due: x\n    - ${String(seed)}\n`.slice(0, 1 + Math.floor(next() * 40));
        cuts.push({ start, end, insert });
        from = end + 1;
      }
      const after = applyCuts(before, cuts);
      const diff = renderFileDiff("g.yaml", before, after, cuts);
      expect(applyPatch(before, diff), `seed ${String(seed)}`).toBe(after);
      const changed = (patch: string): number =>
        patch.split("\n").filter((line) => /^[-+](?![-+]{2} [ab]\/)/.test(line)).length;
      expect(changed(diff), `seed ${String(seed)}`).toBe(changed(renderFileDiff("g.yaml", before, after)));
    }
  });

  it("diffs the whole file when the cuts do not make the text after", () => {
    const before = "a\nb\nc\nd\n";
    const cuts = [
      { start: 0, end: 0, insert: "x\n" },
      { start: 6, end: 6, insert: "y\n" },
    ];
    const after = "a\nb\nc\nd\nz\n"; // not what the cuts make
    expect(renderFileDiff("g.yaml", before, after, cuts)).toBe(renderFileDiff("g.yaml", before, after));
    expect(renderFileDiff("g.yaml", before, after, cuts)).toContain("+z");
  });
});
