/**
 * `gatehouse prune`: expired grants leave the access files once no connected system holds them, and
 * not before (the removal still to be applied keeps its line, so the files never stop saying it).
 */
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const BEFORE = new Date("2026-06-01T12:00:00Z");
const AFTER = new Date("2026-06-03T12:00:00Z");
const GROUPS = `groups:
  - name: ops
    owners: [ann]
    members:
      - ann
      # INC-7: bob helps with the outage
      - user: bob
        until: 2026-06-02T00:00:00Z
        reason: INC-7
      - user: cy
        until: 2026-12-01T00:00:00Z
`;

const PEOPLE = "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n";

/** ann, bob and cy, `groups` as ops.yaml, and one authoritative local system `app`. */
async function appTree(groups: string, people = PEOPLE): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 5 }\n",
    "users/people.yaml": people,
    "groups/ops.yaml": groups,
  });
  trees.push(tree);
  return tree;
}

describe("gatehouse prune", () => {
  it("keeps a grant until an apply removed it, then deletes its lines and nothing else", async () => {
    const tree = await appTree(GROUPS);
    const file = path.join(tree.dir, "groups/ops.yaml");
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], BEFORE)).code).toBe(0);

    // Expired, but the app still has bob: the line stays.
    const early = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(early.code).toBe(0);
    expect(early.stdout).toContain("Kept 1 expired grant(s) a connected system still holds");
    expect(early.stdout).toMatch(
      /access\/groups\/ops\.yaml:\d+:\d+ bob in ops \(ended 2026-06-02T00:00:00Z\)/,
    );
    expect(await readFile(file, "utf8")).toBe(GROUPS);

    const reconcile = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER);
    expect(reconcile.stdout).toContain("remove bob from ops  (grant expired");
    expect(reconcile.code).toBe(0);
    const check = await runCliIn(tree.cwd, ["prune", "--check"], AFTER);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("Would delete 1 expired grant(s) no system holds any more:");
    expect(await readFile(file, "utf8")).toBe(GROUPS);

    const pruned = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Deleted 1 expired grant(s) no system holds any more:");
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("      - user: bob\n        until: 2026-06-02T00:00:00Z\n        reason: INC-7\n", ""),
    );
    expect((await runCliIn(tree.cwd, ["validate"], AFTER)).code).toBe(0);
    const plan = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"], AFTER);
    expect(plan.stdout).toContain("No changes.");
    expect(plan.code).toBe(0);
    const again = await runCliIn(tree.cwd, ["prune", "--check"], AFTER);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("No expired grants in the access files.\n");
  });

  it("takes a pruned person off the group's review pending list in the same edit, so validate has no GH233", async () => {
    const reviewed = `groups:
  - name: ops
    owners: [ann]
    review:
      due: 2026-06-30
      pending:
        - ann
        - bob # grant for INC-7
    members:
      - ann
      - user: bob
        until: 2026-06-02T00:00:00Z
        reason: INC-7
  - name: db
    owners: [ann]
    review: { due: 2026-06-30, pending: [bob, cy] }
    members:
      - cy
      - user: cy
        until: 2026-06-02T00:00:00Z
      - user: bob
        until: 2026-06-02T00:00:00Z
`;
    const tree = await appTree(reviewed);
    const file = path.join(tree.dir, "groups/ops.yaml");
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], BEFORE)).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], AFTER)).code).toBe(0);
    const pruned = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(pruned.stderr).toBe("");
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Deleted 3 expired grant(s) no system holds any more:");
    expect(pruned.stdout).toContain(
      "Took 2 name(s) off a review's pending list (no longer members, nothing to re-certify):\n" +
        "  access/groups/ops.yaml: bob in the review of ops\n" +
        "  access/groups/ops.yaml: bob in the review of db\n",
    );
    // cy keeps a member line in db, so stays pending there.
    expect(await readFile(file, "utf8")).toBe(
      reviewed
        .replace("        - bob # grant for INC-7\n", "")
        .replace("      - user: bob\n        until: 2026-06-02T00:00:00Z\n        reason: INC-7\n", "")
        .replace("pending: [bob, cy]", "pending: [cy]")
        .replace("      - user: cy\n        until: 2026-06-02T00:00:00Z\n", "")
        .replace("      - user: bob\n        until: 2026-06-02T00:00:00Z\n", ""),
    );
    const validate = await runCliIn(tree.cwd, ["validate"], AFTER);
    expect(validate.code).toBe(0);
    expect(validate.out).not.toContain("GH233");
  });

  it("keeps every expired grant of a person on legal hold, once no system holds it too", async () => {
    const tree = await appTree(
      GROUPS,
      PEOPLE.replace("{ id: bob, name: Bob }", "{ id: bob, name: Bob, legalHold: true }"),
    );
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], BEFORE)).code).toBe(0);
    // The grant is removed in the app as any expired grant is: the hold keeps data, not access.
    const reconcile = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER);
    expect(reconcile.stdout).toContain("remove bob from ops  (grant expired");
    const pruned = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Kept 1 expired grant(s) of people on legal hold");
    expect(pruned.stdout).not.toContain("Deleted");
    expect(await readFile(path.join(tree.dir, "groups/ops.yaml"), "utf8")).toBe(GROUPS);
    expect((await runCliIn(tree.cwd, ["prune", "--check"], AFTER)).code).toBe(0);
  });

  it("keeps a grant an observe-mode system still holds (someone has to remove it there)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "  mirror: { type: local, path: .gatehouse/mirror.json, mode: observe }\n" +
        "policy:\n  guardrails: { maxRemovals: 5 }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
      "groups/ops.yaml": GROUPS,
    });
    trees.push(tree);
    const user = (account: string) => ({ account, enabled: true, sessions: [], tokens: [], name: account });
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(
      path.join(tree.cwd, ".gatehouse/mirror.json"),
      JSON.stringify({
        formatVersion: 1,
        users: ["ann", "bob", "cy"].map(user),
        groups: [{ name: "ops", members: ["ann", "bob", "cy"], groupMembers: [] }],
      }),
    );
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], BEFORE)).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], AFTER)).code).toBe(0);
    const pruned = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("Kept 1 expired grant(s) a connected system still holds");
    expect(await readFile(path.join(tree.dir, "groups/ops.yaml"), "utf8")).toBe(GROUPS);
  });

  it("keeps the file's mode, and leaves a read-only file alone", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
      "groups/ops.yaml": GROUPS,
    });
    trees.push(tree);
    const file = path.join(tree.dir, "groups/ops.yaml");
    // Written already expired: no system ever held it, so it is due at once.
    await chmod(file, 0o640);
    expect((await runCliIn(tree.cwd, ["prune"], AFTER)).code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readFile(file, "utf8")).not.toContain("user: bob");

    await writeFile(file, GROUPS);
    await chmod(file, 0o444);
    const readOnly = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain("access/groups/ops.yaml: not edited (it is read-only)");
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });

  it("refuses to touch a tree with errors", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "groups/ops.yaml": GROUPS,
    });
    trees.push(tree);
    const out = await runCliIn(tree.cwd, ["prune"], AFTER);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/access\/groups\/ops\.yaml:\d+:\d+ error GH2\d\d/);
    expect(await readFile(path.join(tree.dir, "groups/ops.yaml"), "utf8")).toBe(GROUPS);
  });
});
