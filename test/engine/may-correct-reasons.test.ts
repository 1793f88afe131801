/**
 * Before a plan reads the whole tree gatehouse last applied from git (to give what it never wrote its true
 * reason), it asks whether that read can change a label at all, from the files the candidate changes come
 * from as they are now and at that commit, in a real git repository.
 */
import { describe, expect, it } from "vitest";
import { mayCorrectReasons } from "../../src/engine/applied-files.ts";
import type { AccessModel } from "../../src/model/access.ts";
import type { Change } from "../../src/plan/types.ts";
import { useTempRepos } from "../e2e/repo.ts";

const tempRepo = useTempRepos();

const OPS = "access/groups/ops.yaml";
const WEB = "access/groups/web.yaml";
const at = (file: string) => ({ file, line: 1, column: 1 });

/** A repository whose commit holds ops and web; ops changed since in the working tree. */
async function repo(): Promise<{ cwd: string; lastCommit: string }> {
  const r = await tempRepo({ withAccess: false });
  await r.write(OPS, "groups:\n  - { name: ops, owners: [ann], members: [ann] }\n");
  await r.write(WEB, "groups:\n  - { name: web, owners: [ann], members: [ann, bob] }\n");
  await r.commit("applied");
  const lastCommit = (await r.git.revparse(["HEAD"])).trim();
  await r.edit(OPS, "members: [ann]", "members: [ann, cy]");
  return { cwd: r.cwd, lastCommit };
}

const model = {
  groups: new Map([
    ["ops", { name: "ops", source: at(OPS) }],
    ["web", { name: "web", source: at(WEB) }],
  ]),
} as unknown as AccessModel;
const add = (group: string, file: string): Change => ({
  provider: "app",
  id: `app:membership/${group}/cy`,
  kind: "membership",
  action: "add",
  group,
  member: "cy",
  memberKind: "user",
  reason: "added-in-config",
  risk: "broadens",
  source: at(file),
});
const remove = (group: string): Change => ({
  provider: "app",
  id: `app:membership/${group}/bob`,
  kind: "membership",
  action: "remove",
  group,
  member: "bob",
  memberKind: "user",
  reason: "drift",
  risk: "narrows",
});

describe("whether the files gatehouse last applied may correct a reason", () => {
  it("not for an add whose line's file changed since, nor a drift removal from a group whose file did not", async () => {
    const { cwd, lastCommit } = await repo();
    const ask = (candidates: Change[]) =>
      mayCorrectReasons(candidates, model, { cwd, historyCwd: cwd, lastCommit });
    // The pull request's own line: added in config, whatever the files said then.
    expect(await ask([add("ops", OPS)])).toBe(false);
    // A line as it was then, its member gone from the system: may be drift.
    expect(await ask([add("web", WEB)])).toBe(true);
    // web's lines are as they were: its drift removal stays drift.
    expect(await ask([remove("web")])).toBe(false);
    // ops's file changed: a removal there may be a line taken out.
    expect(await ask([remove("ops")])).toBe(true);
    expect(await ask([add("ops", OPS), remove("web")])).toBe(false);
    // A commit git does not have: compared with nothing, so asked.
    expect(
      await mayCorrectReasons([add("web", WEB)], model, {
        cwd,
        historyCwd: cwd,
        lastCommit: "0".repeat(40),
      }),
    ).toBe(true);
  });
});
