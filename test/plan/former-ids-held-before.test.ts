/**
 * A name the journal saw held under a person's former id is theirs (formerIds): the plan makes it for
 * them as any name of their own, without searching what "another person" left naming it.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { group, live, liveGroup, model, planFor, user } from "../builders.ts";

const withUser = (changes: readonly Change[]): string[] =>
  changes.map((c) => `${c.kind}.${c.action} ${c.id} ${c.userId ?? "-"}`);

describe("a name held under a former id (namesHeldBefore)", () => {
  // bea.old was managed for `bea`, and is gone from the system since; `bea` is `ann` now.
  const options = {
    journalAccounts: new Map([["directory\nbea", ["bea.old"]]]),
    renamedAway: new Map([["directory\nbea.older", ["bea"]]]),
    live: live([], [liveGroup("team-ann-write", [])]),
    capabilities: { userAttributes: [] },
    stillNaming: new Map([
      ["bea.old", { outside: ["cn=legacy,dc=example,dc=com"], unread: [], managerOf: [] }],
    ]),
  };
  const files = (account: string, formerIds?: string[]) =>
    model({
      users: [user("ann", { accounts: { directory: account }, ...(formerIds ? { formerIds } : {}) })],
      groups: [group("team-ann-write", ["ann"])],
    });

  it("is made for the person who lists the id in formerIds, unmarked", () => {
    for (const account of ["bea.old", "bea.older"]) {
      const plan = planFor(files(account, ["bea"]), options);
      expect(withUser(plan.changes), account).toEqual([
        `user.create directory:user/${account} ann`,
        `membership.add directory:membership/team-ann-write/${account} ann`,
      ]);
      expect(plan.changes[0], account).not.toHaveProperty("heldBefore");
      expect(plan.notes, account).toEqual([]);
    }
  });

  it("is held back for anyone else while what bea left still names it", () => {
    const plan = planFor(files("bea.old"), options);
    expect(withUser(plan.changes)).toEqual([]);
    expect(plan.notes.map((n) => n.message).join("\n")).toContain("the name was bea's in directory");
  });
});
