/**
 * After an apply, each leaver's account the run changed is read back (local provider): one
 * `offboard-verified` journal entry per person per system, a line in the summary, and access left is
 * an error (exit 1) that the check reports but never removes.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { ExitCode } from "../../src/errors.ts";
import { writeAccessTree, type AccessTree, journalEntries } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = `providers:
  app:
    type: local
    path: .gatehouse/app.json
    mode: additive
policy:
  guardrails: { maxRemovals: 10 }
`;
const PEOPLE = "users:\n  - { id: ann, name: Ann }\n  - { id: xavier, name: Xavier }\n";
const LEFT =
  "users:\n  - { id: ann, name: Ann }\n  - { id: xavier, name: Xavier, status: terminated, endDate: 2026-05-29 }\n";
const GROUPS = "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, xavier]\n";

interface StoredDirectory {
  users: { account: string; sessions: { id: string; createdAt: string }[]; tokens: unknown[] }[];
  groups: { name: string; members: string[]; groupMembers: string[] }[];
}

async function newTree(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  return tree;
}

const directoryFile = (tree: AccessTree): string => path.join(tree.cwd, ".gatehouse/app.json");

async function editDirectory(tree: AccessTree, edit: (d: StoredDirectory) => void): Promise<void> {
  const d = JSON.parse(await readFile(directoryFile(tree), "utf8")) as StoredDirectory;
  edit(d);
  await writeFile(directoryFile(tree), JSON.stringify(d));
}

const verifiedLines = async (tree: AccessTree): Promise<Record<string, unknown>[]> =>
  (await journalEntries(tree)).filter((e) => e["type"] === "offboard-verified");

async function terminateXavier(tree: AccessTree): Promise<void> {
  await writeFile(path.join(tree.dir, "users/people.yaml"), LEFT);
}

/** Runs apply at a prompt: `meanwhile` runs while the plan is shown, before the answer "yes". */
async function applyAtPrompt(
  tree: AccessTree,
  meanwhile: () => Promise<void>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
  const code = await main(["apply", "--offboard-recheck", "0.05"], {
    ...io,
    isInteractive: true,
    prompt: async () => {
      await meanwhile();
      return "yes";
    },
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("offboarding verified after apply (local)", () => {
  it("journals a clean check with the HR event, the trigger time and the sessions revoked", async () => {
    const tree = await newTree();
    const credential = { id: "s1", createdAt: "2026-05-01T00:00:00Z" };
    await editDirectory(tree, (d) => {
      const x = d.users.find((u) => u.account === "xavier");
      if (!x) throw new Error("no xavier");
      x.sessions = [credential, { ...credential, id: "s2" }];
      x.tokens = [{ ...credential, id: "t1" }];
    });
    await terminateXavier(tree);
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.stderr).not.toContain("error");
    expect(applied.stdout).toContain(
      "Offboarding verified: 1 leaver account(s) read back, 1 with no access left.",
    );
    expect(applied.stdout).toContain(
      "  clean app: xavier: account disabled, in no group, sessions: revoked 2 session(s) and 1 token(s)",
    );
    // The read-back's calls are counted apart from the writes' (one read of the directory file).
    expect(applied.stdout).toContain("  read back with: app 1 read(s) 0 write(s).");
    expect(applied.code).toBe(0);

    const entries = await journalEntries(tree);
    const start = entries.findLast((e) => e["type"] === "apply-start");
    expect(entries.at(-1)).toMatchObject({
      type: "apply-end",
      calls: { app: { reads: 1 } },
      offboardingCalls: { app: { reads: 1, writes: 0 } },
    });
    const [line] = await verifiedLines(tree);
    expect(line).toMatchObject({
      type: "offboard-verified",
      runSeq: start?.["seq"],
      triggeredAt: start?.["at"],
      provider: "app",
      account: "xavier",
      userId: "xavier",
      leaving: "status: terminated, endDate 2026-05-29",
      clean: true,
      accountState: "disabled",
      groups: [],
      sessions: { outcome: "revoked", sessions: 2, tokens: 1 },
    });
    expect(line).not.toHaveProperty("lateBy");
    // Inside the run: after its changes, right before its apply-end.
    expect(entries.at(-1)?.["type"]).toBe("apply-end");
    expect(entries.at(-2)).toEqual(line);

    const verify = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(verify.code).toBe(0);
    const changes = await runCliIn(tree.cwd, ["journal", "changes", "--format", "json"]);
    expect(changes.code).toBe(0);
    const answer = JSON.parse(changes.stdout) as { offboarding: Record<string, unknown>[] };
    expect(answer.offboarding).toEqual([
      expect.objectContaining({ account: "xavier", clean: true, seq: line?.["seq"] }) as unknown,
    ]);
    expect(answer.offboarding[0]).not.toHaveProperty("hash");
    // In the text, in journal order, for the person (by id or account) and their system only.
    const text = await runCliIn(tree.cwd, ["journal", "changes", "--user", "xavier"]);
    const lines = text.stdout.split("\n");
    expect(lines.at(-3)).toMatch(
      /^\S+ {2}offboarding check: clean app: xavier: account disabled, in no group, sessions: revoked 2 session\(s\) and 1 token\(s\); leaver: status: terminated, endDate 2026-05-29 {2}\(journal #\d+, run #\d+/,
    );
    expect(lines.at(-2)).toMatch(/ change\(s\) and 1 offboarding check\(s\) from the start to the end/);
    const other = await runCliIn(tree.cwd, ["journal", "changes", "--user", "ann", "--format", "json"]);
    expect((JSON.parse(other.stdout) as { offboarding: unknown[] }).offboarding).toEqual([]);
    const access = await runCliIn(tree.cwd, ["journal", "access", "ops", "--at", "2026-06-01T12:00:00Z"]);
    expect(access.code).toBe(0);
    expect(access.stdout).not.toContain("xavier");
  });

  it("says when no session was open, and when a leaver is late", async () => {
    const tree = await newTree();
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      "users:\n  - { id: ann, name: Ann }\n  - { id: xavier, name: Xavier, endDate: 2026-03-01 }\n",
    );
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("clean app: xavier: account disabled, in no group, sessions: none open");
    const [line] = await verifiedLines(tree);
    expect(line).toMatchObject({
      clean: true,
      leaving: "endDate 2026-03-01 has passed",
      lateBy: expect.stringMatching(/days ago$/) as unknown,
      sessions: { outcome: "none" },
    });
  });

  it("reports a membership added while the plan was shown as access left, exits 1, and removes nothing", async () => {
    const tree = await newTree();
    await terminateXavier(tree);
    // Someone gives xavier a group by hand after the plan was made: the run does not know of it.
    const applied = await applyAtPrompt(tree, () =>
      editDirectory(tree, (d) => {
        d.groups.push({ name: "side", members: ["xavier"], groupMembers: [] });
      }),
    );
    expect(applied.stdout).toContain("Apply complete: 2 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(
      "Offboarding verified: 1 leaver account(s) read back, 0 with no access left, 1 NOT clean.",
    );
    expect(applied.stdout).toContain(
      "  ACCESS LEFT app: xavier: account disabled, still in side, sessions: none open, as read again 0.05 s after a first read found access left\n",
    );
    expect(applied.stderr).toContain(
      "error: offboarding is not complete for app: xavier: account disabled, still in side",
    );
    expect(applied.code).toBe(1);
    const [line] = await verifiedLines(tree);
    expect(line).toMatchObject({
      clean: false,
      accountState: "disabled",
      groups: ["side"],
      recheckedAfterMs: 50,
    });
    // The check only read: xavier is still in side, and the next plan takes him out.
    const stored = JSON.parse(await readFile(directoryFile(tree), "utf8")) as StoredDirectory;
    expect(stored.groups.find((g) => g.name === "side")?.members).toEqual(["xavier"]);
    const next = await runCliIn(tree.cwd, ["plan"]);
    expect(next.stdout).toMatch(/- remove xavier from side .*user terminated/);
    expect((await runCliIn(tree.cwd, ["journal", "verify"])).code).toBe(0);
  });

  it("reports a removal that failed (the group renamed by hand meanwhile) as access left", async () => {
    const tree = await newTree();
    await terminateXavier(tree);
    const applied = await applyAtPrompt(tree, () =>
      editDirectory(tree, (d) => {
        const ops = d.groups.find((g) => g.name === "ops");
        if (ops) ops.name = "ops-renamed";
      }),
    );
    expect(applied.stdout).toContain("1 failed");
    expect(applied.stdout).toContain("ACCESS LEFT app: xavier: account disabled, still in ops-renamed");
    expect(applied.code).toBe(1);
    const entries = await journalEntries(tree);
    expect(entries.filter((e) => e["type"] === "change" && e["outcome"] === "failed")).toHaveLength(1);
    const [line] = await verifiedLines(tree);
    expect(line).toMatchObject({ clean: false, groups: ["ops-renamed"] });
  });

  it("refuses a --offboard-recheck that is not a number of seconds, before reading anything", async () => {
    const tree = await newTree();
    for (const value of ["soon", "1e3", "601"]) {
      const refused = await runCliIn(tree.cwd, ["apply", "--yes", "--offboard-recheck", value]);
      expect(refused.code).toBe(ExitCode.usage);
      expect(refused.stderr).toContain(
        `--offboard-recheck takes a number of seconds from 0 to 600 (got "${value}")`,
      );
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("writes no check for a run without leavers", async () => {
    const tree = await newTree();
    await writeFile(path.join(tree.dir, "users/people.yaml"), PEOPLE + "  - { id: yan, name: Yan }\n");
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).not.toContain("Offboarding verified");
    expect(await verifiedLines(tree)).toEqual([]);
  });
  it("does not call a leaver's account gone when the run failed to disable it and it was renamed meanwhile", async () => {
    const tree = await newTree();
    await terminateXavier(tree);
    // While the plan is shown, someone renames xavier's account (groups follow): the disable then fails.
    const applied = await applyAtPrompt(tree, async () => {
      const text = await readFile(directoryFile(tree), "utf8");
      await writeFile(directoryFile(tree), text.replaceAll('"xavier"', '"xavier2"'));
    });
    expect(applied.stdout).toContain(
      'failed app: disable user xavier — app: disable user: user "xavier" does not exist',
    );
    expect(applied.code).toBe(1);
    expect(applied.stdout).not.toContain("clean app: xavier");
    expect(applied.stdout).toContain(
      "ACCESS LEFT app: xavier: not verified: the run's disable of xavier did not apply",
    );
    expect(await verifiedLines(tree)).toEqual([
      expect.objectContaining({ account: "xavier", clean: false, accountState: "absent" }),
    ]);
    // The check removed nothing: the renamed account is still enabled.
    const stored = JSON.parse(await readFile(directoryFile(tree), "utf8")) as {
      users: { account: string; enabled: boolean }[];
    };
    expect(stored.users.find((u) => u.account === "xavier2")?.enabled).toBe(true);
  });
});

describe("open offboarding verdicts (local)", () => {
  /** xavier left; a group given to him by hand while the plan was shown kept him in it: an open verdict. */
  async function leftInSide(tree: AccessTree): Promise<Record<string, unknown>> {
    await terminateXavier(tree);
    const applied = await applyAtPrompt(tree, () =>
      editDirectory(tree, (d) => {
        d.groups.push({ name: "side", members: ["xavier"], groupMembers: [] });
      }),
    );
    expect(applied.code).toBe(1);
    const [line] = await verifiedLines(tree);
    if (line === undefined) throw new Error("no check");
    return line;
  }

  it("are noted by every plan until an apply with nothing to change checks them again on its plan's read and finds nothing left", async () => {
    const tree = await newTree();
    const first = await leftInSide(tree);
    // Someone takes him out by hand: no plan has anything to change any more.
    await editDirectory(tree, (d) => {
      d.groups = d.groups.filter((g) => g.name !== "side");
    });
    const planned = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      `note: offboarding of xavier (app) left access at ${String(first["at"]).slice(0, 16)}Z (journal #${String(first["seq"])}): still in side; the next apply checks again`,
    );
    expect(planned.stdout).not.toContain("Live systems match the access files");
    expect(planned.stdout).toContain(
      "No changes to apply, but offboarding checks found leavers' access left",
    );
    expect(planned.code).toBe(ExitCode.changes);
    const markdown = await runCliIn(tree.cwd, ["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain("**Offboarding not complete:**\n\n- offboarding of xavier (app)");
    const json = JSON.parse((await runCliIn(tree.cwd, ["plan", "--format", "json"])).stdout) as {
      notes: { kind: string }[];
    };
    expect(json.notes.map((n) => n.kind)).toEqual(["access-left"]);

    const before = await readFile(directoryFile(tree), "utf8");
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.stdout).toContain(
      `  clean app: xavier: account disabled, in no group, sessions: none open, re-checking journal #${String(first["seq"])}, which found access left\n`,
    );
    expect(applied.code).toBe(0);
    // It only read: the directory is as it was.
    expect(await readFile(directoryFile(tree), "utf8")).toBe(before);
    const entries = await journalEntries(tree);
    const start = entries.findLast((e) => e["type"] === "apply-start");
    expect(start).toMatchObject({ changes: 0 });
    expect(entries.at(-2)).toMatchObject({
      type: "offboard-verified",
      runSeq: start?.["seq"],
      account: "xavier",
      clean: true,
      recheckOf: first["seq"],
      // The offboarding it closes: measured from its trigger.
      triggeredAt: first["triggeredAt"],
      leaving: first["leaving"],
    });
    const after = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes. Live systems match the access files.");
    expect(after.stdout).not.toContain("offboarding of xavier");
    expect(after.code).toBe(0);
    // Closed: the next apply checks nothing.
    const quiet = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(quiet.stdout).not.toContain("Offboarding verified");
    expect((await verifiedLines(tree)).length).toBe(2);
    expect((await runCliIn(tree.cwd, ["journal", "verify"])).code).toBe(0);
  });

  it("re-checks a verdict the journal took from where a failed append set it aside, naming its seq in the journal", async () => {
    const tree = await newTree();
    await leftInSide(tree);
    // The run's last append failed: its check and end wait beside the journal (as runApply sets them aside).
    const file = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l !== "");
    const tail = lines.slice(-2).map((l) => {
      const entry = JSON.parse(l) as Record<string, unknown>;
      // As set aside: a new entry, without the chain fields the journal gives it.
      return JSON.stringify({ ...entry, seq: undefined, prevHash: undefined, hash: undefined });
    });
    expect(tail.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      "offboard-verified",
      "apply-end",
    ]);
    await writeFile(file, lines.slice(0, -2).join("\n") + "\n");
    await writeFile(`${file}.unrecorded.jsonl`, tail.join("\n") + "\n");
    // This machine's anchor stood before the run's entries too (it moves only once they are in).
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true, force: true });
    await editDirectory(tree, (d) => {
      d.groups = d.groups.filter((g) => g.name !== "side");
    });
    // A plan reads the set-aside check as an open verdict, which has no seq in the journal yet.
    expect((await runCliIn(tree.cwd, ["plan"])).stdout).toContain(
      "note: offboarding of xavier (app) left access at 2026-06-01T12:00Z (set aside beside the journal): still in side",
    );
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.code).toBe(0);
    const entries = await journalEntries(tree);
    const recorded = entries.find((e) => e["type"] === "offboard-verified" && e["clean"] === false);
    expect(recorded?.["seq"]).toBeGreaterThan(0);
    expect(entries.at(-2)).toMatchObject({
      type: "offboard-verified",
      clean: true,
      recheckOf: recorded?.["seq"],
    });
    const verified = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    expect((await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"])).code).toBe(0);
    expect(applied.stdout).not.toContain("journal #0");
  });

  it("are not noted for a person back in the files, and are checked on the read back after an apply that changed the account", async () => {
    const tree = await newTree();
    const first = await leftInSide(tree);
    // He is back in the files: no longer a leaver, so no note (the plan gives him his access back).
    await writeFile(path.join(tree.dir, "users/people.yaml"), PEOPLE);
    const back = await runCliIn(tree.cwd, ["plan"]);
    expect(back.stdout).not.toContain("offboarding of xavier");
    expect(back.stdout).toContain("enable user xavier");
    // A leaver again before any apply: the journal's verdict is still the latest check, and open.
    await terminateXavier(tree);
    expect((await runCliIn(tree.cwd, ["plan"])).stdout).toContain("note: offboarding of xavier (app)");

    // The plan takes him out of side (a group the local directory reads): the run changes his account,
    // so he is read back, and that check is the verdict's re-check.
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.stdout).toMatch(/remove xavier from side/);
    expect(applied.stdout).toContain(`clean app: xavier: account disabled, in no group`);
    expect(applied.code).toBe(0);
    expect(await verifiedLines(tree)).toEqual([
      first,
      expect.objectContaining({
        clean: true,
        recheckOf: first["seq"],
        triggeredAt: first["triggeredAt"],
      }),
    ]);
    expect((await runCliIn(tree.cwd, ["plan"])).stdout).toContain("No changes. Live systems match");
  });
});
