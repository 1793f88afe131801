import type { EmploymentType, UserStatus } from "./access.ts";
import type { SourceLocation } from "./source.ts";

/** User attributes a connected system may hold. `manager` is the manager's account name in that system. */
export interface UserAttributes {
  readonly name?: string;
  readonly email?: string;
  readonly department?: string;
  readonly title?: string;
  readonly manager?: string;
  readonly employmentType?: EmploymentType;
}

export const USER_ATTRIBUTE_KEYS = [
  "name",
  "email",
  "department",
  "title",
  "manager",
  "employmentType",
] as const;

/**
 * User attributes as a connected system holds them. `employmentType` is one of gatehouse's four where the
 * value is one of them in any case (`Contractor`), else the system's own value as it stands (`Full-Time`):
 * a plan shows what it overwrites, and a value gatehouse does not know is not mistaken for none.
 */
export type LiveUserAttributes = Omit<UserAttributes, "employmentType"> & {
  readonly employmentType?: string;
};

/** A user account as a connected system reports it. */
export interface LiveUser extends LiveUserAttributes {
  /** The account name in that system (uid, sAMAccountName, SCIM userName, GitHub login). */
  readonly account: string;
  readonly enabled: boolean;
  /**
   * The last day the account works on (YYYY-MM-DD, UTC), where the system expires accounts itself and
   * this one has a date (Active Directory's accountExpires): compared with the person's endDate.
   */
  readonly endDate?: string;
  /** ISO 8601 instant of the last sign-in, where the system knows it. */
  readonly lastLogin?: string;
  /** Open sessions and personal tokens, where the system can revoke them. */
  readonly sessions?: number;
  readonly tokens?: number;
  /** Invited but not yet accepted (e.g. a GitHub org invitation): neither re-invited nor counted as access. */
  readonly pending?: boolean;
  /**
   * With `pending`: the invitation failed or expired, and the system keeps it (GitHub's failed invitations,
   * not sent again by default). The read's own note says so; the plan adds no "invitation pending" note.
   */
  readonly invitationFailed?: true;
  /**
   * Another name the system keeps the account under, where it differs from `account` (the cn in an
   * Active Directory entry's DN beside its sAMAccountName). gatehouse creates accounts with both alike,
   * so an account whose other name is a desired account that is missing was most likely renamed by hand.
   */
  readonly otherName?: string;
  /**
   * The user id of the person the system records the account as being for, where it records one (SCIM
   * `externalId`, which gatehouse writes as the person's id). Any admin of the system can write it: it
   * never makes an account someone's, but one naming another person in the files is not handed to the
   * person the files give its name to (plan-users.ts).
   */
  readonly personId?: string;
  /**
   * The administrative role the account holds in the system, where gatehouse reads one (GitHub: "org
   * owner"): a plan that disables or deletes the account names it on the change (UserChange.adminRole).
   */
  readonly adminRole?: string;
  /**
   * Why the connector refuses to disable or remove the account, whatever the plan says (GitHub: listed in
   * `requiredAdmins`, or the token's own account): a plan that does so says in a note that apply will refuse.
   */
  readonly removalRefused?: string;
  /**
   * Why the connector refuses to remove this account when it is in no access file (a disable with reason
   * "not-in-config"), though it would remove it as a leaver's or as the files' removal: a GitHub org owner
   * made by hand, unless `removeUnlistedOwners`. A plan that does so says in a note that apply will refuse.
   */
  readonly unlistedRemovalRefused?: string;
}

/** A group as a connected system reports it. Members are account names. */
export interface LiveGroup {
  readonly name: string;
  readonly description?: string;
  readonly members: readonly string[];
  /** Groups nested as members, for systems with native nesting. */
  readonly groupMembers?: readonly string[];
  /** Members holding the group's maintainer role, for systems that have one (GitHub teams). */
  readonly maintainers?: readonly string[];
  /**
   * Another name the system knows the group by, where it differs from `name` (Active Directory's
   * sAMAccountName beside its cn): a group renamed by hand in the directory still answers to its old
   * name there, and the plan renames it back rather than replacing it.
   */
  readonly otherName?: string;
  /**
   * How many member values the group holds beyond `members` and `groupMembers`: accounts and groups
   * gatehouse does not read (outside the people OU, unknown). Deleting the group takes them out too, so
   * the plan and the guard rails count them.
   */
  readonly unmanagedMembers?: number;
  /**
   * Those of them that are plain names an account created under that name would hold at once (an RFC
   * 2307 `memberUid` naming no account read): the plan says so when it creates such an account.
   */
  readonly unmanagedNames?: readonly string[];
  /**
   * Accounts the system lists in the group that are taken as members through a nested group, and left out
   * of `members`, though the system cannot say whether they are direct members too (GitHub without the
   * team-member role feature). A plan that takes one out of the nested group says that the next read may
   * show them as a direct member here, which the next plan then removes.
   */
  readonly uncertainMembers?: readonly string[];
}

/** The full current state of one connected system, within the scope gatehouse manages. */
export interface LiveState {
  readonly users: readonly LiveUser[];
  readonly groups: readonly LiveGroup[];
  /** What the system noticed while reading (renamed logins, failed invitations): shown as plan notes. */
  readonly notes?: readonly string[];
  /**
   * Access the system grants in ways gatehouse does not read into memberships nor change (a group held as
   * a member where the connector has no nesting): plan notes, and the plan never says the system matches.
   */
  readonly unmanaged?: readonly string[];
  /**
   * Accounts the system holds outside the scope gatehouse reads, as far as the entries it did read name
   * them (a group member or a manager outside the people OU): where gatehouse would create an account of
   * that name, the system would refuse it (Active Directory's sAMAccountName is unique in the domain) or
   * hold a second one. In account order; `account` is the name the entry's own name gives.
   */
  readonly elsewhere?: readonly AccountElsewhere[];
  /**
   * Account names another entry claims in another way (NameTaken), as far as the entries read tell: the
   * plan creates no account under such a name, and says which account holds it.
   */
  readonly namesTaken?: readonly NameTaken[];
  /**
   * Accounts the plan would create that the system would refuse for a reason of its settings, found
   * before apply (Active Directory: the OU `people.ouByDepartment` gives the person's department does not
   * exist): the plan creates none of them, and says why.
   */
  readonly cannotCreate?: readonly CannotCreate[];
  /**
   * Accounts the system reports as maintainer of every group they are in, whatever role they were given
   * (GitHub's org owners): a plan never asks to take them down to member, which would change nothing.
   */
  readonly alwaysMaintainers?: readonly string[];
  /**
   * The fewest accounts holding an administrative role (LiveUser.adminRole) the connector leaves, and the
   * setting that says so (GitHub: `minAdmins`): a plan that would leave fewer says in a note that apply
   * refuses the removals past that.
   */
  readonly minAdmins?: { readonly count: number; readonly setting: string };
}

/** An account the plan would create that the system would refuse (LiveState.cannotCreate). */
export interface CannotCreate {
  readonly account: string;
  /** Why, and what to do, e.g. that the department's OU does not exist. */
  readonly why: string;
}

/**
 * An account name the system would refuse to create because another entry already claims it in another
 * way (Active Directory: the userPrincipalName the new account would get, or that its sAMAccountName
 * implies, is another account's).
 */
export interface NameTaken {
  /** The account name that cannot be created. */
  readonly account: string;
  /** What claims it, e.g. `userPrincipalName` and its value. */
  readonly claim: string;
  /** The account (its name in the system) holding the claim. */
  readonly holder: string;
  /** Where that entry is (LDAP: its DN). */
  readonly where: string;
}

/** An account outside the scope gatehouse reads, and where it is (an LDAP DN). */
export interface AccountElsewhere {
  readonly account: string;
  readonly where: string;
}

/** A user attribute a role's `when` can name. */
export type RoleAttribute = "department" | "title" | "employmentType";

/** One condition of a role that a user meets: the attribute and the user's value of it. */
export interface RoleConditionMet {
  readonly attribute: RoleAttribute;
  readonly value: string;
}

/** How an effective membership arises. Provenance is what `explain` and the plan show. */
export type Provenance =
  | {
      readonly kind: "direct";
      readonly source: SourceLocation;
      readonly until?: string;
      readonly reason?: string;
    }
  | {
      readonly kind: "role";
      readonly role: string;
      /** The role's first condition (kept for readers of explain's JSON from before `conditions`). */
      readonly attribute: RoleAttribute;
      readonly value: string;
      /**
       * Every condition the role lists, each with the user's value that met it, in the order department,
       * title, employmentType: a role matches only when all of them hold, so its explanation names them all.
       */
      readonly conditions: readonly RoleConditionMet[];
      readonly source: SourceLocation;
    }
  | {
      /** Membership inherited through a nested group: `via` is the group listed as a member. */
      readonly kind: "nested";
      readonly via: string;
      readonly source: SourceLocation;
      readonly inner: Provenance;
    };

export interface DesiredUser {
  readonly userId: string;
  readonly account: string;
  readonly status: UserStatus;
  /** For a leaver: what in the files made them one, with its date ("endDate 2026-11-20 has passed"). */
  readonly leaving?: string;
  /**
   * For a leaver whose end date passed more than a day ago: how long ago ("131.5 days ago"). Access
   * still there now is offboarded late (an account disabled in time and deleted now is not).
   */
  readonly lateBy?: string;
  /**
   * For someone who has not started (User.startDate still ahead): that day. They hold nothing until it,
   * so the plan names it as why their memberships go (a start date moved past today, say).
   */
  readonly startsOn?: string;
  readonly enabled: boolean;
  /**
   * The person's last day in the files (User.endDate: inclusive, UTC), for systems that expire an
   * account themselves (Capabilities.expiresAccounts).
   */
  readonly endDate?: string;
  /** Under legal hold (User.legalHold): a leaver's account is disabled at most, never deleted or removed. */
  readonly legalHold?: true;
  readonly attributes: UserAttributes;
  readonly source: SourceLocation;
}

export interface DesiredMember {
  readonly userId: string;
  readonly provenance: readonly Provenance[];
}

/**
 * The user members a group should have in one system, by account name. Held compactly (a group of
 * 50,000 is not 50,000 objects); how each member holds the group is worked out when asked.
 */
export interface DesiredMembers {
  readonly size: number;
  has(account: string): boolean;
  /** Every member's account name, in file order of the people. */
  accounts(): Iterable<string>;
  /**
   * Against a live member list (any order, repeats allowed): the desired accounts missing there and the
   * live accounts that are not desired members, each once per occurrence, in no promised order.
   */
  compare(live: readonly string[]): {
    readonly missing: readonly string[];
    readonly extra: readonly string[];
  };
  /** The members under these account names, with provenance; accounts that are not members are left out. */
  describe(accounts: Iterable<string>): ReadonlyMap<string, DesiredMember>;
  /**
   * compare, with the missing members described (in account order, by UTF-16 code units): what a plan
   * asks of every group, in one pass even when millions of members are missing (a first import).
   */
  diff(live: readonly string[]): {
    readonly missing: ReadonlyMap<string, DesiredMember>;
    readonly extra: readonly string[];
  };
}

/** A grant that has run out: the plan removes it with reason "grant-expired". */
export interface ExpiredGrant {
  readonly userId: string;
  readonly until: string;
  readonly source: SourceLocation;
}

export interface DesiredGroup {
  readonly name: string;
  readonly description?: string;
  readonly source: SourceLocation;
  /** False when the files do not list members: membership is then left alone. */
  readonly managesMembers: boolean;
  /** Effective user members by account name (flattened unless the provider nests natively). */
  readonly members: DesiredMembers;
  /** Nested groups kept as members, for providers with native nesting. */
  readonly groupMembers: ReadonlyMap<string, SourceLocation>;
  /** Grants that expired, by account name. */
  readonly expired: ReadonlyMap<string, ExpiredGrant>;
  /** Accounts that should hold the maintainer role (group owners, where the provider is so configured). */
  readonly maintainers?: ReadonlySet<string>;
  /** Names the group had before (a live group under one of them is renamed, not deleted). */
  readonly formerNames?: readonly string[];
  /** `sensitivity: privileged` in the files: members the files do not grant are named one by one. */
  readonly isPrivileged?: true;
}

/** What one connected system should hold, according to the access files. */
export interface DesiredState {
  readonly provider: string;
  readonly users: ReadonlyMap<string, DesiredUser>;
  readonly groups: ReadonlyMap<string, DesiredGroup>;
  /**
   * Groups the files define whose `providers` leave this system out, by name → the systems they are given
   * to: a live group of that name here is not "in no access file" (the plan says so, and `import`, which
   * writes nothing of it, warns). Absent when there is none.
   */
  readonly groupsElsewhere?: ReadonlyMap<string, readonly string[]>;
  /**
   * Accounts of people in the files who get no account here (`users: members` and they hold none of
   * this provider's groups), by account name → user id: a live one is not "in no access file". Not an
   * account the journal saw as another person's (accountsOfOthers): that stays theirs.
   */
  readonly withoutAccess?: ReadonlyMap<string, string>;
  /**
   * Accounts the journal saw gatehouse manage for people still in the files who now have another account
   * here (an e-mail that changed under `accountName: email`), by account name → user id: the old account
   * goes only once the new one exists (apply orders it so), and the plan says whose it was.
   */
  readonly formerAccounts?: ReadonlyMap<string, string>;
  /**
   * Former accounts the journal saw gatehouse manage for more than one person in the files (an e-mail
   * address given to someone else later): whose the account is now, the journal cannot say, so none of
   * them has it renamed to their new name (plan-users.ts planRenames).
   */
  readonly formerAccountsOfSeveral?: ReadonlySet<string>;
  /**
   * Accounts the files give to one person that the journal saw gatehouse manage only for another person
   * still in the files (an e-mail address passed on: ann takes the address bea had, while bea moves to a
   * new one), by account name. A live account of that name is the other person's: it is never handed to
   * the person the files now give the name to (plan-users.ts). Such an account counts among the other
   * person's formerAccounts when they are not a leaver. (Given to someone who holds none of this
   * provider's groups under `users: members`, the name is not here: it is the other person's former
   * account, or their entry in `users` if they are a leaver.)
   */
  readonly accountsOfOthers?: ReadonlyMap<string, AccountOfAnother>;
  /**
   * Accounts the files give to one person that the journal saw gatehouse manage for a user id no longer
   * in the files at all, and never for that person, by account name → that former user id. Whether the
   * person is someone new given a departed person's address or the same person under a new id (which
   * `formerIds` says), the files cannot say: the account is not handed to them (plan-users.ts).
   */
  readonly accountsOfPeopleGone?: ReadonlyMap<string, string>;
  /**
   * The person in the files with this user id, as the owner of an account of theirs named `account` here
   * (whatever the files give that name to), with their own account here if the files give them one;
   * undefined when nobody in the files has the id. Asked for a live account whose `personId` names
   * someone other than the person the files give its name to (plan-users.ts).
   */
  readonly personInFiles?: (userId: string, account: string) => AccountOfAnother | undefined;
}

/** An account name the files give to someone, held before by another person (DesiredState.accountsOfOthers). */
export interface AccountOfAnother {
  /** The person the journal saw gatehouse manage the account for, as their entry for it reads (a leaver's, if they are one). */
  readonly owner: DesiredUser;
  /** That person's account here in the files now, if they have one. */
  readonly ownerAccount?: string;
}
