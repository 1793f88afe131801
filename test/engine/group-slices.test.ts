import { describe, expect, it } from "vitest";
import type { Node } from "yaml";
import {
  closeCuts,
  closeReviewText,
  groupsByName,
  groupsBySlice,
  openReviewsText,
  type GroupNodes,
} from "../../src/engine/review-edit.ts";
import { parseAccessFileFast } from "../../src/load/parse.ts";
import { yamlLib } from "../../src/load/yaml-lib.ts";

const FILE = "access/groups/g.yaml";

/** Every node under `root` as [kind, range, value], in document order: what an edit reads of it. */
function nodesOf(root: Node): unknown[] {
  const out: unknown[] = [];
  const lib = yamlLib();
  lib.visit(root, {
    Node(_key, node) {
      if (lib.isScalar(node)) out.push(["scalar", node.range, node.value]);
      else if (lib.isCollection(node))
        out.push([lib.isMap(node) ? "map" : "seq", node.range, node.flow === true]);
      else out.push(["alias", node.range, node.source]);
    },
  });
  return out;
}

function slicesOf(text: string): GroupNodes {
  const parsed = parseAccessFileFast(FILE, new TextEncoder().encode(text));
  const document = parsed?.document;
  if (document === undefined) throw new Error("the fast reader did not take the file");
  return groupsBySlice(text, document.data, document.locator);
}

// Layouts a groups file comes in: a list indented or not, comments between and inside groups (at any
// indent, also at the dash's), blank lines, block and flow lists, quoted names and descriptions, nested
// mappings, and no newline at the end. (A file the fast reader does not take, with a block scalar or an
// anchor say, is parsed whole: editGroups does not slice it.)
const FILES: Record<string, string> = {
  indented:
    "# teams\ngroups:\n  - name: a\n    owners: [carol]\n    members:\n      - alice\n\n      - bob # on loan\n" +
    '  # the b team, below\n  - name: b\n    description: "the b team: quoted"\n' +
    "    members:\n# a comment at column 0 inside b\n      - user: dave\n        until: 2026-12-31\n" +
    "  - name: 'c d'\n    members: [erin, frank]\n    review:\n      due: 2026-06-30\n      pending:\n        - erin\n",
  flush:
    "groups:\n- name: a\n  members:\n  - alice\n  - bob\n- name: b\n  owners:\n  - carol\n  members: []\n" +
    "- members: [x]\n  name: last",
  trailing: "groups:\n  - name: only\n    members:\n      - alice\n    # the end\n\n# file trailer\n",
};

describe("groups parsed one at a time (groupsBySlice)", () => {
  for (const [layout, text] of Object.entries(FILES)) {
    it(`gives each group the nodes and offsets the whole file's parse gives (${layout})`, () => {
      const whole = groupsByName(text);
      const sliced = slicesOf(text);
      expect(whole.size).toBeGreaterThan(0);
      for (const [name, { node, index }] of whole) {
        const slice = sliced.get(name);
        expect(slice?.index).toBe(index);
        if (slice === undefined) continue;
        expect(nodesOf(slice.node)).toStrictEqual(nodesOf(node));
        // The offsets are the whole text's: each scalar's range holds its source there.
        const name0 = slice.node.items.find((p) => yamlLib().isScalar(p.key) && p.key.value === "name");
        const range = (name0?.value as Node | undefined)?.range;
        expect(range && text.slice(range[0], range[1]).replace(/'/g, "")).toBe(name);
      }
    });
  }

  it("finds no group defined twice, as the whole file's parse does not", () => {
    const text =
      "groups:\n  - name: a\n    members: []\n  - name: a\n    members: [x]\n  - name: b\n    members: []\n";
    expect(groupsByName(text).has("a")).toBe(false);
    expect(slicesOf(text).get("a")).toBeUndefined();
    expect(slicesOf(text).get("b")?.index).toBe(2);
  });

  it("refuses (so the whole file is parsed) a group that is not a block list item", () => {
    const text = "groups: [{ name: a, members: [x] }]\n";
    expect(() => slicesOf(text).get("a")).toThrow();
  });
});

describe("a group's members key from the loader's positions (located), for review open", () => {
  for (const [layout, text] of Object.entries(FILES)) {
    it(`is where the whole file's parse has it, and the same group (${layout})`, () => {
      const whole = groupsByName(text);
      const sliced = slicesOf(text);
      for (const [name, { node, index }] of whole) {
        const pair = node.items.find((p) => yamlLib().isScalar(p.key) && p.key.value === "members");
        const located = sliced.located?.(name);
        expect(located?.index).toBe(index);
        if (pair !== undefined) expect(located?.at(["members"], "key")).toBe((pair.key as Node).range?.[0]);
      }
      expect(sliced.located?.("no such group")).toBeUndefined();
    });
  }

  it("opens reviews with the text edited just before each members key, wherever it sits", () => {
    const opened = openReviewsText(
      FILE,
      FILES["flush"] ?? "",
      [
        { group: "a", pending: ["alice", "bob"] },
        { group: "last", pending: ["x"] },
      ],
      "2026-07-01",
    );
    expect(opened).toMatchObject({
      text:
        "groups:\n- name: a\n  review:\n    due: 2026-07-01\n    pending:\n      - alice\n      - bob\n" +
        "  members:\n  - alice\n  - bob\n- name: b\n  owners:\n  - carol\n  members: []\n" +
        "- review:\n    due: 2026-07-01\n    pending:\n      - x\n  members: [x]\n  name: last",
    });
  });

  it("leaves a key it cannot place by position, or a flow group, to the whole file's parse", () => {
    const quoted = 'groups:\n  - name: a\n    "members":\n      - x\n';
    expect(() => slicesOf(quoted).located?.("a")?.at(["members"], "key")).toThrow();
    const edited = openReviewsText(FILE, quoted, [{ group: "a", pending: ["x"] }], "2026-07-01");
    expect("text" in edited && edited.text).toBe(
      'groups:\n  - name: a\n    review:\n      due: 2026-07-01\n      pending:\n        - x\n    "members":\n      - x\n',
    );
    const flow = "groups:\n  - { name: a, members: [x] }\n";
    expect(openReviewsText(FILE, flow, [{ group: "a", pending: ["x"] }], "2026-07-01")).toMatchObject({
      problem: 'group "a" is written as a flow mapping',
    });
    const reviewing = FILES["indented"] ?? "";
    expect(openReviewsText(FILE, reviewing, [{ group: "c d", pending: ["x"] }], "2026-07-01")).toMatchObject({
      problem: 'group "c d" has a review already',
    });
  });
});

describe("closing a review from the loader's positions (closeCuts)", () => {
  // Reviews as `review open` writes them and as people edit them: comments, grants as mappings, a flow
  // pending list, an emptied pending list, a review on the dash line, and no newline at the end. (A file
  // the fast reader does not take, `pending:` left without a value say, is not sliced at all.)
  const REVIEWED: Record<string, string> = {
    written:
      "groups:\n  - name: a\n    owners: [carol]\n    review:\n      due: 2026-06-30\n      pending:\n" +
      "        - alice\n        - dave\n    members:\n      - alice\n      - bob # on loan\n" +
      "      - user: dave\n        until: 2026-12-31\n        reason: INC-1 # the incident\n" +
      "      # trailing comment in the list\n  - name: b\n    review:\n      due: 2026-06-30\n" +
      "      pending: [erin]\n    members:\n      - erin\n",
    edited:
      "groups:\n- name: c\n  review:\n    due: 2026-06-30\n    # every name re-certified\n    pending: []\n" +
      "  members:\n  - x\n- review: { due: 2026-06-30, pending: [y] }\n  members:\n  - y\n  name: d",
  };
  const REVOKES: ReadonlySet<string>[] = [
    new Set(),
    new Set(["alice"]),
    new Set(["dave", "bob"]),
    new Set(["alice", "bob", "dave"]),
    new Set(["erin", "x", "y"]),
  ];

  for (const [layout, text] of Object.entries(REVIEWED)) {
    it(`cuts what the group's parse would (${layout})`, () => {
      const whole = groupsByName(text);
      const sliced = slicesOf(text);
      let compared = 0;
      for (const name of whole.keys())
        for (const revoke of REVOKES) {
          const label = `${name} ${[...revoke].join(",")}`;
          let expected: ReturnType<typeof closeCuts> | undefined;
          try {
            expected = closeCuts(text, whole, name, revoke);
          } catch {
            // Not edited from the group's node (a review on the dash line): not from positions either.
            expect(() => closeCuts(text, sliced, name, revoke), label).toThrow();
          }
          if (expected !== undefined)
            expect(closeCuts(text, sliced, name, revoke), label).toStrictEqual(expected);
          compared++;
        }
      expect(compared).toBe(whole.size * REVOKES.length);
    });
  }

  it("closes reviews in one edit that reads back as the data with the reviews closed", () => {
    const closed = closeReviewText(FILE, REVIEWED["written"] ?? "", [
      { group: "a", revoke: new Set(["dave"]) },
      { group: "b", revoke: new Set(["erin"]) },
    ]);
    expect("text" in closed && closed.text).toBe(
      "groups:\n  - name: a\n    owners: [carol]\n    members:\n      - alice\n      - bob # on loan\n" +
        "      # trailing comment in the list\n  - name: b\n    members: []\n",
    );
  });

  it("leaves a flow members list to the group's parse", () => {
    const text =
      "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending: [x]\n    members: [x, y]\n";
    expect(() => closeCuts(text, slicesOf(text), "a", new Set(["x"]))).toThrow();
    const closed = closeReviewText(FILE, text, [{ group: "a", revoke: new Set(["x"]) }]);
    expect("text" in closed && closed.text).toBe("groups:\n  - name: a\n    members: [y]\n");
  });
});
