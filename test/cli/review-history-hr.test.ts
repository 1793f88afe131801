/**
 * `review history` names a mover whom the real `hr sync` put back into an open review's `pending` after
 * the owner had re-certified them: their new role does not give the group, so the owners must again.
 */
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const STAFF = `users:
  - { id: carol, name: Carol Mbeki, email: carol@example.com, department: ENG-PLATFORM, employeeNumber: "E1" }
  - { id: alice, name: Alice Liddell, email: alice@example.com, department: ENG-PLATFORM, manager: carol, employeeNumber: "E2" }
`;
const HEADER = "employeeNumber,name,email,department,title,manager,status,startDate,endDate\n";
const CAROL = "E1,Carol Mbeki,carol@example.com,ENG-PLATFORM,,,active,,\n";
const alice = (department: string) => `E2,Alice Liddell,alice@example.com,${department},,E1,active,,\n`;

it("lists a mover hr sync added to an open review's pending after the owner re-certified them", async () => {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
    "users/staff.yaml": STAFF,
    "groups/teams.yaml":
      "groups:\n  - name: wiki-admins\n    owners: [carol]\n    members: [alice, carol]\n" +
      "  - name: team-sales-read\n    owners: [carol]\n    members: []\n",
    "roles/roles.yaml":
      "roles:\n  - name: sales\n    when: { department: SALES }\n    groups: [team-sales-read]\n",
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, ".gitignore"), ".gatehouse/\n*.csv\n");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: tree.cwd,
      encoding: "utf8",
      env: { ...process.env, GIT_AUTHOR_NAME: "HR", GIT_AUTHOR_EMAIL: "hr@example.com" },
    });
  git("init", "-q", "--initial-branch=main");
  git("config", "user.name", "Bot");
  git("config", "user.email", "bot@example.com");
  git("config", "commit.gpgsign", "false");
  const commit = (message: string) => {
    git("add", "-A");
    git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD").trim();
  };
  const cli = (argv: string[]) => runCliIn(tree.cwd, argv, new Date("2026-06-01T12:00:00Z"));
  commit("base");
  const open = await cli(["review", "open", "--due", "2026-06-20"]);
  expect(open.code, open.out).toBe(0);
  commit("Open access reviews");
  const teams = path.join(tree.dir, "groups/teams.yaml");
  await writeFile(teams, (await readFile(teams, "utf8")).replace(/\n {8}- alice\n/, "\n"));
  commit("alice re-certified");
  await writeFile(path.join(tree.cwd, "export.csv"), HEADER + CAROL + alice("SALES"));
  const sync = await cli(["hr", "sync", "export.csv"]);
  expect(sync.code, sync.out).toBe(0);
  expect(sync.stdout).toContain("alice in wiki-admins");
  const moved = commit("HR sync");

  const text = await cli(["review", "history"]);
  expect(text.code, text.out).toBe(0);
  expect(text.stdout).toContain("    re-certified (left pending, still members): alice\n");
  expect(text.stdout).toMatch(
    new RegExp(
      `commit ${moved.slice(0, 12)} "HR sync" \\(author HR <hr@example.com>, committed by Bot <bot@example.com>, [^)]*\\)\\n {4}added to pending: alice\\n`,
    ),
  );
  expect(text.stdout).toContain(
    "  STILL OPEN at 2026-06-01T12:00:00.000Z: due 2026-06-20, 2 pending: carol, alice\n",
  );
});
