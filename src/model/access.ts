import type { SourceLocation } from "./source.ts";

/** The access files as gatehouse understands them, after schema validation. Every fact knows its source. */

export type EmploymentType = "employee" | "contractor" | "intern" | "service";
export type UserStatus = "active" | "leave" | "terminated";
export type Sensitivity = "normal" | "privileged";

/** A status as a file (or an HR export, mapped) writes it: absent or unknown is the default, active. */
export function userStatusOf(text: string | undefined): UserStatus {
  return text === "leave" || text === "terminated" ? text : "active";
}

/** An employment type as written: absent or unknown is the default, employee. */
export function employmentTypeOf(text: string | undefined): EmploymentType {
  return text === "contractor" || text === "intern" || text === "service" ? text : "employee";
}

export interface User {
  /** Stable handle: lowercase letters, digits, `.`, `_`, `-`. */
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  /** HRIS department code, matched by role rules. */
  readonly department?: string;
  readonly title?: string;
  /** Another user's id. */
  readonly manager?: string;
  /** As the file says, else `employee` (what role rules match). */
  readonly employmentType: EmploymentType;
  /**
   * True when the file does not say: the value is the default, which role rules match but no connected
   * system is told (as for any attribute absent from the files, the live value is left as it is).
   */
  readonly isEmploymentTypeDefault?: true;
  readonly status: UserStatus;
  /** ISO date (YYYY-MM-DD). */
  readonly startDate?: string;
  /** ISO date (YYYY-MM-DD); after it the user is treated as terminated. */
  readonly endDate?: string;
  /** Per-provider account names when they differ from `id` (key: provider name, or provider type). */
  readonly accounts: Readonly<Record<string, string>>;
  /** The HR system's employee number: what `hr sync` matches export rows by (ids may be derived). */
  readonly employeeNumber?: string;
  /**
   * Ids this person had before in the files: accounts the journal saw gatehouse manage for one of them
   * are theirs, not a departed person's (desired/former-ids.ts: the plan, `accounts`, the guard rails'
   * protected users, hr sync and import all look ids up through it).
   */
  readonly formerIds?: readonly string[];
  /**
   * Under legal hold: when this person leaves, access is cut but nothing that destroys data happens (no
   * account deleted, none removed where removal loses data). May be set before they leave.
   */
  readonly legalHold?: true;
  readonly source: SourceLocation;
  /** Where the `manager` value and the `startDate` value sit, for precise diagnostics. */
  readonly managerSource?: SourceLocation;
  readonly startDateSource?: SourceLocation;
}

/** One entry of a group's `members` list. */
export type MemberEntry =
  | {
      readonly kind: "user";
      readonly user: string;
      /** ISO 8601 instant after which the grant no longer holds (exclusive end). */
      readonly until?: string;
      readonly reason?: string;
      readonly source: SourceLocation;
      /** Where the `until` value sits. */
      readonly untilSource?: SourceLocation;
    }
  | { readonly kind: "group"; readonly group: string; readonly source: SourceLocation };

/**
 * An access review of a group (`gatehouse review open` writes it; the owners' approval of the pull
 * request that deletes names from `pending` is the re-certification; `gatehouse review close` revokes
 * what is still pending after `due`).
 */
export interface GroupReview {
  /** ISO date (YYYY-MM-DD, UTC), the last day to re-certify. */
  readonly due: string;
  /** User ids of the direct members and grants not re-certified yet. */
  readonly pending: readonly string[];
  readonly source: SourceLocation;
  /** Where each `pending` entry sits, index-aligned with `pending`. */
  readonly pendingSources?: readonly SourceLocation[];
}

export interface Group {
  readonly name: string;
  readonly description?: string;
  readonly owners: readonly string[];
  readonly sensitivity: Sensitivity;
  /** Provider names holding this group; undefined means every provider. */
  readonly providers?: readonly string[];
  /** Names the group had before: the plan renames the live group instead of deleting and recreating it. */
  readonly formerNames?: readonly string[];
  /** An access review under way (`review:`); undefined when none is open. */
  readonly review?: GroupReview;
  /** Undefined means membership is not managed by the files (unmanaged); [] means enforce empty. */
  readonly members?: readonly MemberEntry[];
  /**
   * Indices in `members` of the entries that say more than a user's name: nested groups, and grants
   * with `until` or `reason`. Most groups have none, and a pass that only cares about those (grant
   * windows, nesting) then skips the million plain entries of a large organization. Undefined (a model
   * built by hand): every entry counts.
   */
  readonly detailedMembers?: readonly number[];
  readonly source: SourceLocation;
  /** Where each `owners` / `providers` entry sits, index-aligned with the lists above. */
  readonly ownerSources?: readonly SourceLocation[];
  readonly providerSources?: readonly SourceLocation[];
}

/** A role rule's condition: every listed attribute must match one of its values. */
export interface RoleCondition {
  readonly department?: readonly string[];
  readonly title?: readonly string[];
  readonly employmentType?: readonly EmploymentType[];
}

export interface Role {
  readonly name: string;
  readonly description?: string;
  readonly when: RoleCondition;
  readonly groups: readonly string[];
  readonly source: SourceLocation;
  /** Where each `groups` entry sits, index-aligned with `groups`. */
  readonly groupSources?: readonly SourceLocation[];
}

/** What to do with live objects the access files do not mention. */
export type ProviderMode = "authoritative" | "additive" | "observe";

export interface ProviderConfig {
  readonly name: string;
  readonly type: string;
  readonly mode: ProviderMode;
  /** Native nested groups (a group as a member) instead of flattening. */
  readonly nesting: boolean;
  /** Which user field names the account when `accounts.<provider>` is absent. Default "id". */
  readonly accountName?: "id" | "email";
  /**
   * Which people get an account here: everyone ("all"), only people with `accounts.<provider>` set
   * ("mapped"), or only effective members of this provider's groups ("members"). Default per type.
   */
  readonly users?: "all" | "mapped" | "members";
  /** The rest of the provider's settings as written; each provider validates its own. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation;
}

/** A guard rail's limit: a count, or a percentage of what the guard counts against. */
export type Limit =
  { readonly kind: "count"; readonly value: number } | { readonly kind: "percent"; readonly value: number };

export interface Guardrails {
  /** Refuse plans that remove more than this many memberships (absolute) ... */
  readonly maxRemovals?: Limit;
  /** Users that must never be disabled or removed from a group by a plan. */
  readonly protectedUsers: readonly string[];
  /** Groups that must never be deleted or lose members by a plan. */
  readonly protectedGroups: readonly string[];
}

/** `policy.offboarding.webhooks`: a downstream system told of each leaver an apply offboarded. */
export interface OffboardingWebhook {
  /** Unique among the webhooks; the journal and the apply summary name deliveries by it. */
  readonly name: string;
  readonly url: string;
  /** The environment variable holding the HMAC-SHA256 signing secret (never the secret itself). */
  readonly secretEnv?: string;
  /** How long one attempt may take (default 10). */
  readonly timeoutSeconds: number;
  /** Where its `name` is in gatehouse.yaml. */
  readonly source?: SourceLocation;
}

export interface Policy {
  readonly groupNaming?: string;
  readonly maxNestingDepth: number;
  readonly separationOfDuties: readonly (readonly string[])[];
  /** Longest grant, in milliseconds, for normal and privileged groups. */
  readonly maxGrantMs?: number;
  readonly privilegedMaxGrantMs?: number;
  /** The same as written (`24h`), for messages: quoted as the file has it, not rewritten (`1d`). */
  readonly maxGrantText?: string;
  readonly privilegedMaxGrantText?: string;
  /** Approvals a privileged group needs. */
  readonly privilegedApprovals: number;
  /** What `status: leave` does: keep access as is, or disable the account (memberships kept). */
  readonly leave: "keep" | "disable";
  readonly guardrails: Guardrails;
  /** GitHub logins (or user ids) who must approve changes to gatehouse.yaml, schemas and workflows. */
  readonly admins: readonly string[];
  /** Keep `.github/CODEOWNERS` in step with group owners and admins; `validate` reports it when stale. */
  readonly codeowners?: boolean;
  /**
   * How long without a sign-in an active person's account may go before `gatehouse accounts` calls it
   * stale, in milliseconds (`policy.staleAfter`). Undefined: the command's default (90 days).
   */
  readonly staleAfterMs?: number;
  /** `policy.drills.canaries`: the users `gatehouse drill` may offboard and restore (the first by default). */
  readonly drillCanaries?: readonly string[];
  /** `policy.drills.allowRemovals`: a drill's `--allow-removals` when the command line gives none. */
  readonly drillAllowRemovals?: number;
  /** `policy.offboarding.webhooks`, in file order. */
  readonly offboardingWebhooks?: readonly OffboardingWebhook[];
  readonly source?: SourceLocation;
  /**
   * Where each value under `policy` sits, by JSON pointer relative to it ("/groupNaming",
   * "/separationOfDuties/0/1", "/guardrails/protectedUsers/0", "/admins/2").
   */
  readonly locations?: ReadonlyMap<string, SourceLocation>;
}

export interface AccessConfig {
  readonly providers: readonly ProviderConfig[];
  readonly policy: Policy;
  /** gatehouse.yaml; absent when there is none the tree could use (the built-in default then). */
  readonly source?: SourceLocation;
  /** Providers gatehouse.yaml names but left out for their errors (already reported). */
  readonly invalidProviders?: readonly string[];
}

/** The whole access tree, after loading and validation. Maps are keyed by id / name. */
export interface AccessModel {
  readonly users: ReadonlyMap<string, User>;
  readonly groups: ReadonlyMap<string, Group>;
  readonly roles: ReadonlyMap<string, Role>;
  readonly config: AccessConfig;
}
