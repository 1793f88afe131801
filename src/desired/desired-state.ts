import type { AccessModel, Group, ProviderConfig, User } from "../model/access.ts";
import type { SourceLocation } from "../model/source.ts";
import type {
  DesiredGroup,
  DesiredMember,
  DesiredState,
  DesiredUser,
  ExpiredGrant,
  UserAttributes,
} from "../model/state.ts";
import { hasNotStarted, isTerminated } from "../lifecycle/status.ts";
import type { EffectiveGroup } from "./effective.ts";

/** The account name of a user in one provider: explicit `accounts` entry, else id or e-mail. */
export function accountNameFor(user: User, provider: ProviderConfig): string | undefined {
  const explicit = user.accounts[provider.name] ?? user.accounts[provider.type];
  if (explicit !== undefined) return explicit;
  if (provider.users === "mapped") return undefined;
  return provider.accountName === "email" ? user.email : user.id;
}

export function groupIsInProvider(group: Group, provider: ProviderConfig): boolean {
  return group.providers === undefined || group.providers.includes(provider.name);
}

export interface DesiredOptions {
  readonly now: Date;
  /** Keep nested groups as members (the provider nests natively) instead of flattening. */
  readonly nativeNesting: boolean;
}

function isEnabled(user: User, model: AccessModel, now: Date): boolean {
  if (isTerminated(user, now) || hasNotStarted(user, now)) return false;
  return !(user.status === "leave" && model.config.policy.leave === "disable");
}

function attributesOf(user: User, model: AccessModel, provider: ProviderConfig): UserAttributes {
  const manager = user.manager === undefined ? undefined : model.users.get(user.manager);
  const managerAccount = manager ? accountNameFor(manager, provider) : undefined;
  const out: { -readonly [K in keyof UserAttributes]: UserAttributes[K] } = {
    name: user.name,
    employmentType: user.employmentType,
  };
  if (user.email !== undefined) out.email = user.email;
  if (user.department !== undefined) out.department = user.department;
  if (user.title !== undefined) out.title = user.title;
  if (managerAccount !== undefined) out.manager = managerAccount;
  return out;
}

/**
 * What one provider should hold: its users (enabled or not), its groups and their members by account
 * name, with provenance. Terminated people and people who have not started hold no membership.
 */
export function computeDesiredState(
  model: AccessModel,
  provider: ProviderConfig,
  effective: ReadonlyMap<string, EffectiveGroup>,
  options: DesiredOptions,
): DesiredState {
  const { now } = options;
  const accounts = new Map<string, string>(); // userId → account
  const activeAccounts = new Map<string, string>(); // userId → account, for users who may hold memberships
  for (const user of model.users.values()) {
    const account = accountNameFor(user, provider);
    if (account === undefined) continue;
    accounts.set(user.id, account);
    // People on leave keep their memberships (policy may still disable the account).
    if (!isTerminated(user, now) && !hasNotStarted(user, now)) activeAccounts.set(user.id, account);
  }
  const isMembersOnly = provider.users === "members";

  const groups = new Map<string, DesiredGroup>();
  const holdsAny = new Set<string>();
  for (const group of model.groups.values()) {
    if (!groupIsInProvider(group, provider)) continue;
    const eff = effective.get(group.name);
    const members = new Map<string, DesiredMember>();
    const groupMembers = new Map<string, SourceLocation>();
    const expired = new Map<string, ExpiredGrant>();
    const nestedHere = new Set<string>();
    if (options.nativeNesting) {
      for (const entry of group.members ?? []) {
        const inner = entry.kind === "group" ? model.groups.get(entry.group) : undefined;
        if (entry.kind === "group" && inner && groupIsInProvider(inner, provider)) {
          groupMembers.set(entry.group, entry.source);
          nestedHere.add(entry.group);
        }
      }
    }
    for (const [userId, provenance] of eff?.members ?? []) {
      const account = activeAccounts.get(userId);
      if (account === undefined) continue;
      // With native nesting, membership that comes only through a nested group stays in that group.
      const kept =
        nestedHere.size === 0
          ? provenance
          : provenance.filter((p) => !(p.kind === "nested" && nestedHere.has(p.via)));
      if (kept.length === 0) continue;
      members.set(account, { userId, provenance: kept });
      if (isMembersOnly) holdsAny.add(userId);
    }
    const maintainers = new Set<string>();
    if (provider.settings["maintainers"] === "owners") {
      group.owners.forEach((owner, i) => {
        const account = accounts.get(owner);
        if (account === undefined || !activeAccounts.has(owner)) return;
        maintainers.add(account);
        if (!members.has(account)) {
          const source = group.ownerSources?.[i] ?? group.source;
          members.set(account, {
            userId: owner,
            provenance: [{ kind: "direct", source, reason: "group owner, maintainer" }],
          });
          holdsAny.add(owner);
        }
      });
    }
    // With native nesting, a grant that expired in a nested group is that group's business, not ours.
    const ownLines =
      nestedHere.size === 0
        ? undefined
        : new Set((group.members ?? []).map((e) => `${e.source.file}:${String(e.source.line)}`));
    for (const [userId, grant] of eff?.expired ?? []) {
      const account = accounts.get(userId);
      if (account === undefined || members.has(account)) continue;
      if (ownLines && !ownLines.has(`${grant.source.file}:${String(grant.source.line)}`)) continue;
      expired.set(account, grant);
    }
    groups.set(group.name, {
      name: group.name,
      source: group.source,
      managesMembers: group.members !== undefined,
      members,
      groupMembers,
      expired,
      ...(maintainers.size > 0 ? { maintainers } : {}),
      ...(group.formerNames === undefined ? {} : { formerNames: group.formerNames }),
      ...(group.description === undefined ? {} : { description: group.description }),
    });
  }

  const users = new Map<string, DesiredUser>();
  for (const user of model.users.values()) {
    const account = accounts.get(user.id);
    if (account === undefined) continue;
    if (provider.users === "members" && !holdsAny.has(user.id) && !isTerminated(user, now)) continue;
    users.set(account, {
      userId: user.id,
      account,
      status: isTerminated(user, now) ? "terminated" : user.status,
      enabled: isEnabled(user, model, now),
      attributes: attributesOf(user, model, provider),
      source: user.source,
    });
  }
  return { provider: provider.name, users, groups };
}
