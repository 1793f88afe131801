/**
 * `gatehouse accounts` on a system that records no sign-in times (GitHub: the REST API gives none for
 * organization members): it says so once, and still finds the accounts no one in the files holds.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../harness/github-provider.ts";
import { seedOrg } from "../harness/fake-github/seed.ts";
import { captureIo } from "../helpers/cli-io.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";

let gh: CheckedGithub;
let tree: AccessTree;
beforeAll(async () => {
  gh = await startCheckedGithub();
  seedOrg(gh.fake, {
    org: "acme",
    viewer: "gatehouse-bot",
    token: GITHUB_TOKEN,
    members: ["alice-l", "mallory"],
  });
  tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n" +
      "  directory: { type: local, path: .gatehouse/directory.json }\n" +
      `  github: { type: github, org: acme, baseUrl: "${gh.url}", tokenEnv: GH_TOKEN }\n`,
    "users/people.yaml": "users:\n  - { id: alice, name: Alice, accounts: { github: alice-l } }\n",
  });
});
afterAll(async () => {
  await tree.remove();
  await gh.close();
});

it(
  "says a system without sign-in times checks no stale account, and never prints the token",
  { tags: ["slow"] },
  async () => {
    const run = async (argv: string[]): Promise<{ code: number; out: string }> => {
      const { io, out, err } = captureIo(tree.cwd, { GH_TOKEN: GITHUB_TOKEN, GATEHOUSE_QUIET: "1" });
      const code = await main(argv, { ...io, fetch: jsonAcceptFetch });
      return { code, out: out.join("") + err.join("") };
    };
    const text = await run(["accounts", "--provider", "github", "--detailed-exitcode"]);
    expect(text.out).toContain(
      "github (github, additive): 3 enabled accounts\n" +
        "  github: no sign-in times; stale accounts not checked\n" +
        "  orphaned (2):\n" +
        "    gatehouse-bot  in no access file\n",
    );
    expect(text.out).toContain("    mallory  in no access file\n");
    expect(text.out).not.toContain("alice-l  ");
    expect(text.out).not.toContain("stale: none");
    expect(text.out).not.toContain(GITHUB_TOKEN);
    expect(text.code).toBe(2);

    const json = await run(["accounts", "--format", "json"]);
    const report = JSON.parse(json.out) as { systems: Record<string, unknown>[] };
    expect(report.systems.map((s) => [s["provider"], s["signIns"], s["staleNotChecked"]])).toEqual([
      ["directory", "lastLogin", undefined],
      ["github", undefined, "no sign-in times"],
    ]);
    expect(gh.violations()).toEqual([]);
  },
);
