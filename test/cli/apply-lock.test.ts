import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { acquireFileLock, releaseFileLock } from "../../src/io/file-lock.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo, runCliIn } from "../helpers/cli-io.ts";
import { main } from "../../src/cli/main.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

describe("apply", () => {
  it("waits for another apply on the same journal, then plans on what that one left", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
    });
    trees.push(tree);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const held = await acquireFileLock(`${journal}.apply`);
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    const waiting = main(["apply", "--yes"], io);
    // It says why it waits, once it does (the CLI takes a moment to start).
    const said = `another apply (pid ${String(process.pid)}) is running with this journal; waiting`;
    for (let i = 0; i < 200 && !err.join("").includes(said); i++) await sleep(50);
    expect(err.join("")).toContain(said);
    const before = await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8").catch(() => "none");
    expect(before).toBe("none");
    await releaseFileLock(held);
    const code = await waiting;
    const applied = { code, out: out.join("") + err.join("") };
    expect(applied.code).toBe(0);
    expect(err.join("").split(said)).toHaveLength(2);
    expect(applied.out).toContain("create user ann");
    expect(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")).toContain('"ann"');
  });

  it("records a run that finds nothing to change: the journal shows the schedule ran", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const before = (await readFile(journal, "utf8")).trimEnd().split("\n").length;
    const again = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("No changes.");
    expect(again.out).toContain(
      `Recorded the run in the journal: .gatehouse/journal.jsonl entries ${String(before + 1)}-${String(before + 2)}.`,
    );
    const added = (await readFile(journal, "utf8"))
      .trimEnd()
      .split("\n")
      .slice(before)
      .map((l) => JSON.parse(l) as { type: string; changes?: number; applied?: number });
    expect(added).toMatchObject([
      { type: "apply-start", changes: 0 },
      { type: "apply-end", applied: 0 },
    ]);
    expect((await runCliIn(tree.cwd, ["journal", "verify"])).code).toBe(0);
  });
});
