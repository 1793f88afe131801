import { describe, expect, it } from "vitest";
import { formerIdsOf, idNow, journalAccountsNow } from "../../src/desired/former-ids.ts";
import type { User } from "../../src/model/access.ts";
import { user } from "../builders.ts";

const usersOf = (...list: User[]): ReadonlyMap<string, User> => new Map(list.map((u) => [u.id, u]));

describe("formerIdsOf and idNow", () => {
  it("maps each former id to the person's id now, and any other id to itself", () => {
    const users = usersOf(user("dmitri.volkov", { formerIds: ["dmitri", "dv"] }), user("ann"));
    const former = formerIdsOf(users);
    expect([...former]).toEqual([
      ["dmitri", "dmitri.volkov"],
      ["dv", "dmitri.volkov"],
    ]);
    expect(idNow(former, "dv")).toBe("dmitri.volkov");
    expect(idNow(former, "ann")).toBe("ann");
    expect(idNow(former, "gone")).toBe("gone");
    expect(formerIdsOf(users)).toBe(former); // built once per users map
  });

  it("leaves an id of someone in the files theirs, and gives an id two people list to the first (GH236 refuses both)", () => {
    const users = usersOf(
      user("ann", { formerIds: ["ann", "bob"] }),
      user("bob"),
      user("cy", { formerIds: ["old"] }),
      user("dee", { formerIds: ["old"] }),
    );
    expect([...formerIdsOf(users)]).toEqual([["old", "cy"]]);
  });
});

describe("journalAccountsNow", () => {
  it("puts a former id's accounts under the person's id now, after their own, in every system", () => {
    const former = formerIdsOf(usersOf(user("dmitri.volkov", { formerIds: ["dmitri"] })));
    const journal = new Map([
      ["directory\ndmitri", ["dmitri", "dmitri.v"]],
      ["directory\ndmitri.volkov", ["dmitri.v", "dvolkov"]],
      ["app\ndmitri", ["dmitri-app"]],
      ["directory\nann", ["ann"]],
    ]);
    expect([...journalAccountsNow(journal, former)].sort()).toEqual([
      ["app\ndmitri.volkov", ["dmitri-app"]],
      ["directory\nann", ["ann"]],
      ["directory\ndmitri.volkov", ["dmitri.v", "dvolkov", "dmitri"]],
    ]);
    expect(journal.get("directory\ndmitri")).toEqual(["dmitri", "dmitri.v"]); // the fold is left as it is
  });

  it("gives the same map back when no key names a former id", () => {
    const journal = new Map([["directory\nann", ["ann"]]]);
    expect(journalAccountsNow(journal, formerIdsOf(usersOf(user("ann"))))).toBe(journal);
    const former = formerIdsOf(usersOf(user("ann", { formerIds: ["annie"] })));
    expect(journalAccountsNow(journal, former)).toBe(journal);
  });
});
