import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import {
  memberClauses,
  otherCaseValues,
  searchIgnoringCase,
} from "../../src/providers/ldap/member-clauses.ts";

const BEN = { account: "ben", dns: ["uid=ben,ou=people,dc=example,dc=com"], name: "ben" };
const ATTRIBUTES = [
  { name: "member", byDn: true },
  { name: "memberUid", byDn: false },
];

describe("memberClauses", () => {
  it("matches an account value also ignoring case, and a DN as it is", () => {
    expect(memberClauses(BEN, ATTRIBUTES, true)).toBe(
      "(member=uid=ben,ou=people,dc=example,dc=com)(memberUid=ben)(memberUid:caseIgnoreIA5Match:=ben)",
    );
    expect(memberClauses(BEN, ATTRIBUTES, false)).toBe(
      "(member=uid=ben,ou=people,dc=example,dc=com)(memberUid=ben)",
    );
  });

  it("escapes the account in the case-ignoring clause", () => {
    expect(memberClauses({ account: "a*", dns: [], name: "a*" }, ATTRIBUTES, true)).toBe(
      "(memberUid=a\\2a)(memberUid:caseIgnoreIA5Match:=a\\2a)",
    );
  });

  it("tells a value in another case from the account's own spelling", () => {
    expect(otherCaseValues(["ben", "Ben", "BEN", "bennet"], "ben")).toEqual(["Ben", "BEN"]);
  });
});

describe("searchIgnoringCase", () => {
  const refused = new ProviderError("ldap", "search", "inappropriate matching (LDAP 18)", { status: 18 });

  it("searches again without the case-ignoring clauses when the server refuses them, and keeps to that", async () => {
    const state = { ignoreCase: true };
    const asked: boolean[] = [];
    const fallbacks: unknown[] = [];
    const search = (ignoreCase: boolean): Promise<string[]> => {
      asked.push(ignoreCase);
      return ignoreCase ? Promise.reject(refused) : Promise.resolve(["cn=vpn"]);
    };
    const onFallback = (e: unknown): void => {
      fallbacks.push(e);
    };
    const isTransient = (): boolean => false;
    expect(await searchIgnoringCase(state, search, onFallback, isTransient)).toEqual(["cn=vpn"]);
    expect(await searchIgnoringCase(state, search, onFallback, isTransient)).toEqual(["cn=vpn"]);
    expect(asked).toEqual([true, false, false]);
    expect(fallbacks).toEqual([refused]);
    expect(state.ignoreCase).toBe(false);
  });

  it("fails as the plain search fails, and keeps ignoring case then", async () => {
    const state = { ignoreCase: true };
    const down = new ProviderError("ldap", "search", "unwilling to perform (LDAP 53)", { status: 53 });
    const search = (ignoreCase: boolean): Promise<string[]> => Promise.reject(ignoreCase ? refused : down);
    await expect(
      searchIgnoringCase(
        state,
        search,
        () => undefined,
        () => false,
      ),
    ).rejects.toBe(down);
    expect(state.ignoreCase).toBe(true);
  });

  it("does not search again after a transient failure", async () => {
    const state = { ignoreCase: true };
    const busy = new ProviderError("ldap", "search", "busy (LDAP 51)", { status: 51, isTransient: true });
    const asked: boolean[] = [];
    const search = (ignoreCase: boolean): Promise<string[]> => {
      asked.push(ignoreCase);
      return Promise.reject(busy);
    };
    await expect(
      searchIgnoringCase(
        state,
        search,
        () => undefined,
        () => true,
      ),
    ).rejects.toBe(busy);
    expect(asked).toEqual([true]);
    expect(state.ignoreCase).toBe(true);
  });
});
