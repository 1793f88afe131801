/**
 * `gatehouse plan --at`: the plan of another instant, against the live state read now. A grant that ends
 * in between is removed in the preview and not now; the plan memo is neither used nor kept for it, and
 * such a plan cannot be saved for apply.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const NOW = new Date("2026-06-01T12:00:00Z");

async function site(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
    "users/people.yaml": [
      "users:",
      "  - { id: ann, name: Ann }",
      "  - { id: bob, name: Bob, endDate: 2026-06-10 }",
      "  - { id: cat, name: Cat, startDate: 2026-06-05 }",
      "",
    ].join("\n"),
    "groups/teams.yaml": [
      "groups:",
      "  - name: ops",
      "    owners: [ann]",
      "    members:",
      "      - ann",
      "      - bob",
      "      - cat",
      "      - { user: ann, until: 2026-06-03T00:00:00Z, reason: INC-1 }",
      "  - name: db-admin",
      "    owners: [bob]",
      "    members:",
      "      - { user: ann, until: 2026-06-03T00:00:00Z, reason: INC-1 }",
      "",
    ].join("\n"),
  });
  trees.push(tree);
  return tree;
}

const plan = (tree: AccessTree, argv: readonly string[]) => runCliIn(tree.cwd, ["plan", ...argv], NOW);

describe("plan --at", () => {
  it("judges grants, start and end dates at that instant, against the live state read now", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
    // Now: nothing to do.
    const now = await plan(tree, ["--format", "json"]);
    expect((JSON.parse(now.stdout) as { changes: unknown[] }).changes).toEqual([]);
    // In a week: ann's grants have ended (she stays in ops, where she is listed too), cat has started;
    // bob's end date has not passed.
    const week = await plan(tree, ["--at", "7d", "--format", "json"]);
    expect(week.code).toBe(0);
    expect(week.stderr).toContain(
      "plan: computed as of 2026-06-08T12:00:00.000Z (--at), not now: grants, start and end dates are judged at that instant",
    );
    const brief = (p: string): string[] =>
      (
        JSON.parse(p) as {
          changes: {
            kind: string;
            action: string;
            group?: string;
            member?: string;
            account?: string;
            reason: string;
          }[];
        }
      ).changes.map(
        (c) => `${c.kind}.${c.action} ${c.group ?? ""}/${c.member ?? c.account ?? ""} ${c.reason}`,
      );
    expect((JSON.parse(week.stdout) as { createdAt: string }).createdAt).toBe("2026-06-08T12:00:00.000Z");
    expect(brief(week.stdout)).toEqual([
      "user.create /cat added-in-config",
      "membership.remove db-admin/ann grant-expired",
      "membership.add ops/cat added-in-config",
    ]);
    // A day means its end: on June 10 bob still works there; the day after, he is a leaver.
    expect(brief((await plan(tree, ["--at", "2026-06-10", "--format", "json"])).stdout)).not.toContain(
      "user.disable /bob user-terminated",
    );
    expect(brief((await plan(tree, ["--at", "2026-06-11", "--format", "json"])).stdout)).toContain(
      "user.disable /bob user-terminated",
    );
    // The live state is untouched, and the plan of now is still empty.
    expect(
      (JSON.parse((await plan(tree, ["--format", "json"])).stdout) as { changes: unknown[] }).changes,
    ).toEqual([]);
  });

  it("calls nothing late in a preview of a later instant: the reconcile has until then", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
    // Previewed from June 1: ann's grant ends June 3, bob leaves after June 10.
    const ahead = await plan(tree, ["--at", "2026-06-20"]);
    expect(ahead.code, ahead.stderr).toBe(0);
    expect(ahead.stdout).toMatch(/remove ann from db-admin .*grant ended 2026-06-03T00:00:00Z/);
    expect(ahead.stdout).toMatch(/disable user bob .*endDate 2026-06-10 has passed\n/);
    expect(ahead.stdout).not.toMatch(/late|more than a day after/);
    // The same plan made on June 20 itself: then both are late, and said so.
    const late = await runCliIn(tree.cwd, ["plan", "--fresh"], new Date("2026-06-20T12:00:00Z"));
    expect(late.code, late.stderr).toBe(0);
    expect(late.stdout).toContain("grant ended 2026-06-03T00:00:00Z, 17.5 days ago: removed late");
    expect(late.stdout).toMatch(/offboarded late/);
    expect(late.stdout).toMatch(/more than a day after they ended/);
  });

  it("keeps no plan memo for another instant, and refuses to save such a plan for apply", async () => {
    const tree = await site();
    const cache = path.join(tree.cwd, ".gatehouse", "cache");
    const memos = async (): Promise<string[]> =>
      (await readdir(cache).catch(() => [] as string[])).filter((f) => f.startsWith("plan-"));
    expect((await plan(tree, ["--at", "7d"])).code).toBe(0);
    expect(await memos()).toEqual([]);
    expect((await plan(tree, [])).code).toBe(0);
    expect(await memos()).toHaveLength(1);

    const saved = await plan(tree, ["--at", "7d", "--out", "plan.json"]);
    expect(saved.code).toBe(64);
    expect(saved.stderr).toContain("such a plan cannot be saved for apply (--out)");
    const bad = await plan(tree, ["--at", "next week"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("--at must be a duration from now (7d, 12h), a day (2026-03-01)");
  });
});
