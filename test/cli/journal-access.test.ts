import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAfterIntent, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cliAt = (tree: AccessTree, when: string, argv: string[]) => runCliIn(tree.cwd, argv, new Date(when));

const team = (name: string, members: string, former = ""): string =>
  `groups:\n  - name: ${name}\n    owners: [ann]\n${former}    members: [${members}]\n`;

const LOCAL = "providers:\n  app: { type: local, path: .gatehouse/app.json }\n";
const PEOPLE = "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n";

/** A tree (by default ann and bob in ops) applied once, on 2026-03-01 at 09:00 UTC. */
async function appliedTree(files: Record<string, string> = {}): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": LOCAL,
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": team("ops", "ann, bob"),
    ...files,
  });
  trees.push(tree);
  expect((await cliAt(tree, "2026-03-01T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
  return tree;
}

describe("journal access", () => {
  it("says of each member that no approvals were recorded when the run added it without --record-approvals", async () => {
    const tree = await appliedTree();
    const out = await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--at", "2026-03-15"]);
    expect(out.code).toBe(0);
    const lines = out.stdout.split("\n");
    for (const member of ["ann", "bob"]) {
      const at = lines.findIndex((l) => l.startsWith(`  ${member}  since `));
      expect(lines.slice(at + 1, at + 3)).toContain(
        "    approvals: none recorded (the run that added it ran without apply --record-approvals, or by a gatehouse older than that option)",
      );
    }
    const json = await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--format", "json"]);
    expect(json.stdout).not.toContain("approvals");
  });

  it("answers who held a group on a date, under the name it had then, since when and why", async () => {
    const tree = await appliedTree();
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      team("ops-team", "ann", "    formerNames: [ops]\n"),
    );
    expect(
      (await cliAt(tree, "2026-04-01T09:00:00Z", ["apply", "--yes", "--allow-removals", "1"])).code,
    ).toBe(0);

    const march = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops-team",
      "--at",
      "2026-03-15",
    ]);
    expect(march.code).toBe(0);
    expect(march.out).toContain(
      "ops-team (then called ops) in app at 2026-03-15T23:59:59.999Z: 2 member(s) gatehouse applied",
    );
    expect(march.out).toMatch(
      / {2}bob {2}since 2026-03-01T09:00:00.000Z \(journal #\d+, by .*\): added in config, access\/groups\/teams.yaml:4:20/,
    );
    const april = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops-team",
      "--at",
      "2026-04-01T10:00:00Z",
      "--format",
      "json",
    ]);
    const json = JSON.parse(april.out) as { groups: { group: string; members: { member: string }[] }[] };
    expect(json.groups.map((g) => [g.group, g.members.map((m) => m.member)])).toEqual([
      ["ops-team", ["ann"]],
    ]);
    // Asked by the name it had then, as an auditor's evidence of March names it.
    const byOldName = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops",
      "--at",
      "2026-03-15",
    ]);
    expect(byOldName.code).toBe(0);
    expect(byOldName.stderr).toMatch(
      /ops was renamed since then \(to ops-team at 2026-04-01T09:00:00\.\d+Z, journal #\d+\): answering for the group called ops-team now/,
    );
    expect(byOldName.stdout).toContain(
      "ops in app at 2026-03-15T23:59:59.999Z: 2 member(s) gatehouse applied",
    );
    const before = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops",
      "--at",
      "2026-02-01",
    ]);
    expect(before.out).toContain(
      "ops in app at 2026-02-01T23:59:59.999Z: gatehouse had not changed it by then",
    );
    expect(
      (await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--at", "soon"])).code,
    ).toBe(64);
  });
});

describe("journal access shows how a member held the group", () => {
  it("names the grant's end (past or not) and the why of each add, such as the role that matched", async () => {
    const tree = await appliedTree({
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann, department: FIN }\n  - { id: bob, name: Bob }\n",
      "groups/teams.yaml":
        "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n      - { user: bob, until: 2026-03-02T00:00:00Z, reason: AUD-7 pentest }\n",
      "roles/roles.yaml":
        "roles:\n  - name: finance\n    when: { department: [FIN] }\n    groups: [ledger]\n",
    });
    const ask = (at: string) =>
      cliAt(tree, "2026-03-05T00:00:00Z", ["journal", "access", "ledger", "--at", at]);
    const during = await ask("2026-03-01T12:00:00Z");
    expect(during.code).toBe(0);
    expect(during.out).toMatch(/ {2}bob {2}since .*, until 2026-03-02T00:00:00Z\n {4}.*AUD-7 pentest/);
    expect(during.out).toMatch(/ {2}ann {2}since .*: role baseline, .*\n {4}.*finance.*FIN/);
    expect(during.stderr).toBe("");
    const future = await cliAt(tree, "2026-03-01T12:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--at",
      "2026-04-01",
    ]);
    expect(future.stderr).toContain(
      "2026-04-01T23:59:59.999Z is in the future: the answer is who holds the group now",
    );
    const after = await ask("2026-03-03T00:00:00Z");
    expect(after.out).toContain(
      ", grant ended 2026-03-02T00:00:00Z (still held: no apply ran between its end and then)",
    );
    // The grant is extended: a later run keeps bob, and records the end the files give now.
    const teams = path.join(tree.dir, "groups/teams.yaml");
    await writeFile(
      teams,
      (await readFile(teams, "utf8")).replace("2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z"),
    );
    expect((await cliAt(tree, "2026-03-05T00:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const extended = await cliAt(tree, "2026-03-20T00:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--at",
      "2026-03-10",
    ]);
    expect(extended.out).toMatch(
      / {2}bob {2}since .*, until 2026-04-01T00:00:00Z \(its end until 2026-03-02T00:00:00Z changed by an edit the run at 2026-03-05T00:00:00\.000Z, journal #\d+, recorded\)\n/,
    );
    expect(extended.out).not.toContain("grant ended");
    expect(extended.out).not.toContain("kept by a later run");
    // Who approved the extension: the run that recorded it looked up no approvals.
    expect(extended.out).toContain(
      "    its end changed with a run that recorded no approvals (it ran without apply --record-approvals, or by a gatehouse older than that option)\n",
    );
  });

  it("says, over a window, how long after its end a grant's removal came, not that no apply ran", async () => {
    const tree = await appliedTree({
      "groups/teams.yaml":
        "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n      - ann\n      - { user: bob, until: 2026-03-02T00:00:00Z, reason: AUD-7 pentest }\n",
    });
    // The scheduled reconcile did not run for a day and a half after the grant ended.
    expect((await cliAt(tree, "2026-03-03T12:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const window = await cliAt(tree, "2026-03-05T00:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--since",
      "2026-03-01",
      "--until",
      "2026-03-04",
    ]);
    expect(window.code).toBe(0);
    expect(window.out).toMatch(
      / {2}bob {2}since 2026-03-01T09:00:00\.000Z to 2026-03-03T12:00:00\.000Z .*, grant ended 2026-03-02T00:00:00Z, removed 1\.5 days after its end\n/,
    );
    expect(window.out).not.toContain("no apply ran");
    // At an instant between its end and the removal, it was still held.
    const at = await cliAt(tree, "2026-03-05T00:00:00Z", [
      "journal",
      "access",
      "ledger",
      "--at",
      "2026-03-02T06:00:00Z",
    ]);
    expect(at.out).toContain(
      ", grant ended 2026-03-02T00:00:00Z (still held: no apply ran between its end and then)",
    );
  });

  it("names a grant made lasting as lasting, and a shortened one by its new end, once a run recorded the edit", async () => {
    const tree = await appliedTree({
      "groups/teams.yaml":
        "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n" +
        "      - { user: ann, until: 2026-03-10T00:00:00Z, reason: AUD-8 }\n" +
        "      - { user: bob, until: 2026-03-10T00:00:00Z, reason: AUD-9 }\n",
    });
    // ann keeps the ledger for good, bob's grant is cut to the 5th: nothing to apply, a run records both.
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n" +
        "      - ann\n      - { user: bob, until: 2026-03-05T00:00:00Z, reason: AUD-9 }\n",
    );
    expect((await cliAt(tree, "2026-03-02T00:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const ledger = (...argv: string[]) =>
      cliAt(tree, "2026-03-04T00:00:00Z", ["journal", "access", "ledger", ...argv]);
    const membersOf = (stdout: string) =>
      (JSON.parse(stdout) as { groups: { members: Record<string, unknown>[] }[] }).groups[0]?.members;
    const ask = (at: string) => ledger("--at", at);
    // Before that run, the journal knew only the ends the grants were added with.
    const before = await ask("2026-03-01T12:00:00Z");
    expect(before.out).toMatch(/ {2}ann {2}since .*, until 2026-03-10T00:00:00Z\n/);
    expect(before.out).toMatch(/ {2}bob {2}since .*, until 2026-03-10T00:00:00Z\n/);
    // After it, no end for ann (she was not held until the 10th only), and the 5th for bob.
    const after = await ask("2026-03-03T00:00:00Z");
    expect(after.out).toMatch(
      / {2}ann {2}since .*: added in config, [^\n]* \(a grant until 2026-03-10T00:00:00Z made lasting by an edit the run at 2026-03-02T00:00:00\.000Z, journal #\d+, recorded\)\n/,
    );
    expect(after.out).not.toMatch(/ {2}ann {2}[^\n]*, until 2026-03-10/);
    expect(after.out).toMatch(
      / {2}bob {2}since .*, until 2026-03-05T00:00:00Z \(its end until 2026-03-10T00:00:00Z changed by an edit the run at 2026-03-02T00:00:00\.000Z, journal #\d+, recorded\)\n/,
    );
    const members = membersOf((await ledger("--at", "2026-03-03T00:00:00Z", "--format", "json")).stdout);
    expect(members?.find((m) => m["member"] === "ann")).not.toHaveProperty("until");
    expect(members?.find((m) => m["member"] === "bob")).toMatchObject({
      until: "2026-03-05T00:00:00Z",
      endChanged: { at: "2026-03-02T00:00:00.000Z", from: "2026-03-10T00:00:00Z" },
    });

    // bob's line is taken out on the 3rd, before his grant's end: his stretch ends inside the window.
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      "groups:\n  - name: ledger\n    owners: [ann]\n    members:\n      - ann\n",
    );
    expect(
      (await cliAt(tree, "2026-03-03T12:00:00Z", ["apply", "--yes", "--allow-removals", "1"])).code,
    ).toBe(0);
    // A window holding the edit: each stretch says the end as recorded last inside it, as --at does, also
    // one that ended there.
    const window = await ledger("--since", "2026-03-01", "--until", "2026-03-03", "--format", "json");
    const stretches = membersOf(window.stdout);
    expect(stretches?.find((m) => m["member"] === "ann")).not.toHaveProperty("until");
    expect(stretches?.find((m) => m["member"] === "bob")).toMatchObject({
      until: "2026-03-05T00:00:00Z",
      endChanged: { at: "2026-03-02T00:00:00.000Z", from: "2026-03-10T00:00:00Z" },
      to: "2026-03-03T12:00:00.000Z",
    });
    const text = await ledger("--since", "2026-03-01", "--until", "2026-03-03");
    expect(text.out).toMatch(
      / {2}bob {2}since .*, until 2026-03-05T00:00:00Z \(its end until 2026-03-10T00:00:00Z changed by an edit the run at 2026-03-02T00:00:00\.000Z, journal #\d+, recorded\)\n/,
    );
  });
});

describe("journal access after a hand removal that gatehouse put back", () => {
  it("marks the member uncertain inside the gap, and the re-add as one after it", async () => {
    const tree = await appliedTree();
    const directory = path.join(tree.cwd, ".gatehouse/app.json");
    const data = JSON.parse(await readFile(directory, "utf8")) as {
      groups: { name: string; members: string[] }[];
    };
    for (const g of data.groups) g.members = g.members.filter((m) => m !== "bob");
    await writeFile(directory, JSON.stringify(data));
    const back = await cliAt(tree, "2026-03-10T09:00:00Z", ["apply", "--yes"]);
    expect(back.out).toMatch(/add bob to ops .*drift/);
    const ask = (at: string) => cliAt(tree, "2026-03-20T00:00:00Z", ["journal", "access", "ops", "--at", at]);
    const gap = await ask("2026-03-05");
    expect(gap.out).toMatch(
      / {2}bob {2}since 2026-03-01T09:00:00.000Z .*\n(?: {4}.*\n)* {4}uncertain: a later run found it missing and added it back as drift at 2026-03-10T09:00:00.000Z/,
    );
    expect(gap.out).not.toMatch(/ {2}ann .*\n {4}uncertain/);
    const after = await ask("2026-03-11");
    expect(after.out).toMatch(
      / {2}bob {2}since 2026-03-10T09:00:00.000Z .*: drift.*\n(?: {4}.*\n)* {4}a re-add \(drift\): held before since 2026-03-01T09:00:00.000Z/,
    );
    expect(after.out).not.toContain("uncertain");
  });
});

describe("journal changes", () => {
  it("lists what changed in a window, for one person or group, with the run that made it", async () => {
    const tree = await appliedTree({
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
    });
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob, status: terminated }\n  - { id: cy, name: Cy }\n",
    );
    const left = await cliAt(tree, "2026-03-10T09:00:00Z", ["apply", "--yes", "--allow-removals", "5"]);
    expect(left.out).toContain("Apply complete");
    const changes = (...argv: string[]) =>
      cliAt(tree, "2026-04-01T00:00:00Z", ["journal", "changes", ...argv]);

    const march10 = await changes("--since", "2026-03-10", "--until", "2026-03-10");
    expect(march10.code).toBe(0);
    expect(march10.stdout).toMatch(
      /^2026-03-10T09:00:\S+ {2}app {2}- disable user bob {2}\(user terminated, access\/users\/people.yaml:3:5; journal #\d+, run #\d+, by .*\)$/m,
    );
    expect(march10.stdout).toMatch(/- remove bob from ops/);
    expect(march10.stdout).not.toMatch(/create user/);
    expect(march10.stdout).toMatch(
      /^2 change\(s\) and 1 offboarding check\(s\) from 2026-03-10T00:00:00.000Z to 2026-03-10T23:59:59.999Z, of \d+ journal entries/m,
    );

    // Everything that happened to bob, from joining to leaving.
    const bob = await changes("--user", "bob", "--format", "json");
    const json = JSON.parse(bob.stdout) as { intact: boolean; changes: { change: { action: string } }[] };
    expect(json.intact).toBe(true);
    expect(json.changes.map((c) => c.change.action)).toEqual(["create", "add", "disable", "remove"]);
    const ops = JSON.parse((await changes("--group", "ops", "--format", "json")).stdout) as typeof json;
    expect(ops.changes.map((c) => c.change.action)).toEqual(["create", "add", "add", "remove"]);
    expect((await changes("--since", "2026-03-10", "--until", "2026-03-01")).code).toBe(64);
    expect((await changes("--since", "yesterday")).code).toBe(64);

    // Not intact: said, and exit 1.
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    await writeFile(journal, [...lines.slice(0, 2), ...lines.slice(3)].join("\n") + "\n");
    const tampered = await changes();
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain("journal is NOT intact");
  });
});

describe("journal access on a journal that is not what was written", () => {
  it("says the chain is broken and exits 1, and refuses a day that does not exist", async () => {
    const tree = await appliedTree();
    const ask = (...more: string[]) =>
      cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--at", "2026-03-15", ...more]);
    const clean = await ask("--format", "json");
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ intact: true, problems: [] });

    // Someone swaps a member's name in a confirmed change: the answer must not pass for evidence.
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const text = await readFile(journal, "utf8");
    expect(text).toContain('"member":"bob"');
    await writeFile(journal, text.replace('"member":"bob"', '"member":"eve"'));
    const edited = await ask();
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(/was edited: its content does not match its hash/);
    expect(edited.stderr).toContain("journal is NOT intact");
    const json = await ask("--format", "json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ intact: false });

    for (const impossible of ["2026-02-30", "2026-04-31T12:00:00Z"]) {
      const at = await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--at", impossible]);
      expect(at.code).toBe(64);
    }
    // A question asked wrong gets one line saying how to ask it, not the whole journal usage.
    for (const wrong of [
      ["ops"],
      ["ops", "--at", "2026-03-01", "--since", "2026-01-01"],
      ["ops", "dev", "--at", "2026-03-01"],
    ]) {
      const asked = await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", ...wrong]);
      expect(asked.code).toBe(64);
      expect(asked.stderr).toMatch(
        /^error: journal access .*\(e\.g\. gatehouse journal access GROUP --at 2026-03-01; journal --help shows every option\)\n$/,
      );
    }
  });
});

describe("journal access for a name the journal never had", () => {
  it("says a misspelt group or provider is unknown and exits 1, instead of answering that nobody held it", async () => {
    const tree = await appliedTree({
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml": team("ops", "ann"),
    });
    const ask = (...argv: string[]) => cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", ...argv]);
    const typo = await ask("opps", "--at", "2026-03-15");
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("no change to a group named opps was ever recorded here");
    const provider = await ask("ops", "--at", "2026-03-15", "--provider", "apps", "--format", "json");
    expect(provider.code).toBe(1);
    expect(provider.stderr).toContain(
      "no change for a provider named apps was ever recorded here (the journal has: app)",
    );
    // A group that exists, asked about before gatehouse touched it, is an answer: exit 0.
    const before = await ask("ops", "--at", "2026-02-01");
    expect(before.code).toBe(0);
    expect(before.stderr).toBe("");
    expect((await ask("ops", "--at", "2026-03-15", "--provider", "app")).code).toBe(0);
  });

  it("journal changes says a misspelt group, person or provider is unknown and exits 1, instead of 0 changes", async () => {
    const tree = await appliedTree({
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml": team("ops", "ann"),
    });
    const ask = (...argv: string[]) => cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "changes", ...argv]);
    const group = await ask("--group", "opps");
    expect(group.code).toBe(1);
    expect(group.stderr).toContain(
      "no change, check or delivery of a group named opps was ever recorded here, on any date: check the name (names are matched exactly)",
    );
    expect(group.stdout).toContain("0 change(s)");
    const user = await ask("--user", "anne", "--format", "json");
    expect(user.code).toBe(1);
    expect(user.stderr).toContain("of a person or account named anne was ever recorded here");
    expect(JSON.parse(user.stdout)).toMatchObject({ changes: [] });
    const provider = await ask("--provider", "apps");
    expect(provider.code).toBe(1);
    expect(provider.stderr).toContain("of a provider named apps was ever recorded here");
    // Names the journal has, asked about a window without changes, are an answer: exit 0.
    for (const argv of [
      ["--group", "ops", "--since", "2026-04-01"],
      ["--user", "ann", "--since", "2026-04-01"],
      ["--provider", "app", "--since", "2026-04-01"],
    ]) {
      const known = await ask(...argv);
      expect(known.stderr).toBe("");
      expect(known.code).toBe(0);
      expect(known.stdout).toContain("0 change(s)");
    }
  });
});

describe("explain", () => {
  it("says an expired grant is no longer due, not that no system holds it (explain reads none)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": LOCAL,
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml":
        "groups:\n  - name: ops\n    owners: [ann]\n    members: [{ user: ann, until: 2026-03-01T00:00:00Z }]\n",
    });
    trees.push(tree);
    const explained = await runCliIn(tree.cwd, ["explain", "ann"]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(
      "expired grant (until 2026-03-01T00:00:00Z) at access/groups/teams.yaml:4:15: no longer due (the files no longer give it); the next apply removes it where a system still holds it",
    );
  });

  it("names the members a run that died announced and never confirmed: the system may hold them", async () => {
    const tree = await appliedTree();
    // Killed after the membership writes were announced (and made), before their outcomes were written;
    // a run killed there never recorded (in .gatehouse/cache) that it read the entries cut off here.
    await killAfterIntent(tree, "ops");
    const out = await cliAt(tree, "2026-06-01T00:00:00Z", ["journal", "access", "ops", "--at", "2026-03-15"]);
    expect(out.code).toBe(0);
    expect(out.out).toContain("ops in app at 2026-03-15T23:59:59.999Z: 0 member(s) gatehouse applied");
    expect(out.out).toContain(
      "and 2 member(s) a run that was interrupted announced and never confirmed: app may hold them (if a later run found them there, it added nothing, so no entry confirms them)\n",
    );
    expect(out.out).toMatch(
      / {2}\? ann {2}announced 2026-03-01T09:00:00.000Z \(run #1, by .*\), unconfirmed/,
    );
    // Before the run, nothing.
    const before = await cliAt(tree, "2026-06-01T00:00:00Z", [
      "journal",
      "access",
      "ops",
      "--at",
      "2026-02-01",
    ]);
    expect(before.out).not.toContain("unconfirmed");
  });
});
