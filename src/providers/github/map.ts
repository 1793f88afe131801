/** Pure translation between GitHub's wire shapes and gatehouse's live model. No I/O. */
import type { LiveGroup, LiveUser } from "../../model/state.ts";

/** GitHub logins are case-insensitive; gatehouse compares and reports them lower-cased. */
export function normalizeLogin(login: string): string {
  return login.toLowerCase();
}

/**
 * GitHub's slug for a team name: lower case, runs of other characters become one "-"; underscores are kept
 * (a team named "team_ops" has the slug "team_ops"; "team.ops" becomes "team-ops"). GitHub does not publish
 * the rule: read slugs back from its answers, and use this only to predict one.
 */
export function slugForTeamName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export interface WireMember {
  readonly login: string;
  readonly id: number;
}

export interface WireInvitation {
  readonly id: number;
  readonly login: string | null;
  readonly failed_at?: string | null;
  readonly failed_reason?: string | null;
  readonly team_count: number;
  /** "direct_member", "admin" (an org owner once accepted), ...; absent in older answers. */
  readonly role?: string;
}

export interface WireTeam {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly description: string | null;
  readonly privacy?: string;
  readonly parent: { readonly id: number; readonly slug: string } | null;
}

export interface WireTeamMember {
  readonly login: string;
  readonly id: number;
  /** Only present when the organization has GitHub's team-member role feature (usually absent). */
  readonly role?: string;
  /** True when the membership comes only from a child team; present only with that same feature. */
  readonly inherited?: boolean;
}

/** A team-member list item with `role` and `inherited` kept only when GitHub sent them with the right type. */
export function toWireTeamMember(item: { readonly login: string; readonly id: number }): WireTeamMember {
  const role: unknown = Reflect.get(item, "role");
  const inherited: unknown = Reflect.get(item, "inherited");
  return {
    login: item.login,
    id: item.id,
    ...(typeof role === "string" ? { role } : {}),
    ...(typeof inherited === "boolean" ? { inherited } : {}),
  };
}

/** Org members, then pending invitees (not members: `enabled: false, pending: true`). */
export function mapUsers(members: readonly WireMember[], pending: readonly WireInvitation[]): LiveUser[] {
  const users = new Map<string, LiveUser>();
  for (const m of members)
    users.set(normalizeLogin(m.login), { account: normalizeLogin(m.login), enabled: true });
  for (const inv of pending) {
    if (inv.login === null) continue; // an invitation by e-mail has no account to match
    const account = normalizeLogin(inv.login);
    if (!users.has(account)) users.set(account, { account, enabled: false, pending: true });
  }
  return [...users.values()].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
}

/** A team's members as GitHub lists them, split into direct members and maintainers. */
export interface TeamMembers {
  readonly members: readonly string[];
  readonly maintainers: readonly string[];
  /** Listed members taken as inherited only because a child team holds them (no `inherited` flag). */
  readonly uncertain?: readonly string[];
}

/**
 * Direct members of a team. GitHub lists members of child teams too, and says which ones only when the
 * organization has the team-member role feature (`inherited`). When the flag is absent, members who also
 * appear in a child team are taken as inherited, so gatehouse never plans to remove someone it cannot
 * remove from this team; except one listed as maintainer who is no org owner (only a direct member has that
 * role). Maintainers are those GitHub lists with `?role=maintainer` (or `role` on the item).
 */
export function directTeamMembers(
  listed: readonly WireTeamMember[],
  childMembers: ReadonlySet<string>,
  maintainerLogins: ReadonlySet<string> = new Set(),
  orgOwners: ReadonlySet<string> = new Set(),
): TeamMembers {
  const members: string[] = [];
  const maintainers: string[] = [];
  const uncertain: string[] = [];
  for (const m of listed) {
    const login = normalizeLogin(m.login);
    const isMaintainer = m.role === "maintainer" || maintainerLogins.has(login);
    // The maintainer role belongs to a direct membership (a child team's members are members of the parent):
    // a maintainer here is direct, unless an org owner, whom GitHub calls maintainer of every team they see.
    const inherited = m.inherited ?? (childMembers.has(login) && !(isMaintainer && !orgOwners.has(login)));
    if (inherited && m.inherited === undefined) uncertain.push(login);
    if (inherited) continue;
    members.push(login);
    if (isMaintainer) maintainers.push(login);
  }
  return {
    members: members.sort(),
    maintainers: maintainers.sort(),
    ...(uncertain.length === 0 ? {} : { uncertain: uncertain.sort() }),
  };
}

/** A team as a live group, with maintainers (GitHub's role) kept alongside. */
export interface GithubLiveGroup extends LiveGroup {
  /** Members whose team role is maintainer (a subset of `members`). */
  readonly maintainers: readonly string[];
  readonly privacy?: string;
}

export function mapTeam(
  team: WireTeam,
  members: TeamMembers,
  children: readonly string[],
  pendingInvitees: readonly string[],
  nesting: boolean,
): GithubLiveGroup {
  const all = [...new Set([...members.members, ...pendingInvitees])].sort();
  return {
    name: team.slug,
    ...(team.description === null || team.description === "" ? {} : { description: team.description }),
    members: all,
    maintainers: members.maintainers,
    ...(nesting ? { groupMembers: [...children].sort() } : {}),
    ...(team.privacy === undefined ? {} : { privacy: team.privacy }),
    ...(members.uncertain === undefined ? {} : { uncertainMembers: members.uncertain }),
  };
}

/** "invitation of frank expired at …", or "… failed (reason) at …", from GitHub's failed_reason. */
export function describeFailedInvitation(inv: WireInvitation): string {
  const who = inv.login === null ? `invitation #${String(inv.id)}` : `invitation of ${inv.login}`;
  const reason = (inv.failed_reason ?? "").trim();
  const what = /expired/i.test(reason) ? "expired" : `failed${reason === "" ? "" : ` (${reason})`}`;
  return `${who} ${what}${inv.failed_at ? ` at ${inv.failed_at}` : ""}`;
}
