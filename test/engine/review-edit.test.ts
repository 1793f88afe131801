import { describe, expect, it } from "vitest";
import {
  appendPendingsText,
  appendPendingText,
  closeReviewText,
  openReviewsText,
  openReviewText,
} from "../../src/engine/review-edit.ts";

const FILE = "access/groups/g.yaml";

describe("review edits as text", () => {
  it("opens a review in a group whose first key is members, after the dash", () => {
    const text = "groups:\n  - members: [alice]\n    name: a\n    owners: [carol]\n";
    const result = openReviewText(FILE, text, "a", "2026-06-30", ["alice"]);
    expect(result).toMatchObject({
      text: "groups:\n  - review:\n      due: 2026-06-30\n      pending:\n        - alice\n    members: [alice]\n    name: a\n    owners: [carol]\n",
    });
  });

  it("opens reviews in several groups of a file in one edit, as one group at a time would", () => {
    const text =
      "groups:\n  - name: a\n    owners: [carol]\n    members: [alice, bob]\n" +
      "  # the b team\n  - name: b\n    owners: [carol]\n    members:\n      - bob\n" +
      "  - members: [dave]\n    name: c\n    owners: [carol]\n";
    const one = (t: string, group: string, pending: string[]): string => {
      const r = openReviewText(FILE, t, group, "2026-06-30", pending);
      if (!("text" in r)) throw new Error(r.problem);
      return r.text;
    };
    const sequential = one(one(one(text, "a", ["alice", "bob"]), "b", ["bob"]), "c", ["dave"]);
    const batched = openReviewsText(
      FILE,
      text,
      [
        { group: "c", pending: ["dave"] },
        { group: "a", pending: ["alice", "bob"] },
        { group: "b", pending: ["bob"] },
      ],
      "2026-06-30",
    );
    expect(batched).toMatchObject({ text: sequential });
    expect(sequential).toContain("  # the b team\n  - name: b\n    owners: [carol]\n    review:\n");
    // One group it cannot edit refuses the whole file.
    expect(
      openReviewsText(
        FILE,
        text,
        [
          { group: "a", pending: [] },
          { group: "zz", pending: [] },
        ],
        "2026-06-30",
      ),
    ).toEqual({ problem: 'group "zz" is not defined exactly once in the file' });
  });

  it("closes a review in a flow members list, keeping the other items as written", () => {
    const text =
      "groups:\n  - name: a\n    owners: [carol]\n    review: { due: 2026-06-30, pending: [bob] }\n" +
      '    members: [alice, { user: bob, until: "2026-09-01T00:00:00Z" }, "dave"] # the team\n';
    expect(closeReviewText(FILE, text, [{ group: "a", revoke: new Set(["bob"]) }])).toEqual({
      text: 'groups:\n  - name: a\n    owners: [carol]\n    members: [alice, "dave"] # the team\n',
    });
  });

  it("refuses what it cannot edit safely, with the reason", () => {
    const flow = "groups:\n  - { name: a, owners: [carol], members: [alice] }\n";
    // With where the group starts (the line's `{`), which the commands show as file:line:col.
    expect(openReviewText(FILE, flow, "a", "2026-06-30", ["alice"])).toEqual({
      problem: 'group "a" is written as a flow mapping',
      at: flow.indexOf("{"),
    });
    const twice = "groups:\n  - name: a\n    members: [x]\n  - name: a\n    members: [y]\n";
    expect(openReviewText(FILE, twice, "a", "2026-06-30", ["x"])).toEqual({
      problem: 'group "a" is not defined exactly once in the file',
    });
    const open = "groups:\n  - name: a\n    review: { due: 2026-06-30, pending: [] }\n    members: [x]\n";
    expect(openReviewText(FILE, open, "a", "2026-07-30", ["x"])).toEqual({
      problem: 'group "a" has a review already',
      at: open.indexOf("review"),
    });
  });

  it("appends names to a block pending list, in its own indentation, keeping comments", () => {
    const text =
      "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending: # not yet\n" +
      "      - alice # first\n      - bob\n    members: [alice, bob, dave]\n";
    expect(appendPendingText(FILE, text, "a", ["dave", "bob"])).toEqual({
      text:
        "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending: # not yet\n" +
        "      - alice # first\n      - bob\n      - dave\n    members: [alice, bob, dave]\n",
    });
  });

  it("appends to a flow list, and writes a block list under a pending left without a value", () => {
    const flow =
      "groups:\n  - name: a\n    review: { due: 2026-06-30, pending: [alice] }\n    members: [alice, dave]\n";
    expect(appendPendingText(FILE, flow, "a", ["dave"])).toEqual({
      text: "groups:\n  - name: a\n    review: { due: 2026-06-30, pending: [alice, dave] }\n    members: [alice, dave]\n",
    });
    const empty =
      "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending:\n    members: [dave]";
    expect(appendPendingText(FILE, empty, "a", ["dave"])).toEqual({
      text: "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending:\n        - dave\n    members: [dave]",
    });
    const last =
      "groups:\n  - name: a\n    members: [alice, dave]\n    review:\n      due: 2026-06-30\n      pending:\n        - alice";
    expect(appendPendingText(FILE, last, "a", ["dave"])).toEqual({ text: `${last}\n        - dave\n` });
  });

  it("changes nothing for a name pending already, and refuses a group without a review", () => {
    const text =
      "groups:\n  - name: a\n    review: { due: 2026-06-30, pending: [alice] }\n    members: [alice]\n";
    expect(appendPendingText(FILE, text, "a", ["alice"])).toEqual({ text });
    expect(appendPendingText(FILE, "groups:\n  - name: a\n    members: [x]\n", "a", ["x"])).toEqual({
      problem: 'group "a" has no review block',
      at: "groups:\n  - ".length,
    });
    const flowNull = "groups:\n  - name: a\n    review: { due: 2026-06-30, pending: }\n    members: [x]\n";
    expect(appendPendingText(FILE, flowNull, "a", ["x"])).toEqual({
      problem: 'the pending list of "a" is laid out in a way review does not edit',
      at: flowNull.indexOf("pending"),
    });
  });

  it("appends to the reviews of several groups of a file in one edit, as one group at a time would", () => {
    const text =
      "groups:\n  - name: a\n    review:\n      due: 2026-06-30\n      pending: # not yet\n" +
      "      - alice # first\n    members: [alice, bob, dave]\n" +
      "  - name: b\n    review: { due: 2026-06-30, pending: [alice] }\n    members: [alice, dave]\n" +
      "  - name: c\n    review: { due: 2026-06-30, pending: [dave] }\n    members: [dave]\n" +
      "  - name: d\n    members: [alice, dave]\n    review:\n      due: 2026-06-30\n      pending:";
    const one = (t: string, group: string, names: string[]): string => {
      const r = appendPendingText(FILE, t, group, names);
      if (!("text" in r)) throw new Error(r.problem);
      return r.text;
    };
    const sequential = one(one(one(one(text, "a", ["dave", "bob"]), "b", ["dave"]), "c", ["dave"]), "d", [
      "alice",
    ]);
    const appends = [
      { group: "a", names: ["dave", "bob"] },
      { group: "b", names: ["dave"] },
      { group: "c", names: ["dave"] },
      { group: "d", names: ["alice"] },
    ];
    expect(appendPendingsText(FILE, text, appends)).toEqual({ text: sequential });
    expect(sequential).toContain("pending: [alice, dave] }");
    expect(sequential.endsWith("      pending:\n        - alice\n")).toBe(true);
    // One group it cannot edit refuses the whole file.
    expect(appendPendingsText(FILE, text, [...appends, { group: "zz", names: ["x"] }])).toEqual({
      problem: 'group "zz" is not defined exactly once in the file',
    });
  });
});
