/**
 * `gatehouse request` for someone pending in the group's open review: the owners approving the request's
 * pull request certify them, so the same edit takes the name off `pending`, and `review close` keeps
 * what they approved (grants trial M1).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

// runCliIn's clock: 2026-06-01T12:00:00Z.
const AFTER_DUE = new Date("2026-06-06T09:00:00Z");
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = `providers:
  directory: { type: local, path: .gatehouse/directory.json }
policy:
  grants: { maxDuration: 90d }
`;
const USERS = `users:
  - { id: ann, name: Ann }
  - { id: bob, name: Bob }
  - { id: dee, name: Dee }
`;
const GROUPS = `groups:
  - name: ops
    owners: [ann]
    review:
      due: 2026-06-05
      pending:
        - bob # a lasting line
        - dee
    members:
      - bob
      - user: dee
        until: 2026-06-03T00:00:00Z
        reason: INC-7
  - name: web
    owners: [ann]
    review: { due: 2026-06-05, pending: [dee] }
    members: [{ user: dee, until: 2026-06-03T00:00:00Z }]
`;

async function tree(): Promise<{ tree: AccessTree; file: string }> {
  const t = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": USERS,
    "groups/ops.yaml": GROUPS,
  });
  trees.push(t);
  return { tree: t, file: path.join(t.dir, "groups/ops.yaml") };
}

const request = (t: AccessTree, ...args: string[]) => runCliIn(t.cwd, ["request", ...args]);

describe("gatehouse request during an open review", () => {
  it("takes the user off pending in the same edit, so review close keeps the extension", async () => {
    const { tree: t, file } = await tree();
    const out = await request(t, "--user", "dee", "--group", "ops", "--until", "2026-06-20");
    expect(out.stderr).not.toContain("error");
    expect(out.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("        - dee\n", "").replace(
        "until: 2026-06-03T00:00:00Z\n        reason: INC-7",
        "until: 2026-06-21T00:00:00Z\n        reason: INC-7",
      ),
    );
    expect(out.stdout).toContain("Wrote access/groups/ops.yaml:10: dee's grant of ops runs until");
    expect(out.stdout).toContain(
      "note: dee is pending in the open review of ops (due 2026-06-05): the name is taken off `pending` " +
        "in the same edit, since the owners who approve this pull request certify them\n",
    );
    expect(out.stdout).toContain("-        - dee\n");
    const closed = await runCliIn(t.cwd, ["review", "close", "--allow-removals", "5"], AFTER_DUE);
    expect(closed.code).toBe(0);
    const after = await readFile(file, "utf8");
    expect(after).toContain("      - user: dee\n        until: 2026-06-21T00:00:00Z\n");
    expect(after).not.toMatch(/^ {6}- bob$/m); // bob, still pending, was revoked
  });

  it("writes a flow pending list again without the name, and says so in JSON", async () => {
    const { tree: t, file } = await tree();
    const out = await request(
      t,
      "--user",
      "dee",
      "--group",
      "web",
      "--until",
      "2026-06-20",
      "--format",
      "json",
    );
    expect(out.code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      GROUPS.replace("pending: [dee] }", "pending: [] }").replace(
        "[{ user: dee, until: 2026-06-03T00:00:00Z }]",
        "[{ user: dee, until: 2026-06-21T00:00:00Z }]",
      ),
    );
    const result = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(result["pendingReview"]).toEqual({ due: "2026-06-05" });
    const closed = await runCliIn(t.cwd, ["review", "close", "--allow-removals", "5"], AFTER_DUE);
    expect(closed.code).toBe(0);
    expect(await readFile(file, "utf8")).toContain("[{ user: dee, until: 2026-06-21T00:00:00Z }]");
  });

  it("leaves pending alone for someone the review does not list, and writes nothing on a dry run", async () => {
    const { tree: t, file } = await tree();
    const dry = await request(t, "--user", "dee", "--group", "ops", "--until", "2026-06-20", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("-        - dee\n");
    expect(await readFile(file, "utf8")).toBe(GROUPS);
    const ann = await request(t, "--user", "ann", "--group", "ops", "--until", "2026-06-20");
    expect(ann.code).toBe(0);
    expect(ann.stdout).not.toContain("note:");
    expect(await readFile(file, "utf8")).toContain(
      "      pending:\n        - bob # a lasting line\n        - dee\n",
    );
  });

  it("tells a pending lasting member who asks again that review close still revokes the line (review trial)", async () => {
    const { tree: t, file } = await tree();
    for (const args of [[], ["--until", "2026-06-04"]]) {
      const out = await request(t, "--user", "bob", "--group", "ops", ...args);
      expect(out.code).toBe(0);
      expect(out.stdout).toBe(
        "bob is already a lasting member of ops (access/groups/ops.yaml:10:9); nothing to do; but bob is pending in " +
          "the open review of ops (due 2026-06-05): unless its owners re-certify them (delete the name from pending), " +
          "review close revokes the line from 2026-06-06 on\n",
      );
    }
    const dee = await request(t, "--user", "dee", "--group", "ops", "--until", "2026-06-02");
    expect(dee.code).toBe(0);
    expect(dee.stdout).toMatch(/is not later; nothing to do; but dee is pending in the open review of ops /);
    expect(await readFile(file, "utf8")).toBe(GROUPS);
  });
});
