import type { DesiredState, LiveState } from "../model/state.ts";
import { messageOf } from "../errors.ts";
import { nameFold } from "../plan/align-case.ts";
import { groupAddress, userAddress } from "../plan/addresses.ts";
import type { StableIds } from "../plan/context.ts";
import type { Provider } from "../providers/types.ts";

/**
 * Entries renamed by hand, found by the stable id the journal keeps of the entry gatehouse made or changed
 * (JournalFold.ids: OpenLDAP's entryUUID, which a rename leaves as it is), looked up across the system
 * only where the read misses what the files name: one search per 200 ids, none in a steady state. A
 * failed lookup is kept as such, for the plan to say, not thrown: the plan is then made as before ids
 * were kept.
 */

/**
 * ProviderPlanInput.leaverIds: the leavers whose account `read` does not return, though the journal keeps
 * the id of its entry, and the account holding each id now (Provider.accountsById). Undefined where there
 * is no such leaver, or the system cannot look accounts up by id.
 */
export async function lookUpLeaverIds(
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  ids: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<StableIds | undefined> {
  const lookUp = provider.accountsById?.bind(provider);
  if (lookUp === undefined || ids.size === 0) return undefined;
  const leavers = [...desired.users.values()].filter((u) => u.status === "terminated");
  if (leavers.length === 0) return undefined;
  const fold = nameFold(provider.capabilities);
  const read = new Set(live.users.map((u) => fold(u.account)));
  const idOf = journalIdOf(ids, userAddress, provider);
  const sought = new Map<string, string>();
  for (const user of leavers) {
    if (read.has(fold(user.account))) continue;
    const id = idOf(user.account);
    if (id !== undefined) sought.set(user.account, id);
  }
  return lookUpSought(sought, lookUp, signal);
}

/**
 * ProviderPlanInput.groupIds: the groups the files name that `read` does not return, though the journal
 * keeps the id of the entry gatehouse made or changed for each, and the group holding each id now
 * (Provider.groupsById). Undefined where there is no such group, or the system cannot look groups up by id.
 */
export async function lookUpGroupIds(
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  ids: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<StableIds | undefined> {
  const lookUp = provider.groupsById?.bind(provider);
  if (lookUp === undefined || ids.size === 0) return undefined;
  const fold = nameFold(provider.capabilities);
  const read = new Set(live.groups.map((g) => fold(g.name)));
  const idOf = journalIdOf(ids, groupAddress, provider);
  const sought = new Map<string, string>();
  for (const name of desired.groups.keys()) {
    if (read.has(fold(name))) continue;
    const id = idOf(name);
    if (id !== undefined) sought.set(name, id);
  }
  return lookUpSought(sought, lookUp, signal);
}

async function lookUpSought(
  sought: ReadonlyMap<string, string>,
  lookUp: (ids: readonly string[], signal: AbortSignal) => Promise<ReadonlyMap<string, string> | undefined>,
  signal: AbortSignal,
): Promise<StableIds | undefined> {
  if (sought.size === 0) return undefined;
  try {
    const holders = await lookUp([...new Set(sought.values())], signal);
    return holders === undefined ? undefined : { sought, holders };
  } catch (error) {
    if (signal.aborted) throw error;
    return { sought, error: messageOf(error) };
  }
}

/**
 * The journal's id of what is named so in `provider` (its address made by `addressOf`): under its address
 * as the journal has it, or, where names ignore case, in any case (the lower-cased addresses of that kind
 * indexed on the first miss).
 */
function journalIdOf(
  ids: ReadonlyMap<string, string>,
  addressOf: (provider: string, name: string) => string,
  provider: Provider,
): (name: string) => string | undefined {
  const ignoresCase = provider.capabilities.caseInsensitiveNames === true;
  const prefix = addressOf(provider.name, "");
  let folded: Map<string, string> | undefined;
  return (name) => {
    const address = addressOf(provider.name, name);
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
