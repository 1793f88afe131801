import { describe, expect, it } from "vitest";
import { pruneText } from "../../src/engine/prune.ts";

const PAST = "2026-01-01T00:00:00Z";
/** Prunes every grant whose until is PAST. */
const prune = (text: string) => pruneText("access/groups/a.yaml", text, (_g, _u, until) => until === PAST);

describe("pruneText", () => {
  it("deletes block items, one-line and multi-line, and keeps comments and layout", () => {
    const text = `# platform teams
groups:
  - name: team-a   # the A team
    owners: [carol]
    members:
      - alice
      # bob covers the incident
      - user: bob
        until: ${PAST}
        reason: INC-1 on call
      - { user: dan, until: ${PAST} }
      - user: erin
        until: 2099-01-01T00:00:00Z
`;
    expect(prune(text)).toEqual({
      removed: 2,
      unpended: [],
      text: `# platform teams
groups:
  - name: team-a   # the A team
    owners: [carol]
    members:
      - alice
      # bob covers the incident
      - user: erin
        until: 2099-01-01T00:00:00Z
`,
    });
  });

  it("deletes flow items with their commas", () => {
    const text = `groups:\n  - name: a\n    owners: [c]\n    members: [x, {user: y, until: "${PAST}"}, z]\n  - name: b\n    owners: [c]\n    members: [{user: y, until: "${PAST}"}, x]\n`;
    const result = prune(text);
    expect(result).toEqual({
      removed: 2,
      unpended: [],
      text: `groups:\n  - name: a\n    owners: [c]\n    members: [x, z]\n  - name: b\n    owners: [c]\n    members: [x]\n`,
    });
  });

  it("deletes adjacent flow items, and keeps the others as they were written", () => {
    const text = `groups:\n  - name: a\n    owners: [c]\n    members: [{user: y, until: "${PAST}"}, { user: w, until: "${PAST}" }, "x", {user: v, until: "2099-01-01T00:00:00Z"}]\n`;
    expect(prune(text)).toEqual({
      removed: 2,
      unpended: [],
      text: `groups:\n  - name: a\n    owners: [c]\n    members: ["x", {user: v, until: "2099-01-01T00:00:00Z"}]\n`,
    });
  });

  it("leaves an empty list, never a missing one, when every member goes", () => {
    const text = `groups:\n  - name: a\n    owners: [c]\n    members:\n      - user: y\n        until: ${PAST}\n    description: kept\n`;
    expect(prune(text)).toEqual({
      removed: 1,
      unpended: [],
      text: `groups:\n  - name: a\n    owners: [c]\n    members: []\n    description: kept\n`,
    });
    const flow = `groups:\n  - name: a\n    owners: [c]\n    members: [{ user: y, until: "${PAST}" }]\n`;
    expect(prune(flow)).toEqual({
      removed: 1,
      unpended: [],
      text: `groups:\n  - name: a\n    owners: [c]\n    members: []\n`,
    });
  });

  it("changes nothing when no grant is picked, and refuses a layout it does not edit", () => {
    const none = `groups:\n  - name: a\n    owners: [c]\n    members: [x]\n`;
    expect(prune(none)).toEqual({ text: none, removed: 0, unpended: [] });
    const dashAlone = `groups:\n  - name: a\n    owners: [c]\n    members:\n      -\n        user: y\n        until: ${PAST}\n`;
    expect(prune(dashAlone)).toEqual({
      problem:
        "a grant's list item, or its name in a review's pending list, is laid out in a way prune does not edit",
    });
  });

  it("reads the file through gatehouse's loader: what it refuses, prune does not edit", () => {
    // The yaml package reads these; the loader refuses a key that reaches a prototype, and alias bombs.
    const proto = `groups:\n  - name: a\n    owners: [c]\n    __proto__: { x: 1 }\n    members:\n      - user: y\n        until: ${PAST}\n`;
    expect(prune(proto)).toEqual({ problem: "it does not parse" });
    const lol = Array.from(
      { length: 6 },
      (_, i) =>
        `  l${String(i + 1)}: &l${String(i + 1)} [${Array(10)
          .fill(`*l${String(i)}`)
          .join(", ")}]`,
    );
    const bomb = `x:\n  l0: &l0 [lol]\n${lol.join("\n")}\ngroups:\n  - name: a\n    owners: [c]\n    members:\n      - user: y\n        until: ${PAST}\n`;
    expect(prune(bomb)).toEqual({ problem: "it does not parse" });
  });
});
