/**
 * The text edit behind `gatehouse request`: one member entry written in the file's own style, nothing
 * else touched, and a refusal (never a wrong file) when the layout is one it does not edit.
 */
import { describe, expect, it } from "vitest";
import { editGroupMembers, type MemberEdit } from "../../src/engine/request-edit.ts";
import { yamlScalar } from "../../src/engine/member-yaml.ts";

const FILE = "access/groups/g.yaml";

function edited(text: string, group: string, edit: MemberEdit): { text: string; line: number } {
  const result = editGroupMembers(FILE, text, group, edit);
  if ("problem" in result) throw new Error(result.problem);
  return result;
}

const add = (user: string, until?: string, reason?: string): MemberEdit => ({
  kind: "add",
  entry: { user, ...(until === undefined ? {} : { until }), ...(reason === undefined ? {} : { reason }) },
});

const BLOCK = `# header comment
groups:
  - name: ops   # trailing
    owners: [ann]
    members:
        - ann    # four-space indent, kept
        # a comment between items
        - user: dee
          until: 2026-12-01T00:00:00Z
          reason: INC-7

  - name: dev
    members: [ann]
`;

describe("editGroupMembers", () => {
  it("appends a lasting member after the last item, indented as its neighbours", () => {
    const out = edited(BLOCK, "ops", add("bob"));
    expect(out.text).toBe(BLOCK.replace("reason: INC-7\n", "reason: INC-7\n        - bob\n"));
    expect(out.line).toBe(11);
  });

  it("writes a grant as a block mapping with the keys under the first one", () => {
    const out = edited(BLOCK, "ops", add("bob", "2026-06-02T00:00:00Z", "INC-9: db fix"));
    expect(out.text).toBe(
      BLOCK.replace(
        "reason: INC-7\n",
        'reason: INC-7\n        - user: bob\n          until: 2026-06-02T00:00:00Z\n          reason: "INC-9: db fix"\n',
      ),
    );
  });

  it("adds to a flow list in flow style, a grant as a flow mapping", () => {
    expect(edited(BLOCK, "dev", add("bob")).text).toBe(
      BLOCK.replace("members: [ann]", "members: [ann, bob]"),
    );
    expect(edited(BLOCK, "dev", add("bob", "2026-06-02T00:00:00Z")).text).toBe(
      BLOCK.replace("members: [ann]", "members: [ann, { user: bob, until: 2026-06-02T00:00:00Z }]"),
    );
  });

  it("writes a grant as a flow mapping where the list's other grants are", () => {
    const text = "groups:\n  - name: ops\n    members:\n      - { user: dee, until: 2026-12-01T00:00:00Z }\n";
    expect(edited(text, "ops", add("bob", "2026-06-02T00:00:00Z")).text).toBe(
      text + "      - { user: bob, until: 2026-06-02T00:00:00Z }\n",
    );
  });

  it("turns members: [] into a block list like the file's others, keeping its comment", () => {
    const text = BLOCK + "  - name: empty\n    members: []  # pruned\n    owners: [ann]\n";
    expect(edited(text, "empty", add("bob")).text).toBe(
      BLOCK + "  - name: empty\n    members:  # pruned\n        - bob\n    owners: [ann]\n",
    );
  });

  it("keeps members: [] in flow style in a file whose lists are all flow", () => {
    const text = "groups:\n  - { name: a, members: [ann] }\n  - name: b\n    members: []\n";
    expect(edited(text, "b", add("bob")).text).toBe(text.replace("members: []", "members: [bob]"));
  });

  it("writes the last line of a file that does not end with a newline", () => {
    const text = "groups:\n  - name: ops\n    members:\n      - ann";
    expect(edited(text, "ops", add("bob")).text).toBe(text + "\n      - bob");
  });

  it("extends a grant in place, keeping its quotes and, without a new one, its reason", () => {
    const text =
      'groups:\n  - name: ops\n    members:\n      - user: dee\n        until: "2026-12-01T00:00:00Z"  # why\n        reason: INC-7\n';
    const edit: MemberEdit = {
      kind: "extend",
      user: "dee",
      from: "2026-12-01T00:00:00Z",
      until: "2027-01-01T00:00:00Z",
    };
    const out = edited(text, "ops", edit);
    expect(out.text).toBe(text.replace('"2026-12-01T00:00:00Z"', '"2027-01-01T00:00:00Z"'));
    expect(out.line).toBe(4);
  });

  it("adds a reason after the grant's last key, block or flow", () => {
    const block =
      "groups:\n  - name: ops\n    members:\n      - user: dee\n        until: 2026-12-01T00:00:00Z\n      - ann\n";
    const edit: MemberEdit = {
      kind: "extend",
      user: "dee",
      from: "2026-12-01T00:00:00Z",
      until: "2027-01-01T00:00:00Z",
      reason: "INC-8",
    };
    expect(edited(block, "ops", edit).text).toBe(
      block.replace("2026-12-01T00:00:00Z\n", "2027-01-01T00:00:00Z\n        reason: INC-8\n"),
    );
    const flow = "groups:\n  - name: ops\n    members: [ann, { user: dee, until: 2026-12-01T00:00:00Z }]\n";
    expect(edited(flow, "ops", edit).text).toBe(
      flow.replace("until: 2026-12-01T00:00:00Z }", "until: 2027-01-01T00:00:00Z, reason: INC-8 }"),
    );
  });

  it("makes a grant a lasting line, leaving the items around it", () => {
    const edit: MemberEdit = { kind: "make-lasting", user: "dee", from: "2026-12-01T00:00:00Z" };
    expect(edited(BLOCK, "ops", edit).text).toBe(
      BLOCK.replace(
        "- user: dee\n          until: 2026-12-01T00:00:00Z\n          reason: INC-7\n",
        "- dee\n",
      ),
    );
  });

  it("refuses a group without a members list (adding one would start removing members)", () => {
    const text = "groups:\n  - name: ops\n    owners: [ann]\n";
    expect(editGroupMembers(FILE, text, "ops", add("bob"))).toEqual({
      problem: expect.stringContaining("has no members list") as unknown,
    });
  });

  it("refuses a members list given by an alias, and a grant that is not there", () => {
    const text = "x: &team [ann]\ngroups:\n  - name: ops\n    members: *team\n";
    expect(editGroupMembers(FILE, text, "ops", add("bob"))).toEqual({
      problem: 'the members of "ops" are not a list',
    });
    const edit: MemberEdit = { kind: "make-lasting", user: "bob", from: "2026-12-01T00:00:00Z" };
    expect(editGroupMembers(FILE, BLOCK, "ops", edit)).toEqual({
      problem: 'the grant of "bob" until 2026-12-01T00:00:00Z is not in the list',
    });
  });

  it("refuses an item layout it does not edit (a comment or a tab after the dash)", () => {
    for (const text of [
      "groups:\n  - name: ops\n    members:\n      - ann\n      -   # c\n        bob\n",
      "groups:\n  - name: ops\n    members:\n      -\tann\n",
    ])
      expect(editGroupMembers(FILE, text, "ops", add("cy"))).toEqual({
        problem: "the last item of the members list is laid out in a way request does not edit",
      });
  });

  it("quotes what YAML would read as something else", () => {
    expect(yamlScalar("bob")).toBe("bob");
    expect(yamlScalar("007")).toBe('"007"');
    expect(yamlScalar("null")).toBe('"null"');
    expect(yamlScalar("INC-9: db")).toBe('"INC-9: db"');
    expect(yamlScalar("a, b")).toBe('"a, b"');
    expect(yamlScalar("2026-06-02T00:00:00Z")).toBe("2026-06-02T00:00:00Z");
    const text = "groups:\n  - name: ops\n    members:\n      - ann\n";
    expect(edited(text, "ops", add("007", undefined)).text).toBe(text + '      - "007"\n');
  });
});
