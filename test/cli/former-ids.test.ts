/**
 * `formerIds` (an id changed, the person did not) through the real CLI on temp access trees and local
 * directory files: the journal comes from a real apply under the old id, then the files rename the
 * person. What gatehouse managed for `dmitri` is `dmitri.volkov`'s in `accounts`, the plan, the guard
 * rails' protected users, `hr sync` and `import`, as the one lookup (desired/former-ids.ts) says.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import type { AccountsReport } from "../../src/lifecycle/account-review.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const HIRED = new Date("2026-01-01T00:00:00Z");
const NOW = new Date("2026-06-01T12:00:00Z");

const PROVIDERS =
  "providers:\n" +
  "  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative }\n" +
  "  app: { type: local, path: .gatehouse/app.json, mode: authoritative, users: mapped }\n";
const GROUPS = (dmitri: string): string =>
  "groups:\n" +
  `  - name: team-a\n    owners: [ann]\n    members: [ann, ${dmitri}]\n` +
  `  - name: app-users\n    owners: [ann]\n    providers: [app]\n    members: [ann, ${dmitri}]\n`;

/**
 * ann and dmitri applied on HIRED (dmitri's accounts: `directory` as `dmitriEntry` names it, `app`
 * dmitri-app), then dmitri's entry replaced by `renamed` (id dmitri.volkov, formerIds: [dmitri]).
 */
async function renamedAfterApply(
  renamed: string,
  options: { policy?: string; dmitriEntry?: string } = {},
): Promise<AccessTree> {
  const users = (dmitri: string): string =>
    "users:\n  - { id: ann, name: Ann, accounts: { app: ann } }\n" + `  - ${dmitri}\n`;
  const config = (protectedUser: string): string =>
    PROVIDERS +
    (options.policy === undefined ? "" : `policy:\n  guardrails: { protectedUsers: [${protectedUser}] }\n`);
  const tree = await writeAccessTree({
    "gatehouse.yaml": config("dmitri"),
    "users/people.yaml": users(
      options.dmitriEntry ?? "{ id: dmitri, name: Dmitri, accounts: { app: dmitri-app } }",
    ),
    "groups/teams.yaml": GROUPS("dmitri"),
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
  await writeFile(path.join(tree.dir, "gatehouse.yaml"), config("dmitri.volkov"));
  await writeFile(path.join(tree.dir, "users/people.yaml"), users(renamed));
  await writeFile(path.join(tree.dir, "groups/teams.yaml"), GROUPS("dmitri.volkov"));
  const valid = await runCliIn(tree.cwd, ["validate"], NOW);
  expect(valid.out).not.toContain(" error ");
  return tree;
}

const report = (stdout: string): AccountsReport => JSON.parse(stdout) as AccountsReport;

describe("an account gatehouse managed under a person's former id", () => {
  it("is their former account, not that of someone removed from the files (plan and accounts)", async () => {
    // dmitri.volkov's account in directory is named by his id now: `dmitri` is his former account.
    const tree = await renamedAfterApply(
      "{ id: dmitri.volkov, name: Dmitri, formerIds: [dmitri], accounts: { app: dmitri-app } }",
    );
    const plan = await runCliIn(tree.cwd, ["plan"], NOW);
    expect(plan.stdout).toContain(
      "- disable user dmitri  (removed from config) — the former account of dmitri.volkov, whose account here changed",
    );
    expect(plan.stdout).not.toContain("no longer in the files");

    const run = await runCliIn(tree.cwd, ["accounts", "--format", "json"], NOW);
    expect(run.code).toBe(0);
    const orphaned = report(run.stdout).systems.flatMap((s) =>
      s.orphaned.map((o) => `${s.provider} ${o.account} ${o.kind} ${o.userId ?? "-"}: ${o.detail}`),
    );
    expect(orphaned).toEqual([
      "directory dmitri former-account dmitri.volkov: the former account of dmitri.volkov, whose account here changed",
    ]);
  });

  it("is their former account when it carries their e-mail too: not taken for one renamed by hand", async () => {
    const tree = await renamedAfterApply(
      "{ id: dmitri.volkov, name: Dmitri, email: dv@example.com, formerIds: [dmitri], accounts: { app: dmitri-app } }",
      { dmitriEntry: "{ id: dmitri, name: Dmitri, email: dv@example.com, accounts: { app: dmitri-app } }" },
    );
    const plan = await runCliIn(tree.cwd, ["plan", "--provider", "directory"], NOW);
    expect(plan.stdout).toContain("+ create user dmitri.volkov");
    expect(plan.stdout).toContain(
      "- disable user dmitri  (removed from config) — the former account of dmitri.volkov, whose account here changed; disabled once the new one exists",
    );
    expect(plan.stdout).not.toContain("renamed by hand?");
  });

  it("is not reported as a removed person's where the files give them no account there any more", async () => {
    // app maps accounts (users: mapped): dmitri.volkov has none there now, as someone of the same id could.
    const tree = await renamedAfterApply("{ id: dmitri.volkov, name: Dmitri, formerIds: [dmitri] }");
    const run = await runCliIn(tree.cwd, ["accounts", "--format", "json", "--provider", "app"], NOW);
    expect(run.code).toBe(0);
    const [app] = report(run.stdout).systems;
    expect(app?.orphaned.map((o) => [o.account, o.kind, o.userId ?? "-", o.detail])).toEqual([
      ["dmitri-app", "no-person", "-", "in no access file"],
    ]);
    expect(run.stdout).not.toContain("no longer in the files");
  });
});

describe("a protected user whose journal accounts are recorded under a former id", () => {
  it("is still protected: apply refuses to disable that account without --force", async () => {
    const tree = await renamedAfterApply("{ id: dmitri.volkov, name: Dmitri, formerIds: [dmitri] }", {
      policy: "protected",
    });
    const app = path.join(tree.cwd, ".gatehouse/app.json");
    const before = await readFile(app, "utf8");
    const plan = await runCliIn(tree.cwd, ["plan", "--provider", "app"], NOW);
    expect(plan.stdout).toContain("- disable user dmitri-app");
    expect(plan.stdout).toContain("touches protected user dmitri-app");

    const refused = await runCliIn(tree.cwd, ["apply", "--yes", "--provider", "app"], NOW);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("touches protected user dmitri-app");
    expect(await readFile(app, "utf8")).toBe(before);
  });
});

describe("hr sync with an export that still has a person's former id", () => {
  const people =
    "users:\n" +
    "  - { id: ann, name: Ann, title: Engineer }\n" +
    "  - id: dmitri.volkov\n    formerIds: [dmitri]\n    name: Dmitri Volkov\n    title: SRE\n";
  const files = {
    "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
    "users/people.yaml": people,
    "groups/teams.yaml": "groups:\n  - name: team-a\n    owners: [ann]\n    members: [ann, dmitri.volkov]\n",
  };
  const numbered = people
    .replace("title: Engineer", 'employeeNumber: "E1"')
    .replace("    title: SRE\n", '    employeeNumber: "E2"\n');
  const sync = async (
    csv: string,
    edit: Readonly<Record<string, string>> = {},
  ): Promise<{ tree: AccessTree; run: Awaited<ReturnType<typeof runCliIn>>; users: string }> => {
    const tree = await writeAccessTree({ ...files, ...edit });
    trees.push(tree);
    await writeFile(path.join(tree.cwd, "hr.csv"), csv);
    const run = await runCliIn(tree.cwd, ["hr", "sync", "hr.csv"], NOW);
    return { tree, run, users: await readFile(path.join(tree.dir, "users/people.yaml"), "utf8") };
  };

  it("matches a row by a former id (export keyed by id), and takes a manager given by it as the person", async () => {
    const { run, users } = await sync(
      "id,name,title,manager\nann,Ann,Engineer,dmitri\ndmitri,Dmitri Volkov,Staff SRE,\n",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(users).toBe(
      "users:\n" +
        "  - { id: ann, name: Ann, title: Engineer, manager: dmitri.volkov }\n" +
        "  - id: dmitri.volkov\n    formerIds: [dmitri]\n    name: Dmitri Volkov\n    title: Staff SRE\n",
    );
    expect(run.stdout).not.toContain("hr.yaml");
  });

  it("links a row keyed by employee number whose id is a former id to that person, who has none yet", async () => {
    const { run, users } = await sync(
      "employeeNumber,id,name,title\nE1,ann,Ann,Engineer\nE2,dmitri,Dmitri Volkov,SRE\n",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(users).toContain(
      '  - id: dmitri.volkov\n    formerIds: [dmitri]\n    name: Dmitri Volkov\n    title: SRE\n    employeeNumber: "E2"\n',
    );
  });

  it("never gives a joiner someone's former id: one derived from an e-mail gets -2, one in an id column is refused", async () => {
    const derived = await sync(
      "employeeNumber,name,email\nE1,Ann,ann@example.com\nE2,Dmitri Volkov,dmitri.volkov@example.com\nE9,Dmitri Petrov,dmitri@example.com\n",
      { "users/people.yaml": numbered },
    );
    expect(derived.run.stderr).toBe("");
    expect(derived.run.code).toBe(0);
    const joiners = await readFile(path.join(derived.tree.dir, "users/hr.yaml"), "utf8");
    expect(joiners).toContain("  - id: dmitri-2\n");
    expect(joiners).not.toMatch(/id: dmitri\n/);

    const given = await sync("employeeNumber,id,name\nE9,dmitri,Dmitri Petrov\n", {
      "users/people.yaml": numbered,
    });
    expect(given.run.code).toBe(1);
    expect(given.run.stderr).toContain(
      'hr.csv:2:4 error HR006 id "dmitri" (dmitri.volkov\'s former id) belongs to employee number E2 in the files',
    );
    expect(given.users).toBe(numbered);
    expect(existsSync(path.join(given.tree.dir, "users/hr.yaml"))).toBe(false);
  });
});

describe("import of a live account named as someone's former id", () => {
  it("leaves it out when the journal saw gatehouse manage it for that person: it is their former account", async () => {
    const tree = await renamedAfterApply(
      "{ id: dmitri.volkov, name: Dmitri, formerIds: [dmitri], accounts: { app: dmitri-app } }",
    );
    const run = await runCliIn(tree.cwd, ["import", "--provider", "directory"], NOW);
    expect(run.code, run.out).toBe(0);
    expect(run.stderr).toContain(
      "warning: the live account dmitri is dmitri.volkov's former account (the journal saw gatehouse manage it for them): not imported",
    );
    const written = await readFile(path.join(tree.dir, "imported/directory.yaml"), "utf8").catch(() => "");
    expect(written).not.toMatch(/id: dmitri(-2)?\n/);
  });

  it("imports it under an id nobody had, with a warning naming that person, where no journal knows it: the written files validate", async () => {
    const tree = await renamedAfterApply(
      "{ id: dmitri.volkov, name: Dmitri, formerIds: [dmitri], accounts: { app: dmitri-app } }",
    );
    // A journal kept elsewhere, or none: nothing says whose the account was.
    await rm(path.join(tree.cwd, ".gatehouse/journal.jsonl"));
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true, force: true });
    const run = await runCliIn(tree.cwd, ["import", "--provider", "directory"], NOW);
    expect(run.code).toBe(0);
    const written = await readFile(path.join(tree.dir, "imported/directory.yaml"), "utf8");
    expect(written).toContain("  - id: dmitri-2\n");
    expect(written).toContain("      directory: dmitri\n");
    expect(written).not.toMatch(/id: dmitri\n/);
    expect(run.stderr).toContain(
      "warning: the live account dmitri is named as dmitri.volkov's former id (formerIds): it is imported as dmitri-2",
    );
    const valid = await runCliIn(tree.cwd, ["validate"], NOW);
    expect(valid.out).not.toContain("GH236");
  });
});
