/**
 * `gatehouse drill` through the CLI against the local provider: the canary offboarded as a leaver would
 * be (and no one else), timed per system, given its access back, and journalled as a drill; canaries
 * that are none, or may not be drilled, refused with nothing changed.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { describeEntryProblem, sealEntry } from "../../src/audit/journal-entry.ts";
import { NOW, writeAccessTree, type AccessTree, journalEntries } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const formats = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const config = (canaries: string, extra = ""): string => `providers:
  app: { type: local, path: .gatehouse/app.json, mode: authoritative }
policy:
  guardrails: { maxRemovals: 10, protectedUsers: [root] }
  admins: [ann]
  drills:
    canaries: ${canaries}
${extra}`;

const PEOPLE = `users:
  - { id: ann, name: Ann }
  - { id: bob, name: Bob }
  - { id: root, name: Root }
  - { id: canary, name: Canary, employmentType: service }
`;
const GROUPS = `groups:
  - name: ops
    owners: [ann]
    members: [ann, bob, canary]
  - name: vpn
    owners: [ann]
    members: [canary, root]
`;

interface StoredDirectory {
  users: { account: string; enabled: boolean }[];
  groups: { name: string; members: string[] }[];
}

/** Every key of every object in `value`, at any depth, that docs/formats.md does not name. */
function undocumented(value: unknown, out = new Set<string>()): string[] {
  if (Array.isArray(value)) for (const item of value) undocumented(item, out);
  else if (typeof value === "object" && value !== null)
    for (const [key, inner] of Object.entries(value)) {
      if (!formats.includes(`\`${key}\``)) out.add(key);
      // Keyed by provider name, not by field.
      if (key !== "calls" && key !== "offboardingCalls" && key !== "modes") undocumented(inner, out);
    }
  return [...out].sort();
}

async function newTree(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": config("[canary]"),
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  return tree;
}

const readText = (tree: AccessTree, rel: string): Promise<string> =>
  readFile(path.join(tree.cwd, rel), "utf8");

async function directory(tree: AccessTree): Promise<StoredDirectory> {
  return JSON.parse(await readText(tree, ".gatehouse/app.json")) as StoredDirectory;
}

/** Runs `gatehouse drill` with a clock that moves on a second every time it is read. */
async function drill(
  tree: AccessTree,
  argv: readonly string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
  let tick = 0;
  const code = await main(["drill", ...argv], { ...io, now: () => new Date(NOW.getTime() + 1000 * tick++) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("gatehouse drill", () => {
  it("offboards the canary alone, times each step, gives it its access back and journals the drill", async () => {
    const tree = await newTree();
    const before = await journalEntries(tree);
    const drilled = await drill(tree);
    expect(drilled.stderr).toBe("");
    expect(drilled.code).toBe(0);
    expect(drilled.stdout).toMatch(/^Drill of canary canary, started 2026-06-01T12:00:\d\d\.000Z: clean\.\n/);
    expect(drilled.stdout).toMatch(
      /\n {2}app: canary: disabled after \d+ ms, 2 membership\(s\) removed after \d+ ms, verified clean after \d+ ms\n/,
    );
    expect(drilled.stdout).toContain("Restore: the canary has its access back");
    // Back as the files say: enabled, in both its groups; the others as they were.
    const after = await directory(tree);
    expect(after.users.find((u) => u.account === "canary")?.enabled).toBe(true);
    expect(after.groups.find((g) => g.name === "ops")?.members).toEqual(["ann", "bob", "canary"]);
    expect(after.groups.find((g) => g.name === "vpn")?.members).toEqual(["canary", "root"]);
    expect((await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"])).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["journal", "verify"])).code).toBe(0);

    const added = (await journalEntries(tree)).slice(before.length);
    const starts = added.filter((e) => e["type"] === "apply-start");
    expect(starts.map((s) => s["drill"])).toEqual(["canary", "canary"]);
    // Only the canary's changes, in both runs: disable, sessions untouched (none open), two removals; then back.
    const changes = added
      .filter((e) => e["type"] === "change")
      .map((e) => e["change"] as Record<string, unknown>);
    expect(changes.every((c) => c["userId"] === "canary")).toBe(true);
    expect(changes.map((c) => `${String(c["kind"])} ${String(c["action"])}`)).toEqual([
      "user disable",
      "membership remove",
      "membership remove",
      "user enable",
      "membership add",
      "membership add",
    ]);
    for (const c of changes.slice(0, 3))
      expect(c["why"]).toEqual([
        "fire drill: canary canary offboarded as a leaver would be (gatehouse drill)",
      ]);
    const checks = added.filter((e) => e["type"] === "offboard-verified");
    expect(checks).toMatchObject([
      { account: "canary", clean: true, drill: true, leaving: "fire drill (gatehouse drill)" },
    ]);
    const entry = added.at(-1);
    expect(entry).toMatchObject({
      type: "drill",
      canary: "canary",
      outcome: "clean",
      runSeq: starts[0]?.["seq"],
      restore: { outcome: "restored", runSeq: starts[1]?.["seq"], left: 0 },
      systems: [{ provider: "app", account: "canary", clean: true, removals: 2, failed: 0 }],
    });
    // The clock moves a second per reading: each step comes after the one before it.
    const [system] = (entry?.["systems"] ?? []) as Record<string, number>[];
    expect(system?.["disabledAfterMs"]).toBeGreaterThan(0);
    expect(system?.["membershipsRemovedAfterMs"]).toBeGreaterThan(system?.["disabledAfterMs"] ?? Infinity);
    expect(system?.["cleanAfterMs"]).toBeGreaterThan(system?.["membershipsRemovedAfterMs"] ?? Infinity);

    // journal changes lists the drill; a later apply has nothing to do and no verdict to re-check.
    const listed = await runCliIn(tree.cwd, ["journal", "changes", "--user", "canary"]);
    expect(listed.stdout).toMatch(
      / {2}fire drill of canary canary: clean; app: canary disabled \d+ ms, memberships removed \d+ ms, clean \d+ ms; restore restored {2}\(journal #\d+, run #\d+, by /,
    );
    expect(listed.stdout).toMatch(/ and 1 offboarding check\(s\) and 1 fire drill\(s\) from the start/);
    // Every line of the drill's runs says it is a drill's: none reads as a real leaver's offboarding.
    const drillLines = listed.stdout
      .split("\n")
      .filter(
        (l) => l.includes("#" + String(starts[0]?.["seq"])) || l.includes("#" + String(starts[1]?.["seq"])),
      );
    expect(drillLines.length).toBeGreaterThanOrEqual(7);
    for (const line of drillLines) expect(line).toContain("fire drill");
    expect(listed.stdout).not.toContain("status: terminated");
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).not.toContain("Offboarding verified");
  });

  it("answers in JSON with the outcome, timings per system, checks and restore", async () => {
    const tree = await newTree();
    const drilled = await drill(tree, ["--format", "json"]);
    expect(drilled.code).toBe(0);
    const answer = JSON.parse(drilled.stdout) as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(
      [
        "canary",
        "changes",
        "checks",
        "formatVersion",
        "journal",
        "outcome",
        "restore",
        "startedAt",
        "systems",
      ].sort(),
    );
    expect(answer).toMatchObject({
      formatVersion: 1,
      canary: "canary",
      outcome: "clean",
      changes: 3,
      restore: { outcome: "restored", left: 0 },
      systems: [{ provider: "app", account: "canary", clean: true, removals: 2, failed: 0 }],
      checks: [{ provider: "app", account: "canary", clean: true, accountState: "disabled", groups: [] }],
    });
    const entries = await journalEntries(tree);
    expect(undocumented(answer)).toEqual([]);
    expect(undocumented(entries)).toEqual([]);
    expect((answer["journal"] as Record<string, unknown>)["seq"]).toBe(entries.at(-1)?.["seq"]);
  });

  it.each([
    {
      name: "a user not listed as a canary",
      canaries: "[canary]",
      argv: ["--canary", "bob"],
      code: 64,
      message: "bob is not a canary: policy.drills.canaries lists canary",
    },
    {
      name: "a canary that is no user",
      canaries: "[ghost]",
      argv: [],
      code: 1,
      message: 'access/gatehouse.yaml:7:16 error GH208 policy.drills.canaries: user "ghost" is not defined',
    },
    {
      name: "a protected user",
      canaries: "[root]",
      argv: [],
      code: 1,
      message: "canary root cannot be drilled: it is a protected user (policy.guardrails.protectedUsers)",
    },
    {
      name: "an admin and group owner",
      canaries: "[canary, ann]",
      argv: ["--canary", "ann"],
      code: 1,
      message:
        "access/gatehouse.yaml:7:24: canary ann cannot be drilled: it is an admin (policy.admins), an owner of group ops, an owner of group vpn",
    },
  ])("refuses $name, changing nothing", async ({ canaries, argv, code, message }) => {
    const tree = await newTree();
    // The canaries as this case has them, once the systems hold what the files say.
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), config(canaries));
    const [journalBefore, directoryBefore] = [
      await readText(tree, ".gatehouse/journal.jsonl"),
      await readText(tree, ".gatehouse/app.json"),
    ];
    const drilled = await drill(tree, argv);
    expect(drilled.code).toBe(code);
    expect(drilled.stderr).toContain(message);
    expect(drilled.stderr).not.toMatch(/\n\s+at /);
    expect(await readText(tree, ".gatehouse/journal.jsonl")).toBe(journalBefore);
    expect(await readText(tree, ".gatehouse/app.json")).toBe(directoryBefore);
  });

  it("holds to the guard rails (exit 3, nothing changed) unless --allow-removals lets the kill chain through", async () => {
    const tree = await newTree();
    await writeFile(
      path.join(tree.dir, "gatehouse.yaml"),
      config("[canary]").replace("maxRemovals: 10", "maxRemovals: 1"),
    );
    const [journalBefore, directoryBefore] = [
      await readText(tree, ".gatehouse/journal.jsonl"),
      await readText(tree, ".gatehouse/app.json"),
    ];
    const refused = await drill(tree);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("re-run with --allow-removals 3");
    expect(await readText(tree, ".gatehouse/journal.jsonl")).toBe(journalBefore);
    expect(await readText(tree, ".gatehouse/app.json")).toBe(directoryBefore);
    const allowed = await drill(tree, ["--allow-removals", "3"]);
    expect(allowed.code).toBe(0);
    const start = (await journalEntries(tree)).find(
      (e) => e["type"] === "apply-start" && e["drill"] === "canary",
    );
    expect(start?.["overrides"]).toMatchObject({ allowRemovals: 3 });
  });

  it("takes a standing allowance for drills from policy.drills.allowRemovals (recorded as the override)", async () => {
    const tree = await newTree();
    const tight = (allowance: number): string =>
      config(`[canary]\n    allowRemovals: ${String(allowance)}`).replace(
        "maxRemovals: 10",
        "maxRemovals: 1",
      );
    // Too small an allowance still refuses, with nothing changed.
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), tight(2));
    const directoryBefore = await readText(tree, ".gatehouse/app.json");
    const refused = await drill(tree);
    expect(refused.code).toBe(3);
    expect(await readText(tree, ".gatehouse/app.json")).toBe(directoryBefore);
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), tight(3));
    const allowed = await drill(tree);
    expect(allowed.code).toBe(0);
    const start = (await journalEntries(tree)).find(
      (e) => e["type"] === "apply-start" && e["drill"] === "canary",
    );
    expect(start?.["overrides"]).toMatchObject({ allowRemovals: 3 });
  });

  it("refuses a canary the systems are not in step with (its restore would look like drift fixed)", async () => {
    const tree = await newTree();
    const file = path.join(tree.cwd, ".gatehouse/app.json");
    const d = await directory(tree);
    const vpn = d.groups.find((g) => g.name === "vpn");
    if (vpn) vpn.members = ["root"];
    await writeFile(file, JSON.stringify(d));
    const journalBefore = await readText(tree, ".gatehouse/journal.jsonl");
    const drilled = await drill(tree);
    expect(drilled.code).toBe(1);
    expect(drilled.stderr).toContain(
      "canary canary is not in step with the files: the plan has 1 change(s) for it (app:membership/vpn/canary); run apply first",
    );
    expect(await readText(tree, ".gatehouse/journal.jsonl")).toBe(journalBefore);
  });

  it("keeps the drill entry to its shape: journal verify names a bad outcome", () => {
    const good = {
      type: "drill" as const,
      at: "2026-06-01T12:00:09Z",
      actor: "ci",
      canary: "canary",
      startedAt: "2026-06-01T12:00:00Z",
      runSeq: 1,
      outcome: "clean" as const,
      systems: [
        { provider: "app", account: "canary", disabledAfterMs: 1000, clean: true, removals: 0, failed: 0 },
      ],
      restore: { outcome: "restored" as const, left: 0 },
    };
    expect(describeEntryProblem(sealEntry(good, undefined))).toBeUndefined();
    expect(
      describeEntryProblem(sealEntry({ ...good, outcome: "fine" } as unknown as typeof good, undefined)),
    ).toBe('outcome must be "clean", "access-left" or "failed"');
    expect(
      describeEntryProblem(
        sealEntry({ ...good, systems: [{ provider: "app" }] } as unknown as typeof good, undefined),
      ),
    ).toMatch(/^systems must list/);
  });
});
