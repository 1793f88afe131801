import type { DesiredState, LiveState } from "../model/state.ts";
import { messageOf } from "../errors.ts";
import { nameFold } from "../plan/align-case.ts";
import { userAddress } from "../plan/addresses.ts";
import type { LeaverIds } from "../plan/context.ts";
import type { Provider } from "../providers/types.ts";

/**
 * ProviderPlanInput.leaverIds: the leavers whose account `read` does not return, though the journal
 * keeps the stable id of the entry gatehouse made or changed for it (JournalFold.ids: OpenLDAP's
 * entryUUID, which a rename by hand leaves as it was), and the account holding each id now, looked up
 * across the system (Provider.accountsById: one search per 200 ids). Undefined where there is no such
 * leaver, or the system cannot look accounts up by id; a failed lookup is kept as such, for the plan to
 * say, not thrown: the plan is then made as before ids were kept.
 */
export async function lookUpLeaverIds(
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  ids: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<LeaverIds | undefined> {
  if (provider.accountsById === undefined || ids.size === 0) return undefined;
  const fold = nameFold(provider.capabilities);
  const read = new Set(live.users.map((u) => fold(u.account)));
  const idOf = journalIdOf(ids, provider.name, provider.capabilities.caseInsensitiveNames === true);
  const sought = new Map<string, string>();
  for (const user of desired.users.values()) {
    if (user.status !== "terminated" || read.has(fold(user.account))) continue;
    const id = idOf(user.account);
    if (id !== undefined) sought.set(user.account, id);
  }
  if (sought.size === 0) return undefined;
  try {
    const holders = await provider.accountsById([...new Set(sought.values())], signal);
    return holders === undefined ? undefined : { sought, holders };
  } catch (error) {
    if (signal.aborted) throw error;
    return { sought, error: messageOf(error) };
  }
}

/**
 * The journal's id of the account named so in `provider`: under its address as the journal has it, or,
 * where names ignore case, in any case (the lower-cased addresses indexed on the first miss).
 */
function journalIdOf(
  ids: ReadonlyMap<string, string>,
  provider: string,
  ignoresCase: boolean,
): (account: string) => string | undefined {
  let folded: Map<string, string> | undefined;
  const prefix = userAddress(provider, "");
  return (account) => {
    const address = userAddress(provider, account);
    const exact = ids.get(address);
    if (exact !== undefined || !ignoresCase) return exact;
    if (folded === undefined) {
      folded = new Map();
      for (const [key, id] of ids)
        if (key.startsWith(prefix) && !folded.has(key.toLowerCase())) folded.set(key.toLowerCase(), id);
    }
    return folded.get(address.toLowerCase());
  };
}
