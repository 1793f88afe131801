/**
 * The offboarding check reads accounts back by name: an account this run failed to disable, and which the
 * read-back no longer finds under that name (renamed by hand meanwhile), is not reported as gone.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
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
const LEFT = "users:\n  - { id: ann, name: Ann }\n  - { id: xavier, name: Xavier, status: terminated }\n";
const GROUPS = "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, xavier]\n";

it("does not call a leaver's account gone when the run failed to disable it and it was renamed meanwhile", async () => {
  const tree = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": PEOPLE,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  await writeFile(path.join(tree.dir, "users/people.yaml"), LEFT);
  const file = path.join(tree.cwd, ".gatehouse/app.json");
  const { io, out } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
  // While the plan is shown, someone renames xavier's account (groups follow): the disable then fails.
  const code = await main(["apply"], {
    ...io,
    isInteractive: true,
    prompt: async () => {
      const text = await readFile(file, "utf8");
      await writeFile(file, text.replaceAll('"xavier"', '"xavier2"'));
      return "yes";
    },
  });
  const stdout = out.join("");
  expect(stdout).toContain(
    'failed app: disable user xavier — app: disable user: user "xavier" does not exist',
  );
  expect(code).toBe(1);
  expect(stdout).not.toContain("clean app: xavier");
  expect(stdout).toContain(
    "ACCESS LEFT app: xavier: not verified: the run's disable of xavier did not apply",
  );
  const entries = (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e["type"] === "offboard-verified");
  expect(entries).toEqual([
    expect.objectContaining({ account: "xavier", clean: false, accountState: "absent" }),
  ]);
  // The check removed nothing: the renamed account is still enabled and in ops.
  const directory = JSON.parse(await readFile(file, "utf8")) as {
    users: { account: string; enabled: boolean }[];
  };
  expect(directory.users.find((u) => u.account === "xavier2")?.enabled).toBe(true);
});
