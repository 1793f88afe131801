import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

describe("turning native nesting off", () => {
  it("takes out group-in-group links left from when it was on, and gives the flattened members", () => {
    const files = model({
      users: [user("ann"), user("ben")],
      groups: [
        group("inner", ["ben"]),
        group("outer", [
          "ann",
          { kind: "group", group: "inner", source: { file: "g.yaml", line: 1, column: 1 } },
        ]),
      ],
    });
    const stored = live(
      [liveUser("ann"), liveUser("ben")],
      [liveGroup("inner", ["ben"]), liveGroup("outer", ["ann"], { groupMembers: ["inner"] })],
    );
    const changes = planFor(files, { mode: "authoritative", live: stored, nativeNesting: false }).changes;
    expect(changes.map((c) => `${c.kind}.${c.action} ${c.id}`)).toEqual([
      "membership.add directory:membership/outer/ben",
      "membership.remove directory:membership/outer/group:inner",
    ]);
  });
});
