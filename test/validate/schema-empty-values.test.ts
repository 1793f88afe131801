/** A key written with no value (YAML reads it as null) says so, and for a group's members, what to write. */
import { describe, expect, it } from "vitest";
import { configYaml, validateFiles } from "../helpers/access-tree.ts";

describe("a key the schema refuses for having no value", () => {
  it("tells a group's members left empty (its last line deleted) how to enforce or leave the group", async () => {
    const tree = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "people.yaml":
        "users:\n  - { id: ann, name: Ann, department: GIS }\n" +
        "roles:\n  - name: gis\n    when: { department: GIS }\n    groups:\n" +
        "groups:\n  - name: team-gis-write\n    owners: [ann]\n    members:\n  - name: team-map-read\n    owners: [ann]\n    members: []\n",
    });
    expect(
      tree.diagnostics
        .filter((d) => d.code === "GH100")
        .map((d) => `${String(d.line)}:${String(d.column)} ${d.message}`),
    ).toEqual([
      "6:12 /roles/0/groups: must be array, not empty (the key has no value)",
      "10:13 /groups/0/members: has no value: write members: [] to enforce an empty group (roles and nested groups still give it members), or delete the key to leave its members unmanaged",
    ]);
  });
});
