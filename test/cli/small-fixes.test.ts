import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

async function cli(tree: AccessTree, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runCliIn(tree.cwd, argv);
  return { code, out: stdout, err: stderr };
}

describe("what a new user tripped over", () => {
  it("explain says a person whose end date has passed is terminated", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n  - id: alice\n    name: Alice\n  - id: bob\n    name: Bob\n    endDate: 2026-01-31\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice, bob]\n",
    });
    trees.push(tree);
    const out = await cli(tree, ["explain", "bob"]);
    expect(out.code).toBe(0);
    expect(out.out).toContain("bob (Bob), terminated (endDate 2026-01-31 has passed; status: active)");
    expect((await cli(tree, ["explain", "alice"])).out).toContain("alice (Alice), active,");
  });

  it("explain shows a leaver's groups as not held, and a future starter's as held from the start date", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n  - id: alice\n    name: Alice\n  - id: bob\n    name: Bob\n    status: terminated\n" +
        "  - id: cy\n    name: Cy\n    startDate: 2099-03-01\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice, bob, cy]\n",
    });
    trees.push(tree);
    const bob = await cli(tree, ["explain", "bob"]);
    expect(bob.code).toBe(0);
    expect(bob.out).toContain(
      "  ops  [directory]  not held: terminated\n    listed at access/groups/teams.yaml:4",
    );
    const cy = await cli(tree, ["explain", "cy", "ops"]);
    expect(cy.out).toContain("  ops  [directory]  not held yet: from 2099-03-01 (startDate)\n    listed at");
    // Someone who holds the group: the group line as it was.
    expect((await cli(tree, ["explain", "alice"])).out).toContain("  ops  [directory]\n    listed at");
    // The same as data.
    const json = await cli(tree, ["explain", "cy", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      user: "cy",
      standing: "active",
      accounts: { directory: "cy" },
      groups: [
        {
          group: "ops",
          providers: ["directory"],
          held: false,
          notHeld: "from 2099-03-01 (startDate)",
          why: ["listed at access/groups/teams.yaml:4"],
          provenance: [{ kind: "direct" }],
        },
      ],
    });
    const alice = JSON.parse((await cli(tree, ["explain", "alice", "--format", "json"])).out) as {
      groups: { held: boolean; notHeld?: string }[];
    };
    expect(alice.groups).toEqual([expect.objectContaining({ held: true })]);
    expect(alice.groups[0]?.notHeld).toBeUndefined();
  });

  it("explain says what being on leave does to the accounts", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml("policy:\n  leave: disable\n"),
      "users/people.yaml":
        "users:\n  - id: alice\n    name: Alice\n  - id: pat\n    name: Pat\n    status: leave\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [pat]\n",
    });
    trees.push(tree);
    const out = await cli(tree, ["explain", "pat"]);
    expect(out.code).toBe(0);
    expect(out.out).toContain(
      "on leave: accounts are disabled (policy.leave: disable); memberships are kept for the return",
    );
  });

  it("import writes no file when the system holds nothing the files do not (an empty file fails validate)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
    const out = await cli(tree, ["import", "--provider", "directory"]);
    expect(out.code).toBe(0);
    expect(out.out).toContain("Nothing to import");
    expect((await cli(tree, ["validate"])).code).toBe(0);
  });

  it("import of a second system works while the first import's groups have no owners yet (GH217)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  hr: { type: local, path: .gatehouse/hr.json, mode: observe }\n" +
        "  crm: { type: local, path: .gatehouse/crm.json, mode: observe }\n",
    });
    trees.push(tree);
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    const directory = (group: string) =>
      JSON.stringify({
        formatVersion: 1,
        users: [{ account: "ann", name: "Ann", enabled: true }],
        groups: [{ name: group, members: ["ann"], groupMembers: [] }],
      });
    await writeFile(path.join(tree.cwd, ".gatehouse/hr.json"), directory("payroll"));
    await writeFile(path.join(tree.cwd, ".gatehouse/crm.json"), directory("sales"));
    expect((await cli(tree, ["import", "--provider", "hr"])).code).toBe(0);

    const second = await cli(tree, ["import", "--provider", "crm"]);
    expect(second.err).not.toContain("GH217");
    expect(second.code).toBe(0);
    expect(second.out).toContain("Wrote access/imported/crm.yaml: 0 new user(s), 1 group(s) from crm");
    // ann was brought by the first import: referenced, not declared again.
    expect(await readFile(path.join(tree.dir, "imported/crm.yaml"), "utf8")).not.toContain("id: ann");
    // Both imports' groups still need owners before the tree validates.
    const validate = await cli(tree, ["validate"]);
    expect(validate.code).toBe(1);
    expect(validate.out).toContain('GH217 group "payroll" has no owners');
    expect(validate.out).toContain('GH217 group "sales" has no owners');
  });

  it("apply --checksum without a saved plan is a usage error (64), nothing read or applied", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    // The plan file forgotten: the checksum pins nothing, so the plan computed now must not be applied.
    const out = await cli(tree, ["apply", "--yes", "--checksum", "deadbeef"]);
    expect(out.code).toBe(64);
    expect(out.err).toContain(
      "--checksum checks a saved plan: give its file (gatehouse apply plan.json --checksum deadbeef)",
    );
    expect(existsSync(path.join(tree.cwd, ".gatehouse/directory.json"))).toBe(false);
    expect(existsSync(path.join(tree.cwd, ".gatehouse/journal.jsonl"))).toBe(false);
  });

  it("apply names the formatVersion a saved plan has when it is not the one it reads", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    expect((await cli(tree, ["plan", "--out", "p.json"])).code).toBe(0);
    const file = path.join(tree.cwd, "p.json");
    const plan = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...plan, formatVersion: 2 }));
    const newer = await cli(tree, ["apply", "p.json", "--yes"]);
    expect(newer.code).toBe(1);
    expect(newer.err).toBe(
      `error: ${file}: a plan of formatVersion 2, which this gatehouse does not read (it reads formatVersion 1); make it with \`gatehouse plan --out ${file}\`\n`,
    );
    await writeFile(file, "{}");
    expect((await cli(tree, ["apply", "p.json", "--yes"])).err).toBe(
      `error: ${file}: not a gatehouse plan (no formatVersion); make it with \`gatehouse plan --out ${file}\`\n`,
    );
    expect(existsSync(path.join(tree.cwd, ".gatehouse/directory.json"))).toBe(false);
  });

  it("journal names a journal outside the working directory by its absolute path, not ../../..", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const outside = path.join(path.parse(tree.cwd).root, "nonexistent-gatehouse-journal", "x.jsonl");
    for (const argv of [
      ["journal", "access", "ops", "--at", "2026-03-01", "--journal", outside],
      ["journal", "changes", "--journal", outside],
    ]) {
      const out = await cli(tree, argv);
      expect(out.code).toBe(1);
      expect(out.err).toContain(`${outside}: no journal here`);
      expect(out.err).not.toContain("../");
    }
    // Inside it, the relative path as before.
    expect((await cli(tree, ["journal", "changes", "--journal", "logs/j.jsonl"])).err).toContain(
      `${path.join("logs", "j.jsonl")}: no journal here`,
    );
  });

  it("says journal needs a subcommand, and names the one meant for a mistyped one (64)", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const bare = await cli(tree, ["journal"]);
    expect(bare.code).toBe(64);
    expect(bare.err).toMatch(
      /^error: journal needs a subcommand: verify, repair, access, changes, leavers, run, evidence, close-verdict or close-delivery\n\nUsage: /,
    );
    const sub = await cli(tree, ["journal", "acess", "ops"]);
    expect(sub.code).toBe(64);
    expect(sub.err).toMatch(
      /^error: unknown journal subcommand "acess"\. Did you mean "access"\?\n\nUsage: /,
    );
  });

  it("says a day that does not exist is no day (--until, --at), rather than listing every form", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: []\n",
    });
    trees.push(tree);
    const before = await readFile(path.join(tree.dir, "groups/teams.yaml"), "utf8");
    const until = await cli(tree, ["request", "--user", "alice", "--group", "ops", "--until", "2026-02-30"]);
    expect(until.code).toBe(64);
    expect(until.err).toBe('error: --until "2026-02-30" is no day: February 2026 has 28 days\n');
    expect(await readFile(path.join(tree.dir, "groups/teams.yaml"), "utf8")).toBe(before);
    const at = await cli(tree, ["explain", "alice", "--at", "2027-13-01"]);
    expect(at.code).toBe(64);
    expect(at.err).toBe('error: --at "2027-13-01" is no day: a month is 01 to 12\n');
    const instant = await cli(tree, ["explain", "alice", "--at", "2026-04-31T12:00:00Z"]);
    expect(instant.err).toBe('error: --at "2026-04-31T12:00:00Z" is no day: April 2026 has 30 days\n');
  });

  it("refuses a stray word after a command that takes none (64), before reading or writing anything", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    // `--dir access/users` mistyped as `--dir access users`, or a path where no argument is taken.
    for (const command of ["validate", "plan", "prune", "import", "codeowners", "handover"]) {
      const out = await cli(tree, [command, "users"]);
      expect(out.code).toBe(64);
      expect(out.err).toContain(`${command} takes no arguments (got "users")`);
    }
    expect(existsSync(path.join(tree.cwd, ".gatehouse"))).toBe(false);
  });

  it("an unknown --provider is a usage error (64) naming the providers there are", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    for (const argv of [
      ["plan", "--provider", "nope"],
      ["import", "--provider", "nope"],
    ]) {
      const out = await cli(tree, argv);
      expect(out.code).toBe(64);
      expect(out.err).toContain("unknown provider nope; gatehouse.yaml defines: directory");
    }
  });

  it("accepts the local provider's lockTimeoutMs, as its README says", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  directory:\n    type: local\n    path: .gatehouse/directory.json\n    lockTimeoutMs: 2000\n",
    });
    trees.push(tree);
    const out = await cli(tree, ["validate"]);
    expect(out.err + out.out).not.toContain("GH100");
    expect(out.code).toBe(0);
  });

  it("codeowners refuses an access folder outside the working directory instead of writing ../ paths", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const { io, out, err } = captureIo(path.join(tree.cwd, "elsewhere"), { GATEHOUSE_QUIET: "1" });
    await mkdir(io.cwd, { recursive: true });
    const code = await main(["codeowners", "--dir", "../access"], io);
    expect(code).toBe(64);
    expect(err.join("")).toContain("the access folder ../access is outside the working directory");
    expect(out.join("")).toBe("");
  });

  it("names a missing --dir plainly: absolute when far outside, and no 'pass --dir' when it was passed", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const far = await cli(tree, ["validate", "--dir", "/nonexistent-gatehouse-dir"]);
    expect(far.code).toBe(1);
    expect(far.out + far.err).toContain(
      'access directory "/nonexistent-gatehouse-dir" does not exist; run gatehouse where it is, or give its place with --dir',
    );
    const near = await cli(tree, ["validate", "--dir", "acess"]);
    expect(near.out + near.err).toContain('access directory "acess" does not exist');
  });

  it("refuses to plan or apply a folder without gatehouse.yaml (a mistyped --dir), and validate says why", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
    });
    trees.push(tree);
    const checked = await cli(tree, ["validate", "--dir", "access/users"]);
    expect(checked.code).toBe(0);
    expect(checked.out + checked.err).toContain("access/users/gatehouse.yaml:1:1 warning GH019");
    for (const command of [["plan"], ["apply", "--yes"], ["accounts"], ["drill"]]) {
      const run = await cli(tree, [...command, "--dir", "access/users"]);
      expect(run.code).toBe(1);
      expect(run.out + run.err).toContain(
        "no gatehouse.yaml in access/users: plan, apply, prune, import, accounts and drill need one",
      );
    }
    expect(existsSync(path.join(tree.cwd, ".gatehouse/directory.json"))).toBe(false);
    // The tree itself still plans.
    expect((await cli(tree, ["plan"])).code).toBe(0);
  });

  it("validate counts a group left out for a schema error in its review block among the groups", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - { id: alice, name: Alice }\n  - { id: bob, name: Bob }\n",
      "groups/teams.yaml":
        "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice, bob]\n" +
        "  - name: dev\n    owners: [alice]\n    review:\n      due: 2026-07-01\n      pending: [bob, bob]\n" +
        "    members: [bob]\n",
    });
    trees.push(tree);
    const checked = await cli(tree, ["validate"]);
    expect(checked.code).toBe(1);
    expect(checked.out).toMatch(/access\/groups\/teams\.yaml:\d+:\d+ error GH100/);
    expect(checked.out).toContain("2 users, 2 groups (1 left out for errors), 0 roles: invalid;");
  });

  it("refuses a bad --allow-removals at once, even when the plan has nothing to change", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    const run = await cli(tree, ["apply", "--yes", "--allow-removals", "abc"]);
    expect(run.code).toBe(64);
    expect(run.out + run.err).toContain('--allow-removals takes a whole number (got "abc")');
    expect(existsSync(path.join(tree.cwd, ".gatehouse/journal.jsonl"))).toBe(false);
  });

  it("suggests the closest name for a mistyped command, user or group (64)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops-admin\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    const command = await cli(tree, ["valdate"]);
    expect(command.code).toBe(64);
    expect(command.err.split("\n")[0]).toBe('error: unknown command "valdate". Did you mean "validate"?');
    const user = await cli(tree, ["explain", "alicee"]);
    expect(user.code).toBe(64);
    expect(user.err).toBe('error: no user "alicee" in access/. Did you mean "alice"?\n');
    const group = await cli(tree, ["explain", "alice", "ops-admn"]);
    expect(group.err).toBe('error: no group "ops-admn" in access/. Did you mean "ops-admin"?\n');
    // Nothing close: no guess.
    expect((await cli(tree, ["explain", "zed"])).err).toBe('error: no user "zed" in access/.\n');
  });

  it("says plainly what is wrong with an option: unknown (with the closest), no value, a value like an option", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops-admin\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    const firstLine = async (argv: string[]) => {
      const r = await cli(tree, argv);
      expect(r.code).toBe(64);
      return r.err.split("\n")[0];
    };
    expect(await firstLine(["plan", "--detaled-exitcode"])).toBe(
      'error: unknown option --detaled-exitcode. Did you mean "--detailed-exitcode"?',
    );
    expect(await firstLine(["plan", "--format"])).toBe("error: --format needs a value");
    expect(await firstLine(["apply", "--yes=1"])).toBe("error: --yes takes no value");
    // A value that starts with a dash reads as an option: one line, no usage, and nothing written. A
    // negative duration (--until -5h) is a value, never an option: request says what is wrong with it.
    const before = await readFile(path.join(tree.dir, "groups/teams.yaml"), "utf8");
    const dash = await cli(tree, ["request", "--user", "alice", "--group", "ops-admin", "--reason", "-x"]);
    expect(dash.err).toBe(
      "error: --reason needs a value; one that starts with a dash is written --reason=VALUE\n",
    );
    const negative = await cli(tree, [
      "request",
      "--user",
      "alice",
      "--group",
      "ops-admin",
      "--until",
      "-5h",
    ]);
    expect(negative.err).toMatch(
      /^error: --until "-5h" counts back from now; a grant's end must be in the future: /,
    );
    expect(await readFile(path.join(tree.dir, "groups/teams.yaml"), "utf8")).toBe(before);
  });

  it("explain reads only the files: a tree without gatehouse.yaml still explains (GH019 is for plan and apply)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [alice]\n    members: [alice]\n",
    });
    trees.push(tree);
    await rm(path.join(tree.cwd, "access/gatehouse.yaml"));
    const explained = await cli(tree, ["explain", "alice"]);
    expect(explained.out + explained.err).not.toContain("no gatehouse.yaml");
    expect(explained.code).toBe(0);
  });
});

describe("a system that cannot be read", () => {
  it("plan and import name where gatehouse.yaml configures it, and change nothing", async () => {
    // A port nobody listens on: the connection is refused.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => {
          resolve(port);
        });
      });
    });
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "# the SaaS app\nproviders:\n  saas:\n    type: scim\n    tokenEnv: SCIM_TOKEN\n" +
        `    baseUrl: http://127.0.0.1:${String(closed)}/scim/v2\n    retry: { maxRetries: 0 }\n`,
      "users/people.yaml": "users:\n  - { id: alice, name: Alice, email: alice@example.com }\n",
    });
    trees.push(tree);
    for (const argv of [["plan"], ["import", "--provider", "saas"]]) {
      const { io, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", SCIM_TOKEN: "t0ken-never-shown" });
      const code = await main(argv, io);
      const text = err.join("");
      expect(code, argv[0]).toBe(1);
      expect(text).toMatch(/^error: saas: /);
      expect(text).toContain("\n    see access/gatehouse.yaml:3:3 (provider saas in gatehouse.yaml)\n");
      expect(text).not.toContain("t0ken-never-shown");
      expect(text).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(existsSync(path.join(tree.cwd, "access/imported"))).toBe(false);
    expect(existsSync(path.join(tree.cwd, ".gatehouse/journal.jsonl"))).toBe(false);
  });

  it.each([
    [
      "a missing comma",
      '{\n  "formatVersion": 1,\n  "users": [\n    { "account": "ann" "enabled": true }\n  ]\n}\n',
      ":4:24 is not a valid directory file: it is not valid JSON (Expected ',' or '}' after property value).",
    ],
    [
      "a stray token (JSON.parse gives no position)",
      '{\n  "users": [\n    x\n  ]\n}\n',
      ":3:5 is not a valid directory file: it is not valid JSON (Unexpected token 'x').",
    ],
    [
      "a cut-off file",
      '{\n  "users": [',
      ":2:13 is not a valid directory file: it is not valid JSON (Unexpected end of JSON input).",
    ],
  ])(
    "names the line and column of %s in the local directory file, changing nothing",
    async (_name, text, where) => {
      const tree = await writeAccessTree({
        "gatehouse.yaml": configYaml(),
        "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      });
      trees.push(tree);
      const file = path.join(tree.cwd, ".gatehouse/directory.json");
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      const out = await cli(tree, ["plan"]);
      expect(out.code).toBe(1);
      expect(out.err).toContain(`${file}${where} Restore it from a backup`);
      expect(out.err).not.toContain('" is not valid JSON'); // no quote of the file's text
      expect(out.err).not.toMatch(/\n\s+at /);
      expect(await readFile(file, "utf8")).toBe(text);
    },
  );

  it("says a group a role names may be defined in a file that did not load, and still reports that file's error", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - { id: ann, name: Ann, department: ENG }\n",
      // A flow list left open in one group: the whole file does not load.
      "groups/groups.yaml":
        "groups:\n  - name: dept-all-read\n    owners: [ann]\n    members: []\n" +
        "  - name: dept-eng-read\n    owners: [ann\n    members: [ann]\n",
      "roles/roles.yaml":
        "roles:\n  - name: all-staff\n    when: { department: ENG }\n    groups: [dept-all-read]\n" +
        "  - name: engineer\n    when: { department: ENG }\n    groups: [dept-eng-read, dept-typo-read]\n",
    });
    trees.push(tree);
    // Twice: the second run reads the failed file's parse from the cache.
    for (const run of [1, 2]) {
      const out = await cli(tree, ["validate"]);
      expect(out.code, `run ${String(run)}`).toBe(1);
      expect(out.out).toMatch(/access\/groups\/groups\.yaml:\d+:\d+ error GH010 /);
      const loadNote =
        "is not defined in any access file that loaded; access/groups/groups.yaml did not load (see its error), which may define it. Fix that error first.";
      expect(out.out).toContain(
        `access/roles/roles.yaml:4:14 error GH205 role "all-staff" grants group "dept-all-read" ${loadNote}`,
      );
      expect(out.out).toContain(
        `access/roles/roles.yaml:7:14 error GH205 role "engineer" grants group "dept-eng-read" ${loadNote}`,
      );
      // A name the file that did not load does not even mention is simply not defined.
      expect(out.out).toMatch(
        /error GH205 role "engineer" grants group "dept-typo-read" is not defined in any access file\. /,
      );
    }
  });
});
