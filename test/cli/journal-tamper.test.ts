import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hashEntry, type JournalEntry } from "../../src/audit/journal-entry.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cli = (tree: AccessTree, argv: string[]) => runCliIn(tree.cwd, argv);

const CONFIG = "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n";
const people = (...ids: string[]): string =>
  `users:\n${ids.map((id) => `  - { id: ${id}, name: ${id} }\n`).join("")}`;
const team = (...ids: string[]): string =>
  `groups:\n  - name: ops\n    owners: [ann]\n    members: [${ids.join(", ")}]\n`;

/** A tree applied twice: the journal holds two runs. */
async function appliedTwice(): Promise<{ tree: AccessTree; journal: string; lines: string[] }> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": people("ann", "bob", "cy"),
    "groups/teams.yaml": team("ann"),
  });
  trees.push(tree);
  expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
  await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann", "bob"));
  expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
  // The hourly plan: it reads the whole journal, and this machine remembers its last entry.
  expect((await cli(tree, ["plan"])).code).toBe(0);
  const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
  const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
  return { tree, journal, lines };
}

/** `lines` chained again (seq, run numbers and hashes recomputed), as a forger would. */
function rechain(lines: readonly string[]): string[] {
  let prevHash = "0".repeat(64);
  const runs = new Map<number, number>();
  return lines.map((line, i) => {
    const entry = JSON.parse(line) as JournalEntry;
    const seq = i + 1;
    if (entry.type === "apply-start") runs.set(entry.seq, seq);
    const moved = { ...entry, seq, prevHash, hash: "" };
    const renumbered = "runSeq" in moved ? { ...moved, runSeq: runs.get(moved.runSeq) ?? 0 } : moved;
    const hash = hashEntry(renumbered);
    prevHash = hash;
    return JSON.stringify({ ...renumbered, hash });
  });
}

describe("a journal changed behind gatehouse's back", () => {
  it("is not appended to when an entry in the middle was edited: apply refuses and changes nothing", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const edited = lines.map((l, i) => (i === 1 ? l.replace('"at":"2', '"at":"3') : l));
    await writeFile(journal, edited.join("\n") + "\n");
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann", "bob", "cy"));
    const directory = await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8");
    const apply = await cli(tree, ["apply", "--yes"]);
    expect(apply.code).toBe(1);
    expect(apply.out).toContain(".gatehouse/journal.jsonl is not intact, so nothing was applied: line 2:");
    expect(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")).toBe(directory);
    expect((await readFile(journal, "utf8")).trimEnd().split("\n")).toHaveLength(lines.length);
  });

  it("keeps the evidence of a cut: plan refuses, and verify still fails after it", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const firstRun = lines.findIndex((l, i) => i > 0 && l.includes('"type":"apply-start"'));
    await writeFile(journal, lines.slice(0, firstRun).join("\n") + "\n");
    const plan = await cli(tree, ["plan"]);
    expect(plan.code).toBe(1);
    const n = String(lines.length);
    expect(plan.out).toContain(
      `journal.jsonl no longer holds entry seq ${n} (the last of the ${n} entries gatehouse read from it on this machine); its last entry is seq ${String(firstRun)}: entries were cut off its end`,
    );
    const verify = await cli(tree, ["journal", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain("entries were cut off its end");
  });

  it("says entries before the last one were removed, not cut off the end, when the last entry is still there", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const n = String(lines.length);
    await writeFile(journal, [...lines.slice(0, 1), ...lines.slice(2)].join("\n") + "\n");
    const plan = await cli(tree, ["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.out).toMatch(
      new RegExp(
        `journal\\.jsonl still holds entry seq ${n} \\(the last of the ${n} entries gatehouse read from it on this machine\\), but at byte \\d+, not \\d+: entries before it were removed, inserted or edited\\. Nothing was read or changed\\.`,
      ),
    );
    const verify = await cli(tree, ["journal", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain(`entries before its last one (seq ${n}, still there) were removed`);
    expect(`${plan.out}\n${verify.out}`).not.toContain("cut off");
  });

  it("says the last entry read here was edited or the chain rewritten, when its seq holds other bytes", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const n = String(lines.length);
    await writeFile(
      journal,
      rechain(lines.map((l, i) => (i === 1 ? l.replace('"at":"2', '"at":"3') : l))).join("\n") + "\n",
    );
    const plan = await cli(tree, ["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.out).toContain(
      `journal.jsonl holds entry seq ${n} (the last of the ${n} entries gatehouse read from it on this machine) with other bytes: it was edited, or the chain was rewritten up to it.`,
    );
    expect(plan.out).not.toContain("cut off");
  });

  it("notices the last run cut off even when no plan read the journal after it", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": people("ann", "bob"),
      "groups/teams.yaml": team("ann"),
    });
    trees.push(tree);
    expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann", "bob"));
    expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
    // Someone erases the run that gave bob access, straight after it.
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const secondRun = lines.findIndex((l, i) => i > 0 && l.includes('"type":"apply-start"'));
    await writeFile(journal, lines.slice(0, secondRun).join("\n") + "\n");
    const verify = await cli(tree, ["journal", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain("entries were cut off its end");
    const plan = await cli(tree, ["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.out).toContain(`no longer holds entry seq ${String(lines.length)} (the last of the`);
  });

  it("journal repair refuses to cut a last line that was read whole here, changing nothing", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const n = String(lines.length);
    // The last entry cut short by hand: it looks like a crash's torn write, but the plan read it whole.
    const cut = lines.slice(0, -1).join("\n") + "\n" + (lines[lines.length - 1] ?? "").slice(0, 200);
    await writeFile(journal, cut);
    const repair = await cli(tree, ["journal", "repair"]);
    expect(repair.code).toBe(1);
    expect(repair.stderr).toMatch(
      new RegExp(
        `journal\\.jsonl: the unfinished last line \\(from byte \\d+\\) is not a crash's torn write: gatehouse read the journal in whole lines up to byte \\d+ \\(up to entry seq ${n}\\) on this machine, so that line was whole before and has been cut or edited since\\. Nothing was cut\\. Run \`gatehouse journal verify\``,
      ),
    );
    expect(repair.stderr).toMatch(/delete \.gatehouse\/cache\/journal-[0-9a-f]{16}\.json/);
    expect(repair.stderr).not.toMatch(/\n\s+at /);
    expect(await readFile(journal, "utf8")).toBe(cut);
    expect(await readdir(path.dirname(journal))).not.toContain("journal.jsonl.torn");
  });

  it("journal repair still cuts a torn line appended after everything read here, as a crash leaves it", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const whole = lines.join("\n") + "\n";
    const torn = (lines[lines.length - 1] ?? "").slice(0, 50);
    await writeFile(journal, whole + torn);
    const repair = await cli(tree, ["journal", "repair"]);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`cut ${String(Buffer.byteLength(torn))} byte(s) of a torn last line`);
    expect(await readFile(journal, "utf8")).toBe(whole);
    expect((await cli(tree, ["journal", "verify"])).code).toBe(0);
  });

  it("says so when the record of what was read here is damaged, in plan and in verify", async () => {
    const { tree, journal, lines } = await appliedTwice();
    const cacheDir = path.join(tree.cwd, ".gatehouse/cache");
    const [record] = (await readdir(cacheDir)).filter((n) => /^journal-[0-9a-f]{16}\.json$/.test(n));
    await writeFile(path.join(cacheDir, record ?? ""), "garbled");
    await writeFile(journal, lines.slice(0, -1).join("\n") + "\n");
    const verify = await cli(tree, ["journal", "verify"]);
    expect(verify.out).toMatch(
      /warning: \.gatehouse\/cache\/journal-[0-9a-f]{16}\.json is damaged, so whether entries were cut off/,
    );
    const plan = await cli(tree, ["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(
      /journal-[0-9a-f]{16}\.json is damaged: .*entries cut off the journal since then would go unnoticed/,
    );
  });

  it("finds a chain rewritten with recomputed hashes, up to the last entry read here", async () => {
    const { tree, journal, lines } = await appliedTwice();
    // The forger drops one change of the first run, repeats the last entry to keep the count, and
    // chains it all again: every hash, seq and run number checks out.
    const forged = rechain([...lines.slice(0, 2), ...lines.slice(3), lines[lines.length - 1] ?? ""]);
    expect(forged).toHaveLength(lines.length);
    await writeFile(journal, forged.join("\n") + "\n");
    const verify = await cli(tree, ["journal", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain(`entry seq ${String(lines.length)} with the recorded hash is missing`);
    // Without this machine's record, nothing tells: what verify cannot see is in the README.
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true });
    expect((await cli(tree, ["journal", "verify"])).code).toBe(0);
  });
});
