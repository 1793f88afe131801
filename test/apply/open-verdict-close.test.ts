/**
 * Open offboarding verdicts that no apply can settle (local provider, through the CLI): an account found
 * by neither a stable id nor its name stays open instead of being called clean; `journal close-verdict`
 * closes one by hand, on record; and a verdict of a system gatehouse.yaml no longer has is noted.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { ExitCode } from "../../src/errors.ts";
import { acquireFileLock, releaseFileLock } from "../../src/io/file-lock.ts";
import { writeAccessTree, type AccessTree, journalFile, lastEntry } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const config = (name: string): string => `providers:
  ${name}:
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

async function newTree(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": config("app"),
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  return tree;
}

const directoryFile = (tree: AccessTree): string => path.join(tree.cwd, ".gatehouse/app.json");

/** Runs the CLI with an actor the journal records (as in GitHub Actions). */
async function runAs(
  tree: AccessTree,
  argv: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", GITHUB_ACTOR: "sec-oncall" });
  const code = await main(argv, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/**
 * xavier leaves; while the plan is shown, someone renames his account to xavier2 (groups follow): the
 * disable fails, and the check cannot find the account. The local directory gives no stable ids.
 */
async function renamedBeforeDisable(tree: AccessTree): Promise<Record<string, unknown>> {
  await writeFile(path.join(tree.dir, "users/people.yaml"), LEFT);
  const { io } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
  const code = await main(["apply", "--offboard-recheck", "0"], {
    ...io,
    isInteractive: true,
    prompt: async () => {
      const text = await readFile(directoryFile(tree), "utf8");
      await writeFile(directoryFile(tree), text.replaceAll('"xavier"', '"xavier2"'));
      return "yes";
    },
  });
  expect(code).toBe(ExitCode.error);
  const first = await lastEntry(tree, "offboard-verified");
  expect(first).toMatchObject({ account: "xavier", clean: false, error: expect.any(String) as unknown });
  return first;
}

const CLOSE = "`gatehouse journal close-verdict --provider app --account xavier --reason TEXT` closes it";

describe("an open verdict of an account found by neither id nor name", () => {
  it("stays open, apply after apply, instead of being called clean", async () => {
    const tree = await newTree();
    const first = await renamedBeforeDisable(tree);
    // Nothing is named xavier any more, and the directory has no ids: gone, or renamed? It cannot tell.
    const again = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(again.stdout).toContain(
      "  ACCESS LEFT app: xavier: not verified: account not found by id or name: no account is named xavier, and the system gave gatehouse no stable id of it to look for, so it may have been renamed or moved out of the scope gatehouse reads; it could not be checked: check by hand\n",
    );
    expect(again.code).toBe(ExitCode.error);
    const second = await lastEntry(tree, "offboard-verified");
    expect(second).toMatchObject({ account: "xavier", clean: false, recheckOf: first["seq"] });
    expect(second).not.toHaveProperty("accountState");
    const planned = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      `note: offboarding of xavier (app) left access at 2026-06-01T12:00Z (journal #${String(second["seq"])}): not verified: account not found by id or name`,
    );
    expect(planned.stdout).toContain(`; once checked by hand, ${CLOSE}`);
    expect(planned.code).toBe(ExitCode.changes);
    const third = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(third.code).toBe(ExitCode.error);
    expect(await lastEntry(tree, "offboard-verified")).toMatchObject({
      clean: false,
      recheckOf: second["seq"],
    });
  });
});

describe("gatehouse journal close-verdict", () => {
  it("records who closed which verdict, when and why; plans, applies, verify and changes honour it", async () => {
    const tree = await newTree();
    await renamedBeforeDisable(tree);
    const open = await lastEntry(tree, "offboard-verified");
    const before = await readFile(journalFile(tree), "utf8");
    // Bad input changes nothing.
    const noReason = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
    ]);
    expect(noReason.code).toBe(ExitCode.usage);
    expect(noReason.stderr).toContain("journal close-verdict needs --provider, --account and --reason");
    const blank = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
      "--reason",
      "  ",
    ]);
    expect(blank.code).toBe(ExitCode.usage);
    const unknown = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "yan",
      "--reason",
      "x",
    ]);
    expect(unknown.stderr).toBe(
      ".gatehouse/journal.jsonl: no open offboarding verdict of app: yan; open in app: xavier\n",
    );
    expect(unknown.code).toBe(ExitCode.error);
    expect(await readFile(journalFile(tree), "utf8")).toBe(before);

    const reason = "renamed to xavier2 by hand and disabled there, INC-7";
    const closed = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
      "--reason",
      reason,
    ]);
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(ExitCode.ok);
    const closure = await lastEntry(tree, "verdict-closed");
    expect(closure).toEqual({
      type: "verdict-closed",
      at: "2026-06-01T12:00:00.000Z",
      actor: "github:sec-oncall",
      provider: "app",
      account: "xavier",
      userId: "xavier",
      closes: open["seq"],
      reason,
      seq: (open["seq"] as number) + 2,
      prevHash: expect.any(String) as unknown,
      hash: expect.any(String) as unknown,
    });
    expect(closed.stdout).toBe(
      `Closed by hand the open offboarding verdict of app: xavier (journal #${String(open["seq"])}): journal #${String(closure["seq"])}, by github:sec-oncall. No apply checks it again; plans no longer note it.\n`,
    );
    // Closed: twice is an error, and nothing more is recorded.
    const twice = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
      "--reason",
      reason,
    ]);
    expect(twice.code).toBe(ExitCode.error);
    expect(twice.stderr).toContain("(app has none open)");

    const planned = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(planned.stdout).not.toContain("offboarding of xavier");
    expect(planned.code).toBe(ExitCode.ok);
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(applied.stdout).not.toContain("Offboarding verified");
    expect(applied.code).toBe(ExitCode.ok);

    const verified = await runCliIn(tree.cwd, ["journal", "verify"]);
    expect(verified.stdout).toMatch(/entries, hash chain intact\n$/);
    expect(verified.code).toBe(ExitCode.ok);
    const changes = await runCliIn(tree.cwd, ["journal", "changes", "--user", "xavier"]);
    expect(changes.stdout).toContain(
      `2026-06-01T12:00:00.000Z  offboarding verdict closed by hand: app: xavier, journal #${String(open["seq"])}: ${reason}  (journal #${String(closure["seq"])}, by github:sec-oncall)\n`,
    );
    expect(changes.stdout).toMatch(/ and 1 verdict\(s\) closed by hand from the start to the end/);
    const json = JSON.parse(
      (await runCliIn(tree.cwd, ["journal", "changes", "--provider", "app", "--format", "json"])).stdout,
    ) as { closures: unknown[] };
    expect(json.closures).toEqual([expect.objectContaining({ closes: open["seq"], reason })]);
    const ofGroup = JSON.parse(
      (await runCliIn(tree.cwd, ["journal", "changes", "--group", "ops", "--format", "json"])).stdout,
    ) as { closures: unknown[] };
    expect(ofGroup.closures).toEqual([]);
  });

  it("waits for an apply holding the journal's apply lock, and appends only once it is released", async () => {
    const tree = await newTree();
    await renamedBeforeDisable(tree);
    const before = await readFile(journalFile(tree), "utf8");
    const held = await acquireFileLock(`${journalFile(tree)}.apply`);
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    const closing = main(
      ["journal", "close-verdict", "--provider", "app", "--account", "xavier", "--reason", "INC-7"],
      io,
    );
    const said = `another apply (pid ${String(process.pid)}) is running with this journal; waiting for it to finish (up to 10 minutes)\n`;
    for (let i = 0; i < 200 && !err.join("").includes(said); i++) await sleep(50);
    expect(err.join("")).toBe(said);
    expect(await readFile(journalFile(tree), "utf8")).toBe(before);
    await releaseFileLock(held);
    expect(await closing).toBe(ExitCode.ok);
    expect(out.join("")).toContain("Closed by hand the open offboarding verdict of app: xavier");
    expect(await lastEntry(tree, "verdict-closed")).toMatchObject({ reason: "INC-7" });
  });

  it("refuses to append to a journal that is not intact, and changes nothing", async () => {
    const tree = await newTree();
    await renamedBeforeDisable(tree);
    const text = await readFile(journalFile(tree), "utf8");
    // An entry edited after the fact: its hash no longer matches.
    const tampered = text.replace('"changes":', '"changes": 0, "x":');
    expect(tampered).not.toBe(text);
    await writeFile(journalFile(tree), tampered);
    const refused = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
      "--reason",
      "x",
    ]);
    expect(refused.stderr).toContain("was edited: its content does not match its hash");
    expect(refused.stderr).toContain(".gatehouse/journal.jsonl is not intact, so nothing was recorded");
    expect(refused.code).toBe(ExitCode.error);
    expect(await readFile(journalFile(tree), "utf8")).toBe(tampered);
  });
});

describe("open verdicts of a system gatehouse.yaml no longer has", () => {
  it("are noted by a plan of every system, which exits 2, until closed by hand", async () => {
    const tree = await newTree();
    await renamedBeforeDisable(tree);
    // The system is renamed in gatehouse.yaml: its verdicts are no system's that gatehouse reads.
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), config("directory"));
    const planned = await runCliIn(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      `app (not in gatehouse.yaml any more):\n  note: offboarding of xavier (app) left access at 2026-06-01T12:00Z (journal #`,
    );
    expect(planned.stdout).toContain(
      "), and gatehouse.yaml no longer has app: no apply checks it again; check by hand, then " +
        CLOSE +
        "\n",
    );
    expect(planned.code).toBe(ExitCode.changes);
    const markdown = await runCliIn(tree.cwd, ["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain(
      "#### `app` (not in gatehouse.yaml any more)\n\n**Offboarding not complete:**\n\n- offboarding of xavier (app)",
    );
    // A plan of some systems only says nothing of the others.
    const some = await runCliIn(tree.cwd, ["plan", "--provider", "directory"]);
    expect(some.stdout).not.toContain("offboarding of xavier");
    const closed = await runAs(tree, [
      "journal",
      "close-verdict",
      "--provider",
      "app",
      "--account",
      "xavier",
      "--reason",
      "the app is gone",
    ]);
    expect(closed.code).toBe(ExitCode.ok);
    expect((await runCliIn(tree.cwd, ["plan"])).stdout).not.toContain("offboarding of xavier");
  });
});
