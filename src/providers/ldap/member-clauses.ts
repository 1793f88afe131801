import { escapeFilterValue } from "./dn.ts";

/**
 * Filter clauses for the offboarding check's search for groups naming a leaver (groupsOutsideHolding).
 *
 * `memberUid` is an IA5String compared with caseExactIA5Match in the standard nis schema, while the
 * account it names (`uid`) ignores case: `(memberUid=ben)` misses a group holding `memberUid: Ben`, and the
 * check would call the leaver clean. So an account value is also matched with the extensible filter
 * `(memberUid:caseIgnoreIA5Match:=ben)`, beside the plain clause: a server that does not know the rule
 * evaluates that clause to Undefined (OpenLDAP does), and the plain clause still matches the exact value.
 * A server that refuses the whole search over it is searched again without it (searchIgnoringCase).
 */

/** The matching rule (RFC 4517 §4.2.13) that compares IA5 strings ignoring case. */
export const CASE_IGNORE_IA5 = "caseIgnoreIA5Match";

/** A member attribute through which a group grants access. */
export interface MemberAttribute {
  readonly name: string;
  /** Its values are DNs (else account names). */
  readonly byDn: boolean;
}

/** A leaver as member values may name them: the account asked about, DNs, and the account value. */
export interface NamedLeaver {
  readonly account: string;
  readonly dns: readonly string[];
  readonly name: string;
}

/**
 * The filter clauses (to be ORed) matching a value of one of `attributes` that names `leaver`;
 * `ignoreCase`: account values also whatever their case.
 */
export function memberClauses(
  leaver: NamedLeaver,
  attributes: readonly MemberAttribute[],
  ignoreCase: boolean,
): string {
  return attributes
    .flatMap((a) =>
      a.byDn ? leaver.dns.map((dn) => exact(a.name, dn)) : accountClauses(a.name, leaver.name, ignoreCase),
    )
    .join("");
}

/** The values of `values` that name `account` only when case is ignored. */
export function otherCaseValues(values: readonly string[], account: string): string[] {
  const folded = account.toLowerCase();
  return values.filter((v) => v !== account && v.toLowerCase() === folded);
}

function accountClauses(attribute: string, account: string, ignoreCase: boolean): string[] {
  return ignoreCase
    ? [exact(attribute, account), ignoringCase(attribute, account)]
    : [exact(attribute, account)];
}

const exact = (attribute: string, value: string): string => `(${attribute}=${escapeFilterValue(value)})`;

const ignoringCase = (attribute: string, value: string): string =>
  `(${attribute}:${CASE_IGNORE_IA5}:=${escapeFilterValue(value)})`;

/**
 * Runs `search` with the case-ignoring clauses while `state.ignoreCase` holds; a server that refuses it
 * (an error that is not transient) is asked again without them, and if that works, `state.ignoreCase`
 * turns false for the rest of the provider's life and `onFallback` says why. A failure of the plain
 * search too is that failure, as before.
 */
export async function searchIgnoringCase<T>(
  state: { ignoreCase: boolean },
  search: (ignoreCase: boolean) => Promise<T>,
  onFallback: (error: unknown) => void,
  isTransient: (error: unknown) => boolean,
): Promise<T> {
  if (!state.ignoreCase) return search(false);
  try {
    return await search(true);
  } catch (error) {
    if (isTransient(error)) throw error;
    const found = await search(false);
    state.ignoreCase = false;
    onFallback(error);
    return found;
  }
}
