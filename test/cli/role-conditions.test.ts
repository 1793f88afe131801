import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const at = (tree: AccessTree, when: string, argv: string[]) => runCliIn(tree.cwd, argv, new Date(when));

const SRE = "role sre (department=ENG, title=Site Reliability Engineer) at access/roles/company.yaml:2";

async function sreTree(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
    "users/people.yaml":
      "users:\n  - { id: ann, name: Ann }\n" +
      "  - { id: nora, name: Nora, department: ENG, title: Site Reliability Engineer }\n" +
      "  - { id: olli, name: Olli, department: ENG }\n",
    "groups/teams.yaml":
      "groups:\n  - name: eng-oncall\n    owners: [ann]\n    members: []\n" +
      "  - name: eng\n    owners: [ann]\n    members: []\n",
    "roles/company.yaml":
      "roles:\n  - { name: sre, when: { department: ENG, title: Site Reliability Engineer }, groups: [eng-oncall] }\n" +
      "  - { name: engineer, when: { department: ENG }, groups: [eng] }\n",
  });
  trees.push(tree);
  return tree;
}

describe("a role with two conditions", () => {
  it("is explained by every condition that matched, in explain's text and JSON", async () => {
    const tree = await sreTree();
    const text = await at(tree, "2026-03-01T09:00:00Z", ["explain", "nora"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`  eng-oncall  [app]\n    ${SRE}\n`);
    // A role of one condition reads as before.
    expect(text.stdout).toContain("    role engineer (department=ENG) at access/roles/company.yaml:3\n");
    const json = await at(tree, "2026-03-01T09:00:00Z", ["explain", "nora", "--format", "json"]);
    const groups = (JSON.parse(json.stdout) as { groups: { group: string; provenance: unknown[] }[] }).groups;
    expect(groups.find((g) => g.group === "eng-oncall")?.provenance).toEqual([
      {
        kind: "role",
        role: "sre",
        attribute: "department",
        value: "ENG",
        conditions: [
          { attribute: "department", value: "ENG" },
          { attribute: "title", value: "Site Reliability Engineer" },
        ],
        source: expect.objectContaining({ file: "access/roles/company.yaml", line: 2 }) as unknown,
      },
    ]);
  });

  it("is explained by every condition in the plan's why and the journal's", async () => {
    const tree = await sreTree();
    const plan = await at(tree, "2026-03-01T09:00:00Z", ["plan", "--format", "json"]);
    const whys = (JSON.parse(plan.stdout) as { changes: { id: string; why?: string[] }[] }).changes
      .filter((c) => c.id.startsWith("app:membership/eng-oncall/"))
      .map((c) => c.why);
    expect(whys).toEqual([[SRE]]);
    expect((await at(tree, "2026-03-01T09:00:00Z", ["plan"])).stdout).toContain(SRE);
    expect((await at(tree, "2026-03-01T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const access = await at(tree, "2026-03-05T00:00:00Z", [
      "journal",
      "access",
      "eng-oncall",
      "--at",
      "2026-03-02",
    ]);
    expect(access.code).toBe(0);
    expect(access.stdout).toContain(SRE);
    // olli is ENG but no SRE: not in the group.
    expect(access.stdout).not.toContain("olli");
  });
});
