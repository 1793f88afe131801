import type { ProviderMode } from "../model/access.ts";
import type { SourceLocation } from "../model/source.ts";
import type { UserAttributes } from "../model/state.ts";

/** Why a change is in the plan. */
export type Reason =
  | "added-in-config"
  | "removed-from-config"
  | "role-baseline"
  | "grant-expired"
  | "user-terminated"
  | "user-on-leave"
  | "not-started"
  | "drift"
  | "not-in-config"
  /** In the files, but holds none of the system's groups where only members get accounts (users: members). */
  | "holds-no-group";

/** Whether a change gives access (broadens), takes it away (narrows), or neither. */
export type Risk = "broadens" | "narrows" | "neutral";

export interface FieldDiff {
  readonly field: string;
  readonly before: string | null;
  readonly after: string | null;
}

interface ChangeBase {
  /** Stable address, e.g. "ldap:membership/team-platform-write/alice". Unique within a plan. */
  readonly id: string;
  /** Provider name from gatehouse.yaml. */
  readonly provider: string;
  readonly reason: Reason;
  readonly risk: Risk;
  /** The access-file line that caused the change, when there is one. */
  readonly source?: SourceLocation;
  /** Human explanation of the provenance, one line each (role matched, nested via, grant until). */
  readonly why?: readonly string[];
  /** The gatehouse user id behind the account concerned, when known (SCIM writes it as `externalId`). */
  readonly userId?: string;
}

export type UserChange = ChangeBase &
  (
    | {
        readonly kind: "user";
        readonly action: "create";
        readonly account: string;
        readonly after: UserAttributes;
        /**
         * The name was another person's before (ProviderPlanInput.heldBefore): the system checks right
         * before the write that nothing they left still names it, and fails the create if something does.
         */
        readonly heldBefore?: true;
        /**
         * The person's last day (User.endDate, inclusive, UTC), where the system expires accounts itself
         * (Capabilities.expiresAccounts): the new account expires when that day ends. Told at create only.
         */
        readonly endDate?: string;
      }
    | {
        readonly kind: "user";
        readonly action: "update";
        readonly account: string;
        readonly fields: readonly FieldDiff[];
        readonly after: UserAttributes;
        /** On a rename in place (an `account` field): the new name was another person's (see create). */
        readonly heldBefore?: true;
      }
    | {
        readonly kind: "user";
        readonly action: "enable" | "disable" | "delete";
        readonly account: string;
        /** On a disable or delete: the administrative role the account holds (LiveUser.adminRole). */
        readonly adminRole?: string;
        /**
         * On the disable of an account no one in the files holds, whose e-mail is that of a person whose
         * new account this plan creates (an account adopted by import, its name changed in the files):
         * that account. The disable, and the old account's removals from groups, wait for it, and are
         * skipped when it cannot be made, so the person is never left without a working account.
         */
        readonly replacedBy?: string;
      }
    | {
        readonly kind: "user";
        readonly action: "revoke-sessions";
        readonly account: string;
        readonly sessions: number;
        readonly tokens: number;
      }
  );

export type GroupChange = ChangeBase &
  (
    | {
        readonly kind: "group";
        readonly action: "create";
        readonly group: string;
        readonly description?: string;
      }
    | {
        readonly kind: "group";
        readonly action: "update";
        readonly group: string;
        readonly fields: readonly FieldDiff[];
        readonly description?: string;
      }
    | {
        readonly kind: "group";
        readonly action: "delete";
        readonly group: string;
        readonly memberCount: number;
        /**
         * The accounts (`members`) and nested groups (`groupMembers`) it held as read, sorted; absent when
         * none. Recorded so the journal can name who lost it (values gatehouse does not read are only counted).
         */
        readonly members?: readonly string[];
        readonly groupMembers?: readonly string[];
        /** The group that replaces this one (a rename the system cannot do in place): deleted only once it exists. */
        readonly replacedBy?: string;
      }
  );

export type MembershipChange = ChangeBase & {
  readonly kind: "membership";
  readonly action: "add" | "remove";
  readonly group: string;
  /** Account name of a user, or a group name when `memberKind` is "group" (native nesting). */
  readonly member: string;
  readonly memberKind: "user" | "group";
  /** The member's role in the group, for systems with one (GitHub team maintainer); absent: unchanged. */
  readonly role?: "member" | "maintainer";
  /** An add that only time-bound grants ask for: when the last of them ends (the access is temporary). */
  readonly until?: string;
  /**
   * Removing a nested group: the people who hold `group` through it (its members, and theirs, live),
   * who lose that access. The guard rails count them, not one removal.
   */
  readonly reaches?: number;
  /** Live groups that nest `group` (at any depth): a removal narrows them too (protected groups). */
  readonly narrowsAlso?: readonly string[];
  /**
   * On a removal of an expired grant: gatehouse added the membership as a grant ending then (the
   * journal), and that end has passed: the grant ends as it was approved. The guard rails never hold it
   * back (plan/safety.ts).
   */
  readonly endsGrant?: true;
  /**
   * On a leaver's removal (reason user-terminated): the user id, no longer in the files, whom the journal
   * saw gatehouse manage this account for, and never the leaver (DesiredState.accountsOfPeopleGone). The
   * files name another person's account as the leaver's: protectedGroups refuses it as any removal.
   */
  readonly accountOf?: string;
  /**
   * On the removal of a member value that names an account by its former name, where this plan renames
   * the account in place and the system's values do not follow (Capabilities.userRenameRewrites): the
   * new name. The access goes on under it (an add of it is beside this), or goes with its removal; the
   * guard rails count it there, not twice.
   */
  readonly renamedTo?: string;
  /**
   * On the add that goes with such a removal: the former name. The membership is the one the account
   * held before its rename (since then, for the audit), not a new one.
   */
  readonly renamedFrom?: string;
  /**
   * On the removal of a person's former account (their account here changed: a new e-mail under
   * `accountName: email`, where the system cannot rename): their new account, which the files give this
   * group too (added beside this, or held already). The person keeps the group: the guard rails neither
   * count this removal nor refuse it in a protected group (a protected user's still is), and apply makes
   * it only once that account holds the group (skipped if its add fails).
   */
  readonly replacedBy?: string;
  /**
   * On a user's removal from a group, where this plan also takes the account out of a system that ends
   * its memberships with it (Capabilities.disable "remove": leaving a GitHub organization ends every
   * team membership): that account's name, as its disable change spells it. Nothing is sent for this
   * removal: apply makes it by that disable, and skips it when the disable fails or is skipped. The
   * guard rails count the account's removal, not this one again (plan/safety.ts).
   */
  readonly endsWithAccount?: string;
};

export type Change = UserChange | GroupChange | MembershipChange;

/** Something the plan noticed but will not change (observe mode, unmanaged objects, pending states). */
export interface PlanNote {
  /**
   * The system the note is about: one of the plan's providers, or, for an "access-left" note only, a
   * system gatehouse.yaml no longer has (an open verdict there, which nothing checks any more). For a
   * "webhook-owed" note: the webhook's name in policy.offboarding.webhooks (or one it no longer has).
   */
  readonly provider: string;
  /**
   * "observed": a change an observe-mode provider would need; nothing is written there. "kept":
   * memberships the files do not grant that additive mode keeps (gatehouse did not apply them).
   * "access-left": an offboarding check found a leaver's access left, and no later check found it gone
   * (an open verdict in the journal); what is left may be outside what any plan shows.
   * "webhook-owed": a webhook delivery an earlier apply could not make (rejected or failed), which the
   * next apply sends again (JournalFold.undelivered); no system's change.
   */
  readonly kind:
    "unmanaged" | "drift-ignored" | "info" | "observed" | "kept" | "access-left" | "webhook-owed";
  readonly message: string;
  /** For "observed": the change that observe mode did not make (prune needs to know it is pending). */
  readonly change?: Change;
  /**
   * For "kept": the `privileged` group whose members nobody granted additive mode keeps (the note names
   * them). `plan --detailed-exitcode` counts it: admin rights nobody granted are never "no changes".
   */
  readonly privilegedGroup?: string;
}

export interface ProviderSummary {
  readonly name: string;
  readonly type: string;
  readonly mode: ProviderMode;
  /** sha256 of the canonical live state the plan was computed from. */
  readonly liveDigest: string;
  /** Calls made to read the live state. */
  readonly readCalls: number;
  readonly liveUsers: number;
  readonly liveGroups: number;
  readonly liveMemberships: number;
}

export interface PlanSummary {
  readonly changes: number;
  readonly broadens: number;
  readonly narrows: number;
  readonly byAction: Readonly<Record<string, number>>;
}

/** A plan is plain data: `JSON.stringify(plan)` is its JSON form. */
export interface Plan {
  readonly formatVersion: 1;
  /** ISO instant the plan was computed for (grant expiry is judged at this instant). */
  readonly createdAt: string;
  /** git commit of the access files, when they are in a repository. */
  readonly desiredCommit?: string;
  /** sha256 over the access files' contents; apply refuses a saved plan when it changed. */
  readonly desiredDigest: string;
  readonly providers: readonly ProviderSummary[];
  /** In execution order: disables and revocations, creates/updates, additions, removals, deletes. */
  readonly changes: readonly Change[];
  readonly notes: readonly PlanNote[];
  readonly summary: PlanSummary;
  /**
   * Grants gatehouse added whose end the files have changed since with nothing to apply (made lasting,
   * extended, shortened): apply records them in its apply-start, so that "the grant ending as approved"
   * (MembershipChange.endsGrant) is judged against the end approved last. Absent when there is none.
   */
  readonly grantEnds?: readonly GrantEndUpdate[];
}

/** A held grant's end as the files give it now: `until` null when the membership is lasting now. */
export interface GrantEndUpdate {
  /** The membership's address (membershipAddress). */
  readonly id: string;
  readonly until: string | null;
}
