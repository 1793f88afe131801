import { describe, expect, it } from "vitest";
import { namesHeldBefore } from "../../src/engine/held-before.ts";
import type { DesiredState, DesiredUser } from "../../src/model/state.ts";
import { live, liveUser } from "../builders.ts";

function desired(users: readonly [account: string, userId: string, enabled?: boolean][]): DesiredState {
  const map = new Map<string, DesiredUser>();
  for (const [account, userId, enabled = true] of users)
    map.set(account, {
      userId,
      account,
      status: enabled ? "active" : "terminated",
      enabled,
      attributes: {},
      source: { file: "access/users/people.yaml", line: 1, column: 1 },
    });
  return { provider: "ldap", users: map, groups: new Map() };
}

const NONE: ReadonlyMap<string, string> = new Map();

describe("namesHeldBefore (the names a plan has the system searched for leftovers of)", () => {
  const journal = {
    // ada left and her account a0 was deleted; bea's was renamed away from b0; cy's account is cy.
    accounts: new Map([
      ["ldap\nada", ["a0"]],
      ["ldap\nbea", ["b1"]],
      ["ldap\ncy", ["cy"]],
      ["other\ndan", ["d0"]],
    ]),
    renamedAway: new Map([
      ["ldap\nB0", ["bea"]],
      ["other\nd1", ["dan"]],
    ]),
  };

  it("lists a leaver's name and a name renamed away from, given to someone else with no account of it yet", () => {
    const state = desired([
      ["a0", "ann"],
      ["b0", "ben"],
      ["cy", "cy"], // their own
      ["new.hire", "nia"], // never held
      ["d0", "dee"], // held in another system only
      ["d1", "dee2"],
    ]);
    const found = namesHeldBefore(state, live([liveUser("cy")]), "ldap", journal, true, NONE);
    expect([...found]).toEqual([
      ["a0", ["ada"]],
      ["b0", ["bea"]],
    ]);
    // Where the system heeds case, B0 is another name than b0.
    expect([...namesHeldBefore(state, live(), "ldap", journal, false, NONE).keys()]).toEqual(
      ["a0", "cy"].slice(0, 1),
    );
  });

  it("leaves out a name with a live account, a person's own former name, and people who are not active", () => {
    const state = desired([
      ["a0", "ann"],
      ["b0", "bea"], // bea takes her old name back
      ["cy", "eve", false],
    ]);
    expect([...namesHeldBefore(state, live([liveUser("A0")]), "ldap", journal, true, NONE)]).toEqual([]);
  });

  it("takes a name held under an id the person lists in formerIds as their own (accounts and renames alike)", () => {
    const state = desired([
      ["a0", "ann"], // ann was ada
      ["b0", "bob"], // bob was bea
    ]);
    const formerIds = new Map([
      ["ada", "ann"],
      ["bea", "bob"],
    ]);
    expect([...namesHeldBefore(state, live(), "ldap", journal, true, formerIds)]).toEqual([]);
    expect([...namesHeldBefore(state, live(), "ldap", journal, true, new Map([["ada", "ann"]]))]).toEqual([
      ["b0", ["bea"]],
    ]);
  });
});
