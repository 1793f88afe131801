import { describe, expect, it } from "vitest";
import { editUsersText, formatValue, type EntryEdit } from "../../src/hr/edit-users.ts";

const edit = (set: Record<string, string>, remove: string[] = []): EntryEdit => ({
  set: new Map(Object.entries(set)),
  remove: new Set(remove),
});
const textOf = (result: ReturnType<typeof editUsersText>): string => {
  if ("problem" in result) throw new Error(result.problem);
  return result.text;
};

const BLOCK = `# people
users:
  - id: ann   # the first
    name: Ann
    # HR's title
    title: Analyst
    manager: bob
    accounts:
      github: ann-gh

  - id: bob
    name: Bob
`;

describe("editUsersText", () => {
  it("replaces a value, removes a key and adds keys in the entry order, leaving every other byte", () => {
    const out = textOf(
      editUsersText(
        BLOCK,
        new Map([
          [
            "ann",
            edit({ title: "Lead Analyst", email: "ann@example.com", startDate: "2026-01-05" }, ["manager"]),
          ],
        ]),
      ),
    );
    expect(out).toBe(
      BLOCK.replace("    name: Ann\n", "    name: Ann\n    email: ann@example.com\n").replace(
        "title: Analyst\n    manager: bob\n",
        "title: Lead Analyst\n    startDate: 2026-01-05\n",
      ),
    );
  });

  it("edits an entry written on one line in braces", () => {
    const text =
      "users:\n  - { id: ann, name: Ann, department: OPS, manager: bob }  # flow\n  - { id: bob, name: Bob }\n";
    const out = textOf(
      editUsersText(
        text,
        new Map([
          ["ann", edit({ name: "Ann, Jr.", employeeNumber: "0042", status: "terminated" }, ["department"])],
        ]),
      ),
    );
    expect(out).toBe(
      'users:\n  - { id: ann, name: "Ann, Jr.", manager: bob, employeeNumber: "0042", status: terminated }  # flow\n  - { id: bob, name: Bob }\n',
    );
  });

  it("appends entries after the last one, in the list's own indentation, after a key added to that last entry", () => {
    const out = textOf(
      editUsersText(BLOCK, new Map([["bob", edit({ status: "leave" })]]), [
        [
          ["id", "cy"],
          ["name", "Cy Young"],
          ["employeeNumber", "E7"],
        ],
      ]),
    );
    expect(out).toBe(
      BLOCK + '    status: leave\n\n  - id: cy\n    name: Cy Young\n    employeeNumber: "E7"\n',
    );
  });

  it("starts a users list in a file that has none, or an empty one", () => {
    const entry = [
      [
        ["id", "cy"],
        ["name", "Cy"],
      ] as const,
    ];
    expect(textOf(editUsersText("# only a comment\n", new Map(), entry))).toBe(
      "# only a comment\nusers:\n  - id: cy\n    name: Cy\n",
    );
    expect(textOf(editUsersText("users: []\n", new Map(), entry))).toBe("users:\n  - id: cy\n    name: Cy\n");
    expect(textOf(editUsersText("groups: []", new Map(), entry))).toBe(
      "groups: []\n\nusers:\n  - id: cy\n    name: Cy\n",
    );
  });

  it("keeps CRLF line ends", () => {
    const text = BLOCK.replaceAll("\n", "\r\n");
    const out = textOf(
      editUsersText(text, new Map([["bob", edit({ title: "Boss" })]]), [
        [
          ["id", "cy"],
          ["name", "Cy"],
        ],
      ]),
    );
    expect(out).toBe(
      BLOCK.replaceAll("\n", "\r\n") + "    title: Boss\r\n\r\n  - id: cy\r\n    name: Cy\r\n",
    );
  });

  it("refuses what it cannot edit safely, and a user who is not in the file", () => {
    const literal = "users:\n  - id: ann\n    name: |\n      Ann\n";
    expect(editUsersText(literal, new Map([["ann", edit({ name: "Ann B" })]]))).toEqual({
      problem: "user ann: name is not a one-line value",
    });
    expect(editUsersText(BLOCK, new Map([["zed", edit({ name: "Zed" })]]))).toEqual({
      problem: "user zed is not where the files say",
    });
    const shared = "users:\n  - id: ann\n    name: Ann\n  - id: bob\n    name: Bob\n";
    expect(
      editUsersText(
        shared.replace("  - id: ann\n    name: Ann", "  - name: Ann\n    id: ann"),
        new Map([["ann", edit({}, ["name"])]]),
      ),
    ).toEqual({
      problem: "user ann: name shares its line with another key",
    });
  });

  it("quotes values that would not read back as the same text", () => {
    expect(formatValue("title", "yes", false)).toBe("yes");
    expect(formatValue("title", "true", false)).toBe('"true"');
    expect(formatValue("title", "1024", false)).toBe('"1024"');
    expect(formatValue("name", "Doe, John", false)).toBe("Doe, John");
    expect(formatValue("name", "Doe, John", true)).toBe('"Doe, John"');
    expect(formatValue("name", "# not a comment", false)).toBe('"# not a comment"');
    expect(formatValue("employeeNumber", "E1", false)).toBe('"E1"');
    for (const value of ["- dash", "a: b", "@at", "'quoted'", "Zoë Ångström", "null", "~", "[x]"])
      expect(
        textOf(editUsersText("users:\n  - id: a\n    name: A\n", new Map([["a", edit({ title: value })]]))),
      ).toContain("title: ");
  });

  it("edits entries at the places the loader found them as it edits the whole file, byte for byte", () => {
    const text =
      "# people\nusers:\n  - id: ann   # the first\n    name: Ann\n    # HR's title\n    title: Analyst\n" +
      "    manager: bob\n    notes: |\n      kept\n\n        as is\n    accounts:\n      github: ann-gh\n\n" +
      "# between\n  - { id: cy, name: Cy }\n  - id: bob\n    name: Bob\n  - id: dee\n    name: Dee";
    const edits = new Map([
      ["ann", edit({ title: "Lead", email: "ann@example.com" }, ["manager"])],
      ["bob", edit({ department: "ENG" }, ["name"])],
      ["dee", edit({ name: "Dee Dee", startDate: "2026-01-05" })],
    ]);
    const places = new Map([
      ["ann", { line: 3, column: 5 }],
      ["bob", { line: 17, column: 5 }],
      ["dee", { line: 19, column: 5 }],
    ]);
    for (const eol of ["\n", "\r\n"]) {
      const source = text.replaceAll("\n", eol);
      const whole = textOf(editUsersText(source, edits));
      expect(textOf(editUsersText(source, edits, [], places))).toBe(whole);
      // A place that is not the entry's (the file changed since it was loaded) is found in the whole file.
      const wrong = new Map([...places, ["bob", { line: 18, column: 5 }]]);
      expect(textOf(editUsersText(source, edits, [], wrong))).toBe(whole);
    }
    expect(textOf(editUsersText(text, edits))).toContain("  - id: bob\n    department: ENG\n  - id: dee");
    // A problem with an entry is said as the whole file's edit says it.
    const flow = new Map([["cy", edit({ title: "T" }, ["name"])]]);
    expect(editUsersText(text, flow, [], new Map([["cy", { line: 16, column: 5 }]]))).toEqual(
      editUsersText(text, flow),
    );
  });
});
