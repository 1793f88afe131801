import type { ProviderConfig } from "../model/access.ts";
import type { LiveState } from "../model/state.ts";
import type { SignIns } from "../model/account-use.ts";
import type { Change } from "../plan/types.ts";
import type { StillNaming, UserRenameRewrites } from "../plan/context.ts";
import type { ProviderError } from "../errors.ts";

/**
 * A group that names an account through a member attribute `read` does not map (LDAP `memberUid`), or
 * by a value `read` does not map (another case: `value`).
 */
export interface UnreadMembership {
  /** The group, as the system names it (LDAP: its DN). */
  readonly group: string;
  /** The attribute naming the account (`member`, `uniqueMember`, `memberUid`). */
  readonly attribute: string;
  /**
   * Set when the attribute is the one the read maps, and the group names the account by a value that
   * only ignoring case is theirs (`memberUid: Ben` for ben): that value, which the read maps to no one.
   */
  readonly value?: string;
}

/** What Provider.groupsOutsideHolding found of one account. */
export interface HeldOutside {
  /** Groups `read` does not return (outside its scope, or of another kind) that name the account, sorted. */
  readonly outside: readonly string[];
  /** Groups `read` returns that also name the account through an attribute it does not read, sorted. */
  readonly unread: readonly UnreadMembership[];
  /**
   * An entry holding the account's name that `read` does not return (LDAP: of another object class than
   * the people filter's, as a NIS-migrated `account` entry): gatehouse neither reads nor disables it, so
   * the account may still sign in. Only looked for where `read` returned no account of that name.
   */
  readonly unreadEntry?: string;
}

/** What a connected system can do; the planner and apply engine adapt to it. */
export interface Capabilities {
  /** A group can hold another group as a member; otherwise nesting is flattened. */
  readonly nesting: boolean;
  /**
   * How a leaver's account is switched off: disabled in place ("disable"), taken out of the system so
   * it no longer appears in reads ("remove", e.g. leaving a GitHub organization), or not at all ("none").
   */
  readonly disable: "disable" | "remove" | "none";
  /**
   * Leavers' accounts are deleted instead of disabled (SCIM `deleteUsers: true`). People on leave or not
   * started yet, and accounts the files give no one (authoritative mode), are still only disabled.
   */
  readonly deleteLeavers?: boolean;
  /** Open sessions and tokens can be revoked. */
  readonly revokeSessions: boolean;
  /** Most membership changes of one group that one write can carry (1: one call per member). */
  readonly maxMembersPerWrite: number;
  /**
   * One write can carry every change of an apply phase, whatever its kind (an embedded file rewritten
   * once per phase instead of once per change). The engine then passes a whole phase per call.
   */
  readonly applyWholePhase?: boolean;
  /**
   * Writes the apply engine may have in flight at once (default 1). Only for systems where independent
   * writes cannot interfere; a provider that reads before it writes must stay at 1.
   */
  readonly maxConcurrentWrites?: number;
  /** The user attributes this system stores; others are not planned. */
  readonly userAttributes: readonly string[];
  /** Users can be created by gatehouse (false for e.g. GitHub, where people sign up themselves). */
  readonly createUsers: boolean;
  /** Where users cannot be created, they can be invited: a `create` change sends the invitation. */
  readonly invitesUsers?: boolean;
  /** Group descriptions are stored. */
  readonly groupDescription: boolean;
  /** A group can be renamed in place (members kept); otherwise a rename is a create plus a delete. */
  readonly renameGroups?: boolean;
  /**
   * An account can be renamed in place, keeping its identity, groups and the references to it (SCIM:
   * by id). A person whose account name changes (a new e-mail under `accountName: email`) then has their
   * former account (the journal's) renamed; otherwise a new account is created and the former disabled.
   */
  readonly renameUsers?: boolean;
  /**
   * With renameUsers: what in the system names an account by its name, and so does not follow a rename
   * in place by itself (LDAP: memberUid holds the account, member and manager a DN built from it). The
   * plan lists the rewrites (planGroups' member moves, a manager update for each report) instead of
   * trusting the server to make them (refint, when configured). Absent: references follow (SCIM ids).
   */
  readonly userRenameRewrites?: UserRenameRewrites;
  /**
   * The system matches account and group names whatever their case (SCIM userName and displayName, LDAP
   * uid and cn, AD, GitHub logins): a live `Bob` is the files' `bob`, and writes find it by either.
   */
  readonly caseInsensitiveNames?: boolean;
  /**
   * The system can expire an account itself on a date (Active Directory's accountExpires): a create
   * carries the person's endDate (UserChange.endDate), so the account stops working when that day ends
   * even if no gatehouse run comes by then.
   */
  readonly expiresAccounts?: boolean;
  /**
   * A read right after a write already shows everything the write changed, and nothing rewrites values
   * later in the background (Active Directory on the controller gatehouse talks to: linked attributes
   * change in the same transaction). The offboarding check then does not read again after
   * `--offboard-recheck` seconds: a second read could not tell anything the first did not.
   */
  readonly settledOnWrite?: boolean;
}

export type ChangeOutcome =
  | {
      readonly status: "applied";
      readonly confirmation?: string;
      /**
       * The system's stable id of the account a user change acted on, or of the group a group change
       * acted on, where it has one that survives a rename (OpenLDAP entryUUID), journalled with the
       * change: the offboarding check follows a disabled or deleted account by it, and a plan finds a
       * leaver's account, or a group, renamed by hand by it (accountsById, groupsById).
       */
      readonly accountId?: string;
    }
  | {
      readonly status: "failed";
      readonly error: ProviderError;
      /**
       * The account the change makes exists despite the failure (a rename in place was made, and a write
       * after it failed): the changes that wait for it (the member moves that follow a rename) still run.
       */
      readonly accountMade?: boolean;
    };

/** Calls made to the system so far, for the plan and apply summaries. */
export interface ProviderStats {
  readonly reads: number;
  readonly writes: number;
}

export interface Provider {
  /** Provider name from gatehouse.yaml, e.g. "directory", "ldap". */
  readonly name: string;
  readonly type: string;
  readonly capabilities: Capabilities;
  /** Level-based: the full current state within the managed scope. Never diffs. */
  read(signal: AbortSignal): Promise<LiveState>;
  /**
   * Carries out changes and reports one outcome per change, in order. The apply engine passes either a
   * single change, or several membership changes of the same group (at most `maxMembersPerWrite`),
   * which the system should write in one call; or, with `applyWholePhase`, every change of a phase. A failed change leaves the object unchanged.
   */
  apply(changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]>;
  /**
   * Optional: a digest of a live state this provider's `read` returned, cheaper than the generic one
   * (sha256 of its canonical JSON), e.g. a hash of the bytes it was parsed from. It must change whenever
   * that live state would, and be equal for reads of the same state. Undefined for any other object:
   * the generic digest is used.
   */
  liveDigest?(live: LiveState): string | undefined;
  /**
   * Optional: a token for the live state `read` would return now, found without reading that state (a
   * file's identity and times, a directory's change counter). Equal tokens from a provider of the same
   * settings must mean equal live states; undefined when it cannot tell cheaply and surely. A plan whose
   * access files, journal and tokens are all as they were for an earlier plan reuses it
   * (engine/plan-memo.ts). Not counted as a read unless it calls the system.
   */
  liveStamp?(signal: AbortSignal): Promise<string | undefined>;
  /**
   * Optional, for the offboarding check after an apply: the live state under these accounts only, as
   * `read` would show it (their users, and the groups that hold them with only them as members:
   * liveOfAccounts of a full read), from calls that grow with the accounts rather than with the system
   * (GitHub: one membership GET each). Undefined where a full read is the cheaper (the provider compares
   * with the calls its last read took) or the surer way to tell (someone is still in the system, and
   * only the full read says which groups hold them): the check then reads the whole system.
   */
  readAccounts?(accounts: readonly string[], signal: AbortSignal): Promise<LiveState | undefined>;
  /**
   * Optional, for the offboarding check after an apply: what still names each of these accounts as a
   * member beyond what `read` shows (LDAP: a search of the whole base for their entries' DNs and account
   * names), by account as asked; accounts named nowhere else are left out. Accounts with no entry any more
   * (deleted) are looked for too, by the names and DNs they had.
   */
  groupsOutsideHolding?(
    accounts: readonly string[],
    signal: AbortSignal,
    /**
     * Accounts asked about under a name other than the one the apply acted on (renamed since: found by
     * their stable id) → that name: the DNs the apply moved or deleted them from are looked for too.
     */
    actedAs?: ReadonlyMap<string, string>,
  ): Promise<ReadonlyMap<string, HeldOutside>>;
  /**
   * Optional, for a plan that gives someone an account name another person held before
   * (ProviderPlanInput.heldBefore), and again right before such an account is made: what still names
   * each of these account names (none of which has an account here) beyond what `read` shows: groups it
   * does not return, member attributes it does not map, entries outside its scope whose manager names it
   * (LDAP: by the DN gatehouse creates the account at, and by the account value). By name as asked;
   * names named nowhere are left out. One search covers many names.
   */
  stillNaming?(accounts: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, StillNaming>>;
  /**
   * Optional, for a plan with leavers who have no account `read` returns: access the system grants these
   * accounts beyond the accounts and groups `read` returns (GitHub: outside collaborators on the
   * organization's repositories), by account as asked, each a short description; accounts with none are
   * left out. Asked only when there are such leavers. The plan removes it with a `disable` of the account
   * (the kill chain), which `apply` must then carry out for such an account too.
   */
  accessBeyondRead?(accounts: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, string>>;
  /**
   * Optional, where account names are unique beyond the scope `read` covers (Active Directory: a
   * sAMAccountName or userPrincipalName anywhere in the domain): the entries outside it that hold or claim
   * any of these names, which the plan would create (people with no account `read` returns). A user entry
   * holding one is an account elsewhere; anything else holding or claiming one takes the name. The plan
   * then creates no account under such a name, and says why, instead of the add failing at apply. Asked
   * only when there are such names.
   */
  namesClaimedBeyondRead?(
    accounts: readonly string[],
    signal: AbortSignal,
    /**
     * Each of these accounts' person's department, where they have one: where the system places a new
     * account by it (AD's people.ouByDepartment), a place that does not exist is found now too
     * (LiveState.cannotCreate).
     */
    departments?: ReadonlyMap<string, string>,
  ): Promise<Pick<LiveState, "elsewhere" | "namesTaken" | "cannotCreate">>;
  /**
   * Optional: the groups (as `read` names them) that the last read may not show as they will be, because
   * the system is still carrying out earlier writes (LDAP: entries refint may still be rewriting). The
   * offboarding check says so beside access it finds left there.
   */
  unsettledGroups?(): ReadonlySet<string>;
  /**
   * Optional: the accounts that hold these stable ids now (ChangeOutcome.accountId), by id, looked up
   * across the whole system (not only the scope `read` covers); ids no account holds are left out, and
   * the offboarding check then calls such an account gone. Undefined when the system, as configured, cannot
   * look accounts up by id. The offboarding check finds a leaver's account renamed or moved after the run
   * disabled it, or after its open verdict, by it; a plan finds a leaver's account renamed by hand by the
   * id the journal kept of it (engine/stable-ids.ts).
   */
  accountsById?(
    ids: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, string> | undefined>;
  /**
   * Optional: the groups (their names as `read` gives them) that hold these stable ids now
   * (ChangeOutcome.accountId of a group change), by id, looked up across the whole system; ids no group
   * holds are left out. Undefined when the system, as configured, cannot look groups up by id. A plan
   * finds a group gatehouse made that was renamed by hand by the id the journal kept of it
   * (engine/stable-ids.ts).
   */
  groupsById?(ids: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, string> | undefined>;
  /**
   * Optional, for `gatehouse accounts`: when each account last signed in, as the system records it, read
   * now by a search of its own (never from a snapshot a read keeps, nor part of the live state: a sign-in
   * changes neither a plan nor its live digest). Absent where the system records no sign-in time
   * gatehouse can read (SCIM 2.0 and GitHub define none), or where its settings switch it off.
   */
  signIns?(signal: AbortSignal): Promise<SignIns>;
  stats(): ProviderStats;
  close(): Promise<void>;
}

/** What a provider factory gets besides its own settings. No globals: tests pass their own. */
export interface ProviderContext {
  /** Environment variables (secrets are named in gatehouse.yaml, read from here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Working directory that relative paths in gatehouse.yaml are resolved against. */
  readonly cwd: string;
  readonly now: () => Date;
  /**
   * This host's clock now (ms since the epoch), for what must follow real time between reads rather than
   * the plan's instant (`now`, taken once when the process starts, before e.g. an apply waits for the lock).
   * Providers use `now` when absent.
   */
  readonly clock?: () => number;
  /** Injected for HTTP providers so tests can point them at loopback fakes. */
  readonly fetch?: typeof fetch;
  /** Log line sink (progress, retries); never receives secrets. */
  readonly log?: (line: string) => void;
  /**
   * The caller shows each read's notes (LiveState.notes) itself, where they are read (import prints them
   * as its warnings): the provider does not log them too, or each would be printed twice.
   */
  readonly showsReadNotes?: boolean;
}

export type { AccountUse, SignIns } from "../model/account-use.ts";

export type ProviderFactory = (config: ProviderConfig, context: ProviderContext) => Provider;
