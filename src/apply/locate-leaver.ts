import type { Provider } from "../providers/types.ts";

/**
 * Where the offboarding check finds a leaver's account: by the system's stable id first (OpenLDAP
 * entryUUID: an account renamed or moved since is still the same account), by name only where it has no
 * id to look for. A check that finds no account calls the account gone only when that is verified: the
 * system looked the id up across all of it and no account holds it, and none has the name either; or
 * the run itself just removed or disabled the account by that name; or the verdict re-checked had
 * already found it gone. Otherwise the account may live on under another name or elsewhere, and the
 * check says it could not check it rather than call it clean.
 */

/** What looking the leavers' stable ids up found: each id's account now (ids no account holds are left out). */
export type IdLookup =
  | { readonly found: ReadonlyMap<string, string> }
  | { readonly error: string }
  /** Not looked up: no leaver has an id, or the system cannot look accounts up by id. */
  | undefined;

/** Looks `ids` up in `provider` (once each). Throws what the provider throws. */
export async function lookUpIds(
  provider: Provider,
  ids: readonly string[],
  signal: AbortSignal,
): Promise<IdLookup> {
  const unique = [...new Set(ids)];
  if (unique.length === 0 || provider.accountsById === undefined) return undefined;
  const found = await provider.accountsById(unique, signal);
  return found === undefined ? undefined : { found };
}

/**
 * How one leaver's account is checked: under `account`, its name now (with `error`: found, but it could
 * not be checked there); or not at all (`isUnchecked`): what the name finds is not the leaver's account
 * (another account holds it), or there is nothing there to look at, so the check carries only the error.
 */
export type Located =
  | {
      readonly account: string;
      /** Found by its stable id under another name than the one the leaver's entry gives. */
      readonly renamedTo?: string;
      /** Why the account could not be checked: not clean, and the check says so. */
      readonly error?: string;
      readonly isUnchecked?: never;
    }
  | { readonly account: string; readonly isUnchecked: true; readonly error: string };

/** What locateLeaver needs to know of one leaver beyond its name. */
export interface LocateInput {
  readonly account: string;
  /** The stable id to look for (the run's change gave it, or the verdict re-checked kept it). */
  readonly accountId: string | undefined;
  /** The re-check of an open verdict (see LeaverAccount.verdict); undefined for a first check. */
  readonly verdict: { readonly wasGone: boolean; readonly nameGivenTo?: string } | undefined;
  /** The run sent a disable or delete of this account (applied or not). */
  readonly isActedOn: boolean;
}

/**
 * The message of an account found neither by a stable id nor by its name: `hasId`, gatehouse knows one
 * but the system cannot look it up (as configured now).
 */
export function notFoundMessage(account: string, hasId: boolean): string {
  const why = hasId
    ? "gatehouse cannot look its stable id up in this system as configured now"
    : "the system gave gatehouse no stable id of it to look for";
  return `account not found by id or name: no account is named ${account}, and ${why}, so it may have been renamed or moved out of the scope gatehouse reads; it could not be checked: check by hand`;
}

/**
 * Where to check `leaver`: `lookup` is what the system said of the stable ids, `isNamed` whether the read
 * the check is made on holds an account of that name, and `fold` how the system compares names.
 */
export function locateLeaver(
  leaver: LocateInput,
  lookup: IdLookup,
  isNamed: (account: string) => boolean,
  fold: (name: string) => string,
): Located {
  const id = leaver.accountId;
  if (id !== undefined && lookup !== undefined) {
    if ("error" in lookup)
      return {
        account: leaver.account,
        isUnchecked: true,
        error: `looking the account up by its stable id failed: ${lookup.error}`,
      };
    const now = lookup.found.get(id);
    if (now !== undefined) {
      const renamedTo = fold(now) === fold(leaver.account) ? undefined : now;
      if (isNamed(now)) return { account: now, ...(renamedTo === undefined ? {} : { renamedTo }) };
      return renamedTo === undefined
        ? {
            account: now,
            error: `the account was moved since (found by its stable id ${id}), outside the scope gatehouse reads: it could not be checked; check by hand`,
          }
        : {
            account: now,
            renamedTo,
            error: `the account was renamed since to ${renamedTo}, outside the scope gatehouse reads: it could not be checked`,
          };
    }
    // No account holds the id: the account is gone, unless the name says otherwise.
    if (!isNamed(leaver.account)) return { account: leaver.account };
    return {
      account: leaver.account,
      isUnchecked: true,
      error: `no account holds its stable id ${id} any more, but an account named ${leaver.account} is there, another one: whose it is, the check cannot tell; check by hand`,
    };
  }
  const verdict = leaver.verdict;
  // A first check, or one of an account the run just disabled or deleted by that name: as named.
  if (verdict === undefined || leaver.isActedOn) return { account: leaver.account };
  if (verdict.nameGivenTo !== undefined)
    return {
      account: leaver.account,
      isUnchecked: true,
      error: `the files give the name ${leaver.account} to ${verdict.nameGivenTo} now, and gatehouse knows no stable id of the leaver's account to tell it from theirs: it could not be checked; check by hand`,
    };
  if (isNamed(leaver.account) || verdict.wasGone) return { account: leaver.account };
  return {
    account: leaver.account,
    isUnchecked: true,
    error: notFoundMessage(leaver.account, id !== undefined),
  };
}
