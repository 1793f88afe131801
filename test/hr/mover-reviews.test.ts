/**
 * planMoverReviews: which groups a mover is put to review in, from a real model (the loader and the
 * validator on a temporary tree) and the updates an HR sync would make.
 */
import { describe, expect, it } from "vitest";
import { dueAfter, planMoverReviews } from "../../src/hr/mover-reviews.ts";
import type { FieldChange, UserUpdate } from "../../src/hr/sync-types.ts";
import { configYaml, NOW, validateFiles } from "../helpers/access-tree.ts";

const USERS = `users:
  - { id: ann, name: Ann, department: ENG, title: Engineer }
  - { id: cy, name: Cy, department: ENG, employmentType: contractor }
  - { id: dee, name: Dee, department: ENG }
  - { id: eve, name: Eve, department: ENG, status: terminated }
`;
const ROLES = `roles:
  - { name: eng, when: { department: [ENG] }, groups: [eng-all] }
  - { name: leads, when: { department: [ENG], title: [Lead] }, groups: [leads] }
  - { name: staff, when: { employmentType: [employee] }, groups: [staff] }
`;
const GROUPS = `groups:
  - { name: eng-all, owners: [dee], members: [] }
  - { name: leads, owners: [dee], members: [ann] }
  - { name: staff, owners: [dee], members: [cy] }
  - { name: wiki, owners: [dee], members: [{ group: leads }, dee] }
  - { name: oncall, owners: [dee], members: [ann, dee, eve] }
`;

async function model() {
  const tree = await validateFiles({
    "gatehouse.yaml": configYaml(),
    "users/people.yaml": USERS,
    "roles/roles.yaml": ROLES,
    "groups/groups.yaml": GROUPS,
  });
  expect(tree.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return tree.model;
}

function update(id: string, changes: FieldChange[], isLeaver = false): UserUpdate {
  return {
    id,
    source: { file: "access/users/people.yaml", line: 1, column: 1 },
    changes,
    isLeaver,
    hasLeft: false,
    isAbsent: false,
  };
}
const flags = async (updates: UserUpdate[]) =>
  planMoverReviews(await model(), updates, NOW, 14).map((f) => `${f.id} ${f.group} ${f.due}`);

describe("planMoverReviews", () => {
  it("flags the direct groups the new attributes' roles do not give, including groups nesting them", async () => {
    // ann becomes a Lead: the leads role gives leads (and wiki, which nests it); oncall it does not.
    expect(await flags([update("ann", [{ field: "title", before: "Engineer", after: "Lead" }])])).toEqual([
      "ann oncall 2026-06-15",
    ]);
    // dee becomes a Lead: wiki, where she has a line, nests leads, which her new role gives.
    expect(await flags([update("dee", [{ field: "title", after: "Lead" }])])).toEqual([
      "dee oncall 2026-06-15",
    ]);
    // ann leaves ENG for SALES: no role gives leads or oncall any more.
    expect(await flags([update("ann", [{ field: "department", before: "ENG", after: "SALES" }])])).toEqual([
      "ann leads 2026-06-15",
      "ann oncall 2026-06-15",
    ]);
  });

  it("reads an employment type the update clears as the default (employee)", async () => {
    expect(await flags([update("cy", [{ field: "employmentType", before: "contractor" }])])).toEqual([]);
    expect(
      await flags([update("cy", [{ field: "employmentType", before: "contractor", after: "intern" }])]),
    ).toEqual(["cy staff 2026-06-15"]);
  });

  it("flags no leaver and no change outside the fields roles match on and the manager", async () => {
    const move = { field: "department", before: "ENG", after: "SALES" } as const;
    expect(await flags([update("dee", [move], true)])).toEqual([]);
    expect(
      await flags([
        update("dee", [
          { field: "name", before: "Dee", after: "D" },
          { field: "email", before: "dee@example.com", after: "d@example.com" },
        ]),
      ]),
    ).toEqual([]);
    // Another manager is another team: what the roles of the same department do not give goes to the owners.
    expect(await flags([update("dee", [{ field: "manager", before: "cy", after: "ann" }])])).toEqual([
      "dee wiki 2026-06-15",
      "dee oncall 2026-06-15",
    ]);
    // A manager filled in where the files had none (the first sync mapping the column), or emptied, is no
    // move: every grant of everyone would go to review at once.
    expect(await flags([update("dee", [{ field: "manager", after: "ann" }])])).toEqual([]);
    expect(await flags([update("dee", [{ field: "manager", before: "ann" }])])).toEqual([]);
    expect(await flags([update("dee", [move])])).toEqual(["dee wiki 2026-06-15", "dee oncall 2026-06-15"]);
  });

  it("puts a rehire's lines to the owners, whatever job they come back to", async () => {
    // eve left (status: terminated) with a line in oncall, which no role gives: back in the same job, the
    // owners decide again; the eng-all baseline is the role's.
    expect(
      await flags([update("eve", [{ field: "status", before: "terminated", after: "active" }])]),
    ).toEqual(["eve oncall 2026-06-15"]);
    // Still a leaver after the sync (only the title changes): nothing to decide.
    expect(await flags([update("eve", [{ field: "title", after: "Lead" }])])).toEqual([]);
  });

  it("counts the due day from the day of the run, in UTC", () => {
    expect(dueAfter(new Date("2026-06-01T23:59:59Z"), 14)).toBe("2026-06-15");
    expect(dueAfter(new Date("2026-12-20T00:00:00Z"), 30)).toBe("2027-01-19");
  });
});
