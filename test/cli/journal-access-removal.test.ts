/**
 * `journal access --since/--until` names the commit that took a removed member's line out of the files:
 * an access review's close, found in a real git repository between the run that added the member and the
 * run that removed it.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const PEOPLE =
  "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n  - { id: dee, name: Dee }\n";
const OPS = "groups:\n  - name: ops\n    owners: [ann]\n    members:\n      - ann\n      - bob\n      - cy\n";

interface Site {
  readonly tree: AccessTree;
  readonly git: SimpleGit;
  cli(when: string, argv: string[]): ReturnType<typeof runCliIn>;
  commit(message: string): Promise<string>;
}

async function site(): Promise<Site> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
    "users/people.yaml": PEOPLE,
    "groups/ops.yaml": OPS,
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, ".gitignore"), ".gatehouse/\n");
  const git = simpleGit({ baseDir: tree.cwd });
  await git.init(["--initial-branch=main"]);
  await git.addConfig("user.email", "reviews@example.com");
  await git.addConfig("user.name", "Review Bot");
  await git.addConfig("commit.gpgsign", "false");
  return {
    tree,
    git,
    cli: (when, argv) => runCliIn(tree.cwd, argv, new Date(when)),
    async commit(message) {
      await git.add(".");
      await git.commit(message);
      return (await git.revparse(["HEAD"])).trim();
    },
  };
}

const opsFile = (s: Site): string => path.join(s.tree.dir, "groups/ops.yaml");

/** `journal access ops` over March, asked in June. */
const march = (s: Site, ...extra: string[]) =>
  s.cli("2026-06-01T00:00:00Z", [
    "journal",
    "access",
    "ops",
    "--since",
    "2026-03-01",
    "--until",
    "2026-03-31",
    ...extra,
  ]);

async function applied(s: Site, when: string): Promise<void> {
  const run = await s.cli(when, ["apply", "--yes", "--allow-removals", "5"]);
  expect(run.code, run.out).toBe(0);
}

describe("journal access names the commit that took a removed member's line out of the files", () => {
  it("finds an access review's close among later commits, in text and JSON", async () => {
    const s = await site();
    await s.commit("ops with ann, bob and cy");
    await applied(s, "2026-03-01T09:00:00Z");

    // A review opens; the owner certifies ann and bob only; the review closes past due and revokes cy.
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    await s.commit("Open access reviews");
    const opened = await readFile(opsFile(s), "utf8");
    expect(opened).toContain("pending:");
    await writeFile(opsFile(s), opened.replace(/( *)- ann\n\1- bob\n(\1- cy\n)/, "$2"));
    await s.commit("ann and bob re-certified");
    const closed = await s.cli("2026-03-10T09:00:00Z", ["review", "close", "--allow-removals", "1"]);
    expect(closed.code, closed.out).toBe(0);
    expect(closed.out).toMatch(/cy/);
    const revoked = await s.commit("Revoke what access reviews did not re-certify (gatehouse review close)");
    // A later, unrelated commit to the same file: the removal is still the review's.
    await writeFile(
      opsFile(s),
      (await readFile(opsFile(s), "utf8")).replace("owners: [ann]", "owners: [ann, bob]"),
    );
    await s.commit("bob co-owns ops");
    await applied(s, "2026-03-10T10:00:00Z");

    const day = await march(s);
    expect(day.code, day.out).toBe(0);
    expect(day.stdout).toMatch(
      new RegExp(
        ` {2}cy {2}since 2026-03-01T09:00:00.\\d+Z to 2026-03-10T10:00:00.\\d+Z .*\\n(?: {4}.*\\n)* {4}ended by its removal, journal #\\d+ \\(that run overrode the guard rails: --allow-removals \\d+, accepting 1 refusal\\(s\\)\\): removed from config[^\\n]*; the line left the files with commit ${revoked.slice(0, 12)} "Revoke what access reviews did not re-certify \\(gatehouse review close\\)" \\(Review Bot, [^\\n]*\\): not re-certified in the access review due 2026-03-09, revoked when it closed\\n`,
      ),
    );
    // ann and bob were never removed: nothing of the kind on their lines.
    expect(day.stdout.match(/the line left the files/g)).toHaveLength(1);

    const json = await march(s, "--format", "json");
    const members = (
      JSON.parse(json.stdout) as {
        groups: { members: { member: string; lineRemoval?: { commit: string; subject: string } }[] }[];
      }
    ).groups.flatMap((g) => g.members);
    expect(members.find((m) => m.member === "cy")?.lineRemoval).toMatchObject({
      commit: revoked,
      subject: "Revoke what access reviews did not re-certify (gatehouse review close)",
      review: { due: "2026-03-09", by: "closed" },
    });
    expect(members.find((m) => m.member === "ann")?.lineRemoval).toBeUndefined();

    // `journal changes` says it of the removal too, as of every change of that run.
    const changes = await s.cli("2026-06-01T00:00:00Z", ["journal", "changes", "--group", "ops"]);
    expect(changes.code, changes.out).toBe(0);
    expect(changes.stdout).toMatch(
      /- remove cy from ops .*, a run that overrode the guard rails: --allow-removals 5, accepting 1 refusal\(s\)\)/,
    );
    expect(changes.stdout).not.toMatch(/add (ann|bob|cy) to ops .*overrode/);
    const asJson = await s.cli("2026-06-01T00:00:00Z", [
      "journal",
      "changes",
      "--group",
      "ops",
      "--format",
      "json",
    ]);
    const recorded = (
      JSON.parse(asJson.stdout) as { changes: { change: { member?: string }; overrides?: unknown }[] }
    ).changes;
    expect(
      recorded.find((c) => c.change.member === "cy" && c.overrides !== undefined)?.overrides,
    ).toMatchObject({
      allowRemovals: 5,
      accepted: [expect.any(String)],
    });
  });

  it("tells a line the owners revoked in an open review from one an ordinary edit removed", async () => {
    const s = await site();
    await writeFile(opsFile(s), OPS.replace("      - cy\n", "      - cy\n      - dee\n"));
    await s.commit("ops with ann, bob, cy and dee");
    await applied(s, "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-20"])).code).toBe(0);
    await s.commit("Open access reviews");
    // The owner revokes cy while reviewing (line and pending name out, the review stays open); dee is
    // re-certified, and dee's line goes later in a commit of its own: not a review's revocation.
    const opened = await readFile(opsFile(s), "utf8");
    const block = "    review:\n      due: 2026-03-20\n      pending:\n";
    expect(opened).toContain(`${block}        - ann\n        - bob\n        - cy\n        - dee\n`);
    const listed = (...names: string[]) => names.map((n) => `      - ${n}\n`).join("");
    const ops = (review: string, ...members: string[]) =>
      `groups:\n  - name: ops\n    owners: [ann]\n${review}    members:\n${listed(...members)}`;
    await writeFile(
      opsFile(s),
      ops(`${block}        - ann\n        - bob\n        - dee\n`, "ann", "bob", "dee"),
    );
    const byOwner = await s.commit("cy no longer needs ops");
    await writeFile(opsFile(s), ops(`${block}        - ann\n        - bob\n`, "ann", "bob", "dee"));
    await s.commit("dee re-certified");
    await writeFile(opsFile(s), ops(`${block}        - ann\n        - bob\n`, "ann", "bob"));
    const edit = await s.commit("dee moves team");
    await applied(s, "2026-03-10T10:00:00Z");

    const json = await march(s, "--format", "json");
    expect(json.code, json.stdout).toBe(0);
    const members = (
      JSON.parse(json.stdout) as {
        groups: { members: { member: string; lineRemoval?: { commit: string; review?: unknown } }[] }[];
      }
    ).groups.flatMap((g) => g.members);
    expect(members.find((m) => m.member === "cy")?.lineRemoval).toMatchObject({
      commit: byOwner,
      review: { due: "2026-03-20", by: "revoked" },
    });
    const dee = members.find((m) => m.member === "dee")?.lineRemoval;
    expect(dee?.commit).toBe(edit);
    expect(dee?.review).toBeUndefined();
    const text = await march(s);
    expect(text.stdout).toMatch(
      /"cy no longer needs ops" \(Review Bot, [^\n]*\): revoked by the group's owners in the access review due 2026-03-20, pending re-certification then\n/,
    );
    expect(text.stdout).toMatch(/"dee moves team" \(Review Bot, [^\n)]*\)\n/);
  });

  it("names no commit when the line left in edits that were never committed", async () => {
    const s = await site();
    await s.commit("ops with ann, bob and cy");
    await applied(s, "2026-03-01T09:00:00Z");
    await writeFile(path.join(s.tree.dir, "users/people.yaml"), `${PEOPLE}  - { id: eve, name: Eve }\n`);
    await s.commit("eve joins");
    // cy's line is taken out in the working tree only: the run applies "<commit>+dirty".
    await writeFile(opsFile(s), OPS.replace("      - cy\n", ""));
    await applied(s, "2026-03-02T09:00:00Z");

    const day = await march(s);
    expect(day.code, day.out).toBe(0);
    expect(day.stdout).toMatch(
      / {2}cy {2}since .*\n(?: {4}.*\n)* {4}ended by its removal, journal #\d+ \(that run overrode the guard rails: --allow-removals \d+, accepting 1 refusal\(s\)\): removed from config/,
    );
    expect(day.stdout).not.toContain("the line left the files");
  });
});
