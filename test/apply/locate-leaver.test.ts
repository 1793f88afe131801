import { describe, expect, it } from "vitest";
import { locateLeaver, type IdLookup, type LocateInput } from "../../src/apply/locate-leaver.ts";

/** A directory whose read holds `names`, compared whatever their case; `found`: its ids → names now. */
function locate(
  leaver: Partial<LocateInput>,
  names: readonly string[],
  lookup?: IdLookup,
): ReturnType<typeof locateLeaver> {
  const read = new Set(names.map((n) => n.toLowerCase()));
  return locateLeaver(
    { account: "ben", accountId: undefined, verdict: undefined, isActedOn: false, ...leaver },
    lookup,
    (name) => read.has(name.toLowerCase()),
    (name) => name.toLowerCase(),
  );
}

const REOPEN = { wasGone: false } as const;
const found = (entries: Record<string, string>): IdLookup => ({ found: new Map(Object.entries(entries)) });

describe("locateLeaver", () => {
  it.each([
    {
      name: "by its stable id, under its name now",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: ["ben3"],
      lookup: found({ u1: "ben3" }),
      expected: { account: "ben3", renamedTo: "ben3" },
    },
    {
      name: "by its stable id, under its name in another case: not a rename",
      leaver: { accountId: "u1" },
      names: ["Ben"],
      lookup: found({ u1: "Ben" }),
      expected: { account: "Ben" },
    },
    {
      name: "gone: no account holds the id nor the name",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: ["ada"],
      lookup: found({}),
      expected: { account: "ben" },
    },
    {
      name: "a first check by name where the system gives no ids",
      leaver: {},
      names: [],
      lookup: undefined,
      expected: { account: "ben" },
    },
    {
      name: "a re-check of an account the run just disabled by that name",
      leaver: { verdict: REOPEN, isActedOn: true },
      names: [],
      lookup: undefined,
      expected: { account: "ben" },
    },
    {
      name: "a re-check by name of an account its verdict had found gone already",
      leaver: { verdict: { wasGone: true } },
      names: [],
      lookup: undefined,
      expected: { account: "ben" },
    },
  ])("checks the account $name", ({ leaver, names, lookup, expected }) => {
    expect(locate(leaver, names, lookup)).toEqual(expected);
  });

  it.each([
    {
      name: "holds its id no more while an account of its name is there: another one",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: ["ben"],
      lookup: found({}),
      error: /^no account holds its stable id u1 any more, but an account named ben is there, another one/,
      isUnchecked: true,
    },
    {
      name: "is found by its id outside the scope read, under its own name (moved)",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: [],
      lookup: found({ u1: "ben" }),
      error: /^the account was moved since \(found by its stable id u1\), outside the scope gatehouse reads/,
      isUnchecked: undefined,
    },
    {
      name: "could not be looked up by its id",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: ["ben"],
      lookup: { error: "connection reset" },
      error: /^looking the account up by its stable id failed: connection reset$/,
      isUnchecked: true,
    },
    {
      name: "has no id and no account of its name is read, its verdict not having found it gone",
      leaver: { verdict: REOPEN },
      names: ["ben2"],
      lookup: undefined,
      error:
        /^account not found by id or name: no account is named ben, and the system gave gatehouse no stable id/,
      isUnchecked: true,
    },
    {
      name: "has an id the system cannot look up as configured now",
      leaver: { accountId: "u1", verdict: REOPEN },
      names: [],
      lookup: undefined,
      error:
        /^account not found by id or name: no account is named ben, and gatehouse cannot look its stable id up/,
      isUnchecked: true,
    },
    {
      name: "has no id, and its name is someone else's in the files now",
      leaver: { verdict: { wasGone: false, nameGivenTo: "bea" } },
      names: ["ben"],
      lookup: undefined,
      error: /^the files give the name ben to bea now/,
      isUnchecked: true,
    },
  ])("does not check an account that $name", ({ leaver, names, lookup, error, isUnchecked }) => {
    const located = locate(leaver, names, lookup);
    expect(located.error).toMatch(error);
    expect(located.isUnchecked).toBe(isUnchecked);
  });
});
