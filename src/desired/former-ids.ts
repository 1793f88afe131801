import type { User } from "../model/access.ts";
import { oncePer } from "../model/once-per.ts";

/**
 * Whose the journal's records of a user id are now (User.formerIds: an id changed, the person did not).
 * Every reader that compares a user id from the journal, an HR export or the policy with the people in
 * the files asks this one lookup, so that a renamed person is never taken for someone who left.
 */

/**
 * Each id listed in someone's `formerIds` → that person's id now; built once per users map (the model is
 * read-only). An id of someone in the files stays theirs, and an id two people list goes to the first:
 * validation refuses both (GH236), so only a tree that did not validate can have them.
 */
export const formerIdsOf = oncePer((users: ReadonlyMap<string, User>): ReadonlyMap<string, string> => {
  const out = new Map<string, string>();
  for (const user of users.values())
    for (const old of user.formerIds ?? []) if (!users.has(old) && !out.has(old)) out.set(old, user.id);
  return out;
});

/** The id now of the person the files say had `id` (itself when nobody lists it in formerIds). */
export function idNow(formerIds: ReadonlyMap<string, string>, id: string): string {
  return formerIds.get(id) ?? id;
}

const rekeyed = new WeakMap<
  ReadonlyMap<string, readonly string[]>,
  { readonly formerIds: ReadonlyMap<string, string>; readonly out: ReadonlyMap<string, readonly string[]> }
>();

/**
 * JournalFold.accounts (keyed `${provider}\n${userId}`) with each former id's accounts under the person's
 * id now, after any they have under it: what gatehouse managed for `dmitri` is `dmitri.volkov`'s once he
 * lists `formerIds: [dmitri]`. The same map when no key names a former id. Worked out once per journal
 * fold and lookup, whichever of the plan's systems asks first.
 */
export function journalAccountsNow(
  accounts: ReadonlyMap<string, readonly string[]>,
  formerIds: ReadonlyMap<string, string>,
): ReadonlyMap<string, readonly string[]> {
  if (formerIds.size === 0 || accounts.size === 0) return accounts;
  const hit = rekeyed.get(accounts);
  if (hit?.formerIds === formerIds) return hit.out;
  let out: Map<string, readonly string[]> | undefined;
  for (const [key, list] of accounts) {
    const cut = key.indexOf("\n");
    const now = formerIds.get(key.slice(cut + 1));
    if (cut < 0 || now === undefined) continue;
    out ??= new Map(accounts);
    out.delete(key);
    const nowKey = `${key.slice(0, cut + 1)}${now}`;
    out.set(nowKey, [...new Set([...(out.get(nowKey) ?? []), ...list])]);
  }
  rekeyed.set(accounts, { formerIds, out: out ?? accounts });
  return out ?? accounts;
}
