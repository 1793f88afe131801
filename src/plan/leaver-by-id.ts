import type { DesiredUser, LiveUser } from "../model/state.ts";
import { nameFold } from "./align-case.ts";
import type { PlanSink } from "./context.ts";

/** A leaver's account found by the stable id of its entry under another name (leaverIdHolder). */
export interface HeldById {
  readonly live: LiveUser;
  readonly id: string;
}

/**
 * For a leaver whose account the read does not return, the unmatched account that holds the entry
 * gatehouse made or changed for it, by the stable id the journal keeps of that entry
 * (ProviderPlanInput.leaverIds: OpenLDAP's entryUUID, which no rename changes and no one can write):
 * renamed by hand, name and e-mail both, it would otherwise keep every group of theirs, unseen in
 * additive mode. For a leaver it only ever narrows. Where the id is held by an account the files give
 * to someone else, or by one outside the scope read, nothing is done to it, and a note says so; so does
 * a lookup that failed. One the files give to the leaver already (the journal's, once offboarded) is
 * theirs as it is. Asked once per leaver, only where nothing else found their account.
 */
export function leaverIdHolder(
  sink: PlanSink,
  live: readonly LiveUser[],
  wanted: readonly (readonly [DesiredUser, LiveUser | undefined])[],
): (want: DesiredUser) => HeldById | undefined {
  const { leaverIds, name: provider, capabilities } = sink.input;
  if (leaverIds === undefined) return () => undefined;
  const fold = nameFold(capabilities);
  let at: Map<string, LiveUser> | undefined;
  let owners: Map<string, string> | undefined;
  return (want) => {
    const id = want.status === "terminated" ? leaverIds.sought.get(want.account) : undefined;
    if (id === undefined) return undefined;
    if (leaverIds.error !== undefined) {
      sink.note(
        "info",
        `the account ${want.account} of ${want.userId}, a leaver, is not in ${provider}, and looking its entry up by its stable id (${id}) failed (${leaverIds.error}): if it was renamed by hand, it was not found, and keeps its access; the next plan looks again`,
      );
      return undefined;
    }
    const now = leaverIds.holders.get(id);
    if (now === undefined) return undefined; // no entry holds the id: the account is gone
    if (at === undefined || owners === undefined) {
      at = new Map();
      for (const user of live) if (!at.has(fold(user.account))) at.set(fold(user.account), user);
      owners = new Map();
      for (const [person, found] of wanted) if (found) owners.set(fold(found.account), person.userId);
    }
    const holder = at.get(fold(now));
    if (holder === undefined) {
      sink.note(
        "unmanaged",
        `the entry gatehouse knew as ${want.userId}'s account ${want.account} (a leaver) is in ${provider} as ${now}, found by its stable id (${id}), outside the scope gatehouse reads: renamed or moved by hand? gatehouse can neither disable it nor take it out of groups there. Disable it by hand, or move it back where gatehouse creates accounts`,
      );
      return undefined;
    }
    const owner = owners.get(fold(now));
    // The files give the name to this leaver already (the journal's: offboarded as theirs before).
    if (owner === want.userId) return undefined;
    if (owner !== undefined) {
      sink.note(
        "unmanaged",
        `the entry gatehouse knew as ${want.userId}'s account ${want.account} (a leaver) is account ${holder.account} in ${provider} now, found by its stable id (${id}), and the access files give that name to ${owner}: renamed by hand for them? It is not offboarded as ${want.userId}'s; check by hand whose it is`,
      );
      return undefined;
    }
    return { live: holder, id };
  };
}
