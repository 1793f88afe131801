/**
 * Plans too large for one string (an organization's first import: millions of changes) are written and
 * read in pieces. These tests check that the pieces are exactly the one-string forms, on small plans
 * cut into many pieces, and that a saved plan read a value at a time is the plan that was saved.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderJson, renderJsonPieces } from "../../src/render/json.ts";
import { renderText, renderTextPieces } from "../../src/render/text.ts";
import { parseLargeJsonObject } from "../../src/io/large-json.ts";
import { planChecksum, readSavedPlan } from "../../src/engine/saved-plan.ts";
import { canonicalJson, canonicalSha256, sha256Hex } from "../../src/audit/canonical-json.ts";
import type { Plan } from "../../src/plan/types.ts";
import { group, live, liveGroup, model, planFor, user } from "../builders.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A plan with many changes, names that need escaping, and notes. */
function bigPlan(people = 300): Plan {
  const ids = Array.from({ length: people }, (_, i) => `user-${String(i)}`);
  const plan = planFor(
    model({
      users: ids.map((id, i) =>
        user(id, { title: i % 7 === 0 ? 'Lead "ops" [west], {east}\\' : "Engineer" }),
      ),
      groups: [group("team-a", ids.slice(0, people / 2)), group("team-b", ids.slice(people / 3))],
    }),
    { live: live([], [liveGroup("team-a", ["stranger"])]) },
  );
  return {
    ...plan,
    notes: [
      { provider: "directory", kind: "info", message: 'line\nbreak, \u2028 and "quotes"' },
      { provider: "directory", kind: "info", message: "ünïcödé ✓" },
    ],
  };
}

describe("plans written in pieces", () => {
  it("write exactly JSON.stringify(plan, null, 2), cut between list items", () => {
    const plan = bigPlan();
    expect(plan.changes.length).toBeGreaterThan(500);
    const pieces = [...renderJsonPieces(plan, 2_000)];
    expect(pieces.length).toBeGreaterThan(50);
    expect(pieces.join("")).toBe(JSON.stringify(plan, null, 2) + "\n");
    expect(renderJson(plan)).toBe(JSON.stringify(plan, null, 2) + "\n");
    // Empty lists and an empty plan are written as JSON.stringify writes them.
    const empty = { ...plan, changes: [], notes: [] };
    expect(renderJson(empty)).toBe(JSON.stringify(empty, null, 2) + "\n");
  });

  it("write the same text as one string, in whole lines", () => {
    const plan = bigPlan(15_000);
    const pieces = [...renderTextPieces(plan, { color: false, verbose: true })].map((piece) => piece.text);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.endsWith("\n")).toBe(true);
    expect(pieces.join("")).toBe(renderText(plan, { color: false, verbose: true }));
    expect(
      pieces
        .join("")
        .split("\n")
        .filter((l) => l.includes("+ add")).length,
    ).toBeGreaterThan(15_000);
  });

  it("have a checksum streamed from their canonical JSON", () => {
    const plan = bigPlan();
    expect(planChecksum(plan)).toBe(sha256Hex(canonicalJson(plan)));
    expect(canonicalSha256({ b: [1, "x"], a: null })).toBe(sha256Hex('{"a":null,"b":[1,"x"]}'));
  });
});

describe("a JSON object read a value at a time", () => {
  const cases: unknown[] = [
    {},
    { a: [] },
    { list: [1, -2.5e3, true, false, null, "x"], nested: { deep: [[], [{}], { "]": "[" }] }, s: 'a\\"b]}' },
    { text: '\u00e9\u4e2d\ud83d\ude00 \\u0041 "}]', n: 0 },
  ];
  it("gives what JSON.parse gives", () => {
    for (const value of cases) {
      for (const text of [
        JSON.stringify(value),
        JSON.stringify(value, null, 2),
        ` \n${JSON.stringify(value, null, 4)}\n `,
      ]) {
        const parsed = parseLargeJsonObject(Buffer.from(text, "utf8"));
        expect(parsed).toEqual(JSON.parse(text));
        expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
      }
    }
    const hostile = '{"__proto__":[{"polluted":true}],"after":1}';
    const parsed = parseLargeJsonObject(Buffer.from(hostile, "utf8"));
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(["__proto__", "after"]);
    expect(parsed).toEqual(JSON.parse(hostile));
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("refuses what is not one JSON object", () => {
    for (const text of [
      "",
      "[]",
      "{",
      '{"a"}',
      '{"a":}',
      '{"a":[1,}',
      '{"a":[1 2]}',
      '{"a":"x',
      '{"a":1} x',
      '{"a":tru}',
      "{'a':1}",
      '{"a":1,}',
    ])
      expect(() => parseLargeJsonObject(Buffer.from(text, "utf8")), text).toThrow();
    expect(() => parseLargeJsonObject(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toThrow();
  });

  it("reads back a saved plan as the plan that was saved, past the one-string size", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gh-large-plan-"));
    dirs.push(dir);
    const plan = bigPlan();
    const file = path.join(dir, "plan.json");
    await writeFile(file, [...renderJsonPieces(plan, 4_096)].join(""));
    const read = await readSavedPlan(file, 1_000); // read a value at a time
    expect(read).toEqual(JSON.parse(JSON.stringify(plan)));
    expect(planChecksum(read)).toBe(planChecksum(plan));
    // A damaged large file is refused with the file's name, as a small one is.
    await writeFile(file, renderJson(plan).replace('"changes": [', '"changes": [,'));
    await expect(readSavedPlan(file, 1_000)).rejects.toThrow(/plan\.json: cannot read the saved plan/);
  });
});
