/**
 * Small builders for models, live states and plans (changesets' FakeFullState style): each returns plain
 * data with defaults a test can override, so a test spells out only what it is about.
 */
import type {
  AccessModel,
  Group,
  MemberEntry,
  Policy,
  ProviderConfig,
  ProviderMode,
  Role,
  RoleCondition,
  User,
} from "../src/model/access.ts";
import type { SourceLocation } from "../src/model/source.ts";
import type { LiveGroup, LiveState, LiveUser } from "../src/model/state.ts";
import { computeEffectiveMemberships } from "../src/desired/effective.ts";
import { computeDesiredState } from "../src/desired/desired-state.ts";
import { computePlan } from "../src/plan/compute-plan.ts";
import type { PlannerCapabilities } from "../src/plan/compute-plan.ts";
import type { StableIds, StillNaming } from "../src/plan/context.ts";
import { namesHeldBefore } from "../src/engine/held-before.ts";
import { formerIdsOf } from "../src/desired/former-ids.ts";
import type { Change, Plan } from "../src/plan/types.ts";
import { USER_ATTRIBUTE_KEYS } from "../src/model/state.ts";

export const NOW = new Date("2026-06-01T12:00:00.000Z");

/** Milliseconds after (or, negative, before) NOW, as an ISO instant. */
export function at(offsetMs: number): string {
  return new Date(NOW.getTime() + offsetMs).toISOString();
}

export function loc(file: string, line: number, column = 5): SourceLocation {
  return { file, line, column };
}

export const USERS_FILE = "access/users/people.yaml";
export const GROUPS_FILE = "access/groups/groups.yaml";
export const ROLES_FILE = "access/roles/roles.yaml";

export function user(id: string, overrides: Partial<Omit<User, "id">> = {}): User {
  return {
    id,
    name: id.charAt(0).toUpperCase() + id.slice(1),
    email: `${id}@example.com`,
    employmentType: "employee",
    status: "active",
    accounts: {},
    source: loc(USERS_FILE, 1),
    ...overrides,
  };
}

/** Member entries; `line` is where the entry sits in GROUPS_FILE. */
export const entry = {
  user(id: string, line: number, grant: { until?: string; reason?: string } = {}): MemberEntry {
    return { kind: "user", user: id, source: loc(GROUPS_FILE, line, 9), ...grant };
  },
  group(name: string, line: number): MemberEntry {
    return { kind: "group", group: name, source: loc(GROUPS_FILE, line, 9) };
  },
};

/**
 * A group at `line` of GROUPS_FILE. `members` undefined means the files do not manage its members;
 * plain strings are users listed on the lines after the group (line + 3, + 4, ...).
 */
export function group(
  name: string,
  members: readonly (string | MemberEntry)[] | undefined,
  overrides: Partial<Omit<Group, "name" | "members">> & { line?: number } = {},
): Group {
  const { line = 1, ...rest } = overrides;
  const out: Group = {
    name,
    description: `${name} description`,
    owners: ["owner"],
    sensitivity: "normal",
    source: loc(GROUPS_FILE, line),
    ...rest,
  };
  if (members === undefined) return out;
  return {
    ...out,
    members: members.map((m, i) => (typeof m === "string" ? entry.user(m, line + 3 + i) : m)),
  };
}

export function role(name: string, when: RoleCondition, groups: readonly string[], line = 1): Role {
  return { name, when, groups, source: loc(ROLES_FILE, line) };
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    maxNestingDepth: 2,
    separationOfDuties: [],
    privilegedApprovals: 2,
    leave: "keep",
    guardrails: { protectedUsers: [], protectedGroups: [] },
    admins: [],
    ...overrides,
  };
}

export function providerConfig(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    name: "directory",
    type: "local",
    mode: "authoritative",
    nesting: false,
    settings: {},
    source: loc("access/gatehouse.yaml", 3, 3),
    ...overrides,
  };
}

export interface ModelParts {
  readonly users?: readonly User[];
  readonly groups?: readonly Group[];
  readonly roles?: readonly Role[];
  readonly policy?: Policy;
  readonly providers?: readonly ProviderConfig[];
}

export function model(parts: ModelParts = {}): AccessModel {
  return {
    users: new Map((parts.users ?? []).map((u) => [u.id, u])),
    groups: new Map((parts.groups ?? []).map((g) => [g.name, g])),
    roles: new Map((parts.roles ?? []).map((r) => [r.name, r])),
    config: { providers: parts.providers ?? [providerConfig()], policy: parts.policy ?? policy() },
  };
}

/** A live account that matches `user(account)`'s attributes unless overridden. */
export function liveUser(account: string, overrides: Partial<Omit<LiveUser, "account">> = {}): LiveUser {
  return {
    account,
    name: account.charAt(0).toUpperCase() + account.slice(1),
    email: `${account}@example.com`,
    employmentType: "employee",
    enabled: true,
    ...overrides,
  };
}

export function liveGroup(
  name: string,
  members: readonly string[] = [],
  overrides: Partial<Omit<LiveGroup, "name" | "members">> = {},
): LiveGroup {
  return { name, description: `${name} description`, members, ...overrides };
}

export function live(users: readonly LiveUser[] = [], groups: readonly LiveGroup[] = []): LiveState {
  return { users, groups };
}

/** What the local provider can do, as the planner sees it. */
export function capabilities(overrides: Partial<PlannerCapabilities> = {}): PlannerCapabilities {
  return {
    nesting: false,
    disable: "disable",
    revokeSessions: true,
    userAttributes: [...USER_ATTRIBUTE_KEYS],
    createUsers: true,
    groupDescription: true,
    ...overrides,
  };
}

export interface PlanOptions {
  readonly live?: LiveState;
  readonly now?: Date;
  readonly mode?: ProviderMode;
  /** Addresses gatehouse created before (what the journal would say). */
  readonly managed?: readonly string[];
  /** User addresses gatehouse disabled last (what the journal would say). */
  readonly disabledByGatehouse?: readonly string[];
  /** User address → the account expiry gatehouse last wrote to it (JournalFold.expiries). */
  readonly expiries?: ReadonlyMap<string, string>;
  readonly nativeNesting?: boolean;
  readonly capabilities?: Partial<PlannerCapabilities>;
  /** Accounts the journal saw per `${provider}\n${userId}` (JournalFold.accounts). */
  readonly journalAccounts?: ReadonlyMap<string, readonly string[]>;
  /** Names accounts were renamed away from, per `${provider}\n${account}` (JournalFold.renamedAway). */
  readonly renamedAway?: ReadonlyMap<string, readonly string[]>;
  /**
   * What the system still names each name by (Provider.stillNaming). Given (even empty), the plan gets
   * heldBefore as the engine works it out (namesHeldBefore) from the journal options.
   */
  readonly stillNaming?: ReadonlyMap<string, StillNaming>;
  /** Leavers' accounts looked up by the stable ids the journal keeps (engine/stable-ids.ts). */
  readonly leaverIds?: StableIds;
  /** Groups looked up by the stable ids the journal keeps (engine/stable-ids.ts). */
  readonly groupIds?: StableIds;
}

/** files model → effective memberships → desired state of the first provider → plan against `live`. */
export function planFor(accessModel: AccessModel, options: PlanOptions = {}): Plan {
  const now = options.now ?? NOW;
  const base = accessModel.config.providers[0] ?? providerConfig();
  const config: ProviderConfig = {
    ...base,
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    nesting: options.nativeNesting ?? base.nesting,
  };
  const desired = computeDesiredState(accessModel, config, computeEffectiveMemberships(accessModel, now), {
    now,
    nativeNesting: config.nesting,
    ...(options.journalAccounts === undefined ? {} : { journalAccounts: options.journalAccounts }),
    caseInsensitiveNames: options.capabilities?.caseInsensitiveNames === true,
  });
  const state = options.live ?? live();
  const heldBefore =
    options.stillNaming === undefined
      ? undefined
      : namesHeldBefore(
          desired,
          state,
          config.name,
          { accounts: options.journalAccounts ?? new Map(), renamedAway: options.renamedAway ?? new Map() },
          options.capabilities?.caseInsensitiveNames === true,
          formerIdsOf(accessModel.users),
        );
  return computePlan({
    now,
    desiredDigest: "d".repeat(64),
    providers: [
      {
        name: config.name,
        type: config.type,
        mode: config.mode,
        capabilities: capabilities({ nesting: config.nesting, ...options.capabilities }),
        desired,
        live: state,
        liveDigest: "l".repeat(64),
        readCalls: 1,
        ...(heldBefore === undefined ? {} : { heldBefore }),
        ...(options.stillNaming === undefined ? {} : { stillNaming: options.stillNaming }),
        ...(options.managed === undefined ? {} : { managed: new Set(options.managed) }),
        ...(options.disabledByGatehouse === undefined
          ? {}
          : { disabledByGatehouse: new Set(options.disabledByGatehouse) }),
        ...(options.expiries === undefined ? {} : { expiries: options.expiries }),
        ...(options.leaverIds === undefined ? {} : { leaverIds: options.leaverIds }),
        ...(options.groupIds === undefined ? {} : { groupIds: options.groupIds }),
      },
    ],
  });
}

/** "membership.add g/alice added-in-config broadens": a change's kind, action, address, reason, risk. */
export function brief(change: Change): string {
  const address = change.id.slice(change.id.indexOf(":") + 1).replace(/^[a-z]+\//, "");
  return `${change.kind}.${change.action} ${address} ${change.reason} ${change.risk}`;
}

export function briefs(plan: Plan): string[] {
  return plan.changes.map(brief);
}
