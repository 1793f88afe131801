/**
 * docs/formats.md names every field of the plan, the journal, `journal access`, `journal changes`,
 * `explain` and `accounts` (`--format json`): a plan and
 * a journal made here (a leaver, a grant, a role, a deleted group, drift) must hold no field it leaves out.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REASON_TEXT } from "../../src/render/describe.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const doc = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
const trees: AccessTree[] = [];
afterAll(async () => {
  await Promise.all(trees.map((t) => t.remove()));
});

/** Objects whose keys are data (actions, provider names), not fields. */
const KEYED_BY_DATA = new Set(["byAction", "calls", "offboardingCalls", "accounts", "entry", "modes"]);

/** Every key of every object in `value`, at any depth. */
function fieldsOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) fieldsOf(item, out);
  else if (typeof value === "object" && value !== null)
    for (const [key, inner] of Object.entries(value)) {
      out.add(key);
      if (!KEYED_BY_DATA.has(key)) fieldsOf(inner, out);
    }
  return out;
}

const undocumented = (fields: Iterable<string>): string[] =>
  [...fields].filter((f) => !doc.includes(`\`${f}\``)).sort();

describe("docs/formats.md", () => {
  it("names every field of a plan, the journal and journal access, and every reason", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann, department: FIN, title: Analyst }\n" +
        "  - { id: bob, name: Bob, manager: ann }\n  - { id: cy, name: Cy, endDate: 2026-02-01 }\n",
      "groups/teams.yaml":
        "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n" +
        "      - { user: bob, until: 2026-04-01T00:00:00Z, reason: AUD-7 }\n      - cy\n" +
        "  - name: old\n    owners: [ann]\n    members: [bob]\n",
      "roles/roles.yaml":
        "roles:\n  - name: finance\n    when: { department: [FIN] }\n    groups: [ledger]\n",
    });
    trees.push(tree);
    const at = (when: string, argv: string[]) => runCliIn(tree.cwd, argv, new Date(when));
    expect((await at("2026-01-15T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    // Later: cy has left, bob's grant ran out, the group "old" is gone, and someone added dan by hand.
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n" +
        "      - { user: bob, until: 2026-04-01T00:00:00Z, reason: AUD-7 }\n      - cy\n",
    );
    const directory = path.join(tree.cwd, ".gatehouse/app.json");
    const data = JSON.parse(await readFile(directory, "utf8")) as {
      users: { account: string; lastLogin?: string }[];
      groups: { members: string[] }[];
    };
    data.groups[0]?.members.push("dan");
    const bob = data.users.find((u) => u.account === "bob");
    if (bob) bob.lastLogin = "2026-01-20T09:00:00.000Z";
    await writeFile(directory, JSON.stringify(data));
    // Before the apply: cy, a leaver, still has her account (orphaned), bob has not signed in since January.
    const accounts = await at("2026-05-01T09:00:00Z", ["accounts", "--format", "json"]);
    expect(accounts.code).toBe(0);
    const report = JSON.parse(accounts.stdout) as { summary: { orphaned: number; stale: number } };
    expect(report.summary).toMatchObject({ orphaned: 1, stale: 2 });
    expect(undocumented(fieldsOf(report))).toEqual([]);
    const planned = await at("2026-05-01T09:00:00Z", ["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const plan: unknown = JSON.parse(planned.stdout);
    const reasons = new Set((plan as { changes: { reason: string }[] }).changes.map((c) => c.reason));
    // The plan holds the kinds of change this test is about (or it checks too little).
    expect([...reasons].sort()).toEqual(["drift", "grant-expired", "removed-from-config", "user-terminated"]);
    expect((await at("2026-05-01T09:00:00Z", ["apply", "--yes", "--allow-removals", "10"])).code).toBe(0);
    const journal = (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    const access = await at("2026-05-02T00:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--at",
      "2026-03-01",
      "--format",
      "json",
    ]);
    expect(access.code).toBe(0);
    // dan, added by hand and removed as drift, is named as held outside gatehouse.
    expect(access.stdout).toContain('"outside"');
    expect(access.stdout).toContain('"member": "dan"');
    const during = await at("2026-05-02T00:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--since",
      "2026-01-01",
      "--until",
      "2026-05-02",
      "--format",
      "json",
    ]);
    expect(during.code).toBe(0);
    expect(during.stdout).toContain('"to"');
    expect(undocumented(fieldsOf(JSON.parse(during.stdout)))).toEqual([]);

    const changes = await at("2026-05-02T00:00:00Z", [
      "journal",
      "changes",
      "--since",
      "2026-01-01",
      "--until",
      "2026-12-31",
      "--user",
      "cy",
      "--group",
      "ledger",
      "--provider",
      "app",
      "--format",
      "json",
    ]);
    expect(changes.code).toBe(0);
    expect(undocumented(fieldsOf(JSON.parse(changes.stdout)))).toEqual([]);
    for (const person of ["ann", "bob", "cy"]) {
      const explained = await at("2026-05-02T00:00:00Z", ["explain", person, "--format", "json"]);
      expect(explained.code).toBe(0);
      expect(undocumented(fieldsOf(JSON.parse(explained.stdout)))).toEqual([]);
    }
    const validated = await at("2026-05-02T00:00:00Z", ["validate", "--format", "json"]);
    const answers = [changes.stdout, access.stdout, validated.stdout].map(
      (text) => JSON.parse(text) as unknown,
    );
    for (const answer of answers) expect(answer).toMatchObject({ formatVersion: 1 });
    expect(undocumented(fieldsOf(answers[2]))).toEqual([]);
    expect(undocumented(fieldsOf(plan))).toEqual([]);
    expect(undocumented(fieldsOf(journal))).toEqual([]);
    expect(undocumented(fieldsOf(JSON.parse(access.stdout)))).toEqual([]);
    for (const [reason, shown] of Object.entries(REASON_TEXT)) {
      expect(doc).toContain(`\`${reason}\``);
      expect(doc).toContain(shown);
    }
  });

  it("names every field of hr sync --format json", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml":
        'users:\n  - { id: ann, name: Ann, employeeNumber: "E1" }\n  - { id: bob, name: Bob, employeeNumber: "E2" }\n' +
        '  - { id: cy, name: Cy, employeeNumber: "E3" }\n  - { id: dee, name: Dee }\n',
    });
    trees.push(tree);
    await writeFile(
      path.join(tree.cwd, "hr.csv"),
      "employeeNumber,id,name,status\nE1,ann,Ann Lee,active\nE2,bob,Bob,terminated\nE4,eve,Eve,active\nE5,old,Old,terminated\n",
    );
    const synced = await runCliIn(tree.cwd, [
      "hr",
      "sync",
      "hr.csv",
      "--max-leavers",
      "1",
      "--format",
      "json",
    ]);
    expect(synced.code).toBe(0);
    const refused = await runCliIn(tree.cwd, [
      "hr",
      "sync",
      "hr.csv",
      "--absent",
      "terminate",
      "--max-leavers",
      "0",
      "--format",
      "json",
    ]);
    expect(refused.code).toBe(3);
    const [first, second] = [synced.stdout, refused.stdout].map(
      (text) => JSON.parse(text) as Record<string, unknown[]>,
    );
    // Every list holds something (or the check would check too little).
    for (const list of ["joiners", "movers", "leavers", "absent", "skipped", "files"])
      expect(first?.[list]).not.toEqual([]);
    expect(second?.["refused"]).not.toEqual([]);
    expect(undocumented(fieldsOf(first))).toEqual([]);
    expect(undocumented(fieldsOf(second))).toEqual([]);
  });
});
