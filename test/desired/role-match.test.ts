import { describe, expect, it } from "vitest";
import { computeEffectiveMemberships, matchRole, roleMatches } from "../../src/desired/effective.ts";
import type { RoleCondition } from "../../src/model/access.ts";
import { briefs, validateFiles } from "../helpers/access-tree.ts";
import { role, user } from "../builders.ts";

const ann = user("ann", { department: "ENG", title: "SRE", employmentType: "contractor" });

describe("matchRole and roleMatches agree", () => {
  it.each<{ name: string; when: RoleCondition; matches: boolean; attribute?: string }>([
    {
      name: "one condition that holds",
      when: { department: ["ENG"] },
      matches: true,
      attribute: "department",
    },
    {
      name: "every condition holds",
      when: { title: ["SRE"], employmentType: ["contractor"] },
      matches: true,
      attribute: "title",
    },
    { name: "one condition fails", when: { department: ["ENG"], title: ["CTO"] }, matches: false },
    { name: "an attribute the user lacks", when: { department: ["ENG"] }, matches: false },
    { name: "an empty list (no value can match)", when: { employmentType: [] }, matches: false },
    { name: "no condition at all (an empty when)", when: {}, matches: false },
  ])("$name", ({ name, when, matches, attribute }) => {
    const who = name === "an attribute the user lacks" ? user("bob") : ann;
    const r = role("r", when, ["g"]);
    expect(roleMatches(r, who)).toBe(matches);
    const way = matchRole(r, who);
    expect(way?.kind === "role" ? way.attribute : way).toBe(attribute);
  });
});

describe("a role with an empty when", () => {
  it("is refused by the schema (GH100) in the files, and its document gives the model no role", async () => {
    const tree = await validateFiles({
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann, department: ENG }\n  - { id: bob, name: Bob }\n",
      "groups/teams.yaml": "groups:\n  - name: team-a\n    owners: [ann]\n    members: []\n",
      "roles/everyone.yaml": "roles:\n  - name: everyone\n    when: {}\n    groups: [team-a]\n",
    });
    expect(briefs(tree.diagnostics).filter((d) => d.startsWith("access/roles/"))).toEqual([
      "access/roles/everyone.yaml:3:11 error GH100",
    ]);
    expect(tree.model.roles.has("everyone")).toBe(false);
    const members = computeEffectiveMemberships(tree.model, new Date("2026-06-01T00:00:00Z")).get(
      "team-a",
    )?.members;
    expect(members?.size).toBe(0);
  });
});
