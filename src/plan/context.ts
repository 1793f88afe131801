import type { ProviderMode } from "../model/access.ts";
import type { AccountOfAnother, DesiredState, LiveState } from "../model/state.ts";
import type { Change, PlanNote } from "./types.ts";

/** Capabilities.userRenameRewrites: which references to an account name it. */
export interface UserRenameRewrites {
  /** Group member values (memberUid, or a member DN whose RDN is the account). */
  readonly members: boolean;
  /** Other users' manager values (a DN whose RDN is the account). */
  readonly manager: boolean;
}

/** What the planner needs to know of a provider's abilities (a subset of providers' Capabilities). */
export interface PlannerCapabilities {
  readonly nesting: boolean;
  readonly disable: "disable" | "remove" | "none";
  readonly deleteLeavers?: boolean;
  readonly revokeSessions: boolean;
  readonly userAttributes: readonly string[];
  readonly createUsers: boolean;
  readonly invitesUsers?: boolean;
  readonly groupDescription: boolean;
  readonly renameGroups?: boolean;
  readonly renameUsers?: boolean;
  /** References that name an account and must be rewritten when it is renamed (see Capabilities). */
  readonly userRenameRewrites?: UserRenameRewrites;
  /** Account and group names match whatever their case (SCIM, LDAP, AD, GitHub): see align-case.ts. */
  readonly caseInsensitiveNames?: boolean;
  /** A create carries the person's endDate, which the system expires the account on (see Capabilities). */
  readonly expiresAccounts?: boolean;
}

/**
 * A set of addresses as the planner asks it (a Set, the journal's AddressSet, or either looked up
 * ignoring case: journal-case.ts). Iterable, so a lookup ignoring case can index its addresses.
 */
export interface AddressLookup extends Iterable<string> {
  has(address: string): boolean;
}

/** Address → digest, as the planner asks it (a Map, or one looked up ignoring case). */
export interface DigestLookup {
  get(address: string): string | undefined;
  has(address: string): boolean;
  keys(): Iterable<string>;
}

/**
 * What in a system still names an account name beyond what its read shows (Provider.stillNaming):
 * values a former holder of the name left, which would grant whoever is given the name next.
 */
export interface StillNaming {
  /** Groups the read does not return (outside its scope, or of another kind) naming it, sorted. */
  readonly outside: readonly string[];
  /** Groups the read returns naming it through a member attribute the read does not map. */
  readonly unread: readonly { readonly group: string; readonly attribute: string }[];
  /** Entries outside the scope read whose manager names it, sorted. */
  readonly managerOf: readonly string[];
}

export interface ProviderPlanInput {
  readonly name: string;
  readonly type: string;
  readonly mode: ProviderMode;
  readonly capabilities: PlannerCapabilities;
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly liveDigest: string;
  readonly readCalls: number;
  /**
   * Addresses gatehouse created before (from the journal). Decides the reason for a difference:
   * a managed membership missing live is drift; one that left the files is "removed-from-config".
   */
  readonly managed?: AddressLookup;
  /**
   * User address → digest of the attributes gatehouse last wrote to it (journal). A managed user whose
   * live attributes still match it differs from the files because the files changed, not by drift.
   */
  readonly written?: DigestLookup;
  /**
   * User addresses gatehouse itself disabled last (journal). A managed account disabled otherwise was
   * disabled by someone else: enabling it again reverts drift, and the plan says so.
   */
  readonly disabledByGatehouse?: AddressLookup;
  /** Membership address → the end its grant was added with (JournalFold.grantEnds). */
  readonly grantEnds?: DigestLookup;
  /**
   * User address → the last day gatehouse wrote as the account's expiry (JournalFold.expiries). An expiry
   * the files no longer give is cleared where it is still this one; any other is someone else's to clear.
   */
  readonly expiries?: DigestLookup;
  /**
   * Account names the files give to someone here, with no live account of the name, that the journal saw
   * held by other people (renamed away from, or a leaver's): name → those people's user ids. Values they
   * left may still name it (engine/held-before.ts). A create of such a name, or a rename into it, carries
   * `heldBefore`, so the system checks again right before the write.
   */
  readonly heldBefore?: ReadonlyMap<string, readonly string[]>;
  /**
   * What the system still names each of those names by, beyond what the read shows (Provider.stillNaming),
   * by name as in heldBefore; a name named nowhere is left out. Such a name is not given to anyone yet.
   */
  readonly stillNaming?: ReadonlyMap<string, StillNaming>;
  /**
   * Leavers' accounts that `read` returns no account for, with the access the system still grants them
   * beyond its read (Provider.accessBeyondRead: a GitHub outside collaborator), by account name.
   */
  readonly beyondRead?: ReadonlyMap<string, string>;
  /**
   * Leavers' accounts that `read` returns no account for, looked up by the stable id the journal keeps
   * of the entry gatehouse made or changed for each (engine/stable-ids.ts): renamed by hand, the
   * entry is found under its new name, and offboarded as theirs (plan-users.ts).
   */
  readonly leaverIds?: StableIds;
  /**
   * Groups the files name that `read` returns none of, looked up by the stable id the journal keeps of the
   * entry gatehouse made or changed for each (engine/stable-ids.ts): renamed by hand, the group is found
   * under its new name, and renamed back (plan-groups.ts), so its members are judged as the files say.
   */
  readonly groupIds?: StableIds;
}

/** What looking entries up by their stable ids found (ProviderPlanInput.leaverIds, groupIds). */
export type StableIds = {
  /** Each name in the files (a leaver's account, a group) → the stable id the journal keeps of its entry. */
  readonly sought: ReadonlyMap<string, string>;
} & (
  | {
      /** Each id an entry holds now → that entry's name (ids no entry holds are left out). */
      readonly holders: ReadonlyMap<string, string>;
      readonly error?: never;
    }
  | { readonly error: string; readonly holders?: never }
);

/** Collects one provider's changes and notes. */
export interface PlanSink {
  readonly input: ProviderPlanInput;
  /** Accounts of leavers: out of every group, also unmanaged ones (planUsers adds renamed ones). */
  readonly terminated: Set<string>;
  /** The plan's clock. */
  readonly now: Date;
  /** Grant ends (ISO) of expired grants removed more than a day late, for one note per provider. */
  readonly lateGrants: string[];
  /** "member in group" of memberships additive mode keeps although the files do not grant them. */
  readonly kept: string[];
  /** The members kept so (as `kept`) in each privileged group: named per group, not in the shared sample. */
  readonly keptPrivileged: Map<string, string[]>;
  /**
   * Accounts changed by hand in the system, found by planUsers. `notCreated`: accounts of active people
   * that are neither created nor added to groups, because the system holds their entry under another
   * name (LiveUser.otherName) or outside the scope read (LiveState.elsewhere); a plan note says what to
   * do. `renamed`: the account holding each person's entry → that person's account in the files. It is
   * that person's account for every narrowing: it keeps only the groups the person holds, and is
   * disabled and taken out of every group when the person leaves.
   */
  readonly byHand: { readonly notCreated: Set<string>; readonly renamed: Map<string, string> };
  /**
   * Accounts this plan renames in place (renameUsers), former name → new name, found by planUsers: their
   * live memberships count under the new name, as the system keeps them through the rename.
   */
  readonly renamedUsers: Map<string, string>;
  /**
   * Live accounts the files give to someone other than the person the journal saw gatehouse manage them
   * for (DesiredState.accountsOfOthers) that this plan does not rename away, found by planUsers: each is
   * still its owner's. The person the files give the name to gets no account here; the owner's account is
   * judged as theirs (kept in the groups they hold, out of every group if they are a leaver).
   */
  readonly ownersAccounts: Map<string, AccountOfAnother>;
  /**
   * Live accounts the files give to someone while the journal saw gatehouse manage them for a user id no
   * longer in the files (DesiredState.accountsOfPeopleGone), found by planUsers, account → that user id:
   * not the newcomer's, so no group the files give the newcomer is theirs (plan-groups.ts takes them out).
   */
  readonly departed: Map<string, string>;
  change(c: Change): void;
  note(kind: PlanNote["kind"], message: string, about?: Pick<PlanNote, "privilegedGroup">): void;
}
