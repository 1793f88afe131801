/**
 * One repeated key in gatehouse.yaml is one error where it stands: the file is still read (the last
 * value counts), so no "no gatehouse.yaml" and no "provider is not defined" for every group that names
 * the provider follow it (AD trial LOW 2).
 */
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = `providers:
  ad:
    type: local
    path: .gatehouse/ad.json
    mode: authoritative
    mode: additive
policy:
  admins: [ann]
`;

describe("a repeated key in gatehouse.yaml", () => {
  it("is the one error validate and plan report; the groups naming its providers are not flagged", async () => {
    const groups = Array.from(
      { length: 5 },
      (_, i) => `  - name: app-${String(i)}\n    owners: [ann]\n    providers: [ad]\n    members: [ann]\n`,
    ).join("");
    const tree = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/apps.yaml": `groups:\n${groups}`,
    });
    trees.push(tree);
    const validated = await runCliIn(tree.cwd, ["validate"]);
    expect(validated.code).toBe(1);
    expect(validated.out).toContain("access/gatehouse.yaml:6:5 error GH011 duplicate key");
    expect(validated.out).not.toMatch(/GH019|GH206/);
    expect(validated.out).toContain("invalid; 1 error(s), 0 warning(s)");
    const planned = await runCliIn(tree.cwd, ["plan"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr.match(/ error /g)).toHaveLength(1);
  });
});
