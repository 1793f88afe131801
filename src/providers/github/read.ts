/** Reads the organization: members, pending and failed invitations, teams with direct members and roles. */
import type { LiveState } from "../../model/state.ts";
import type { GithubSession } from "./session.ts";
import type { GithubLiveGroup, WireInvitation, WireTeamMember } from "./map.ts";
import { PER_PAGE } from "./session.ts";
import { isRateLimited, statusOf } from "./client.ts";
import {
  describeFailedInvitation,
  directTeamMembers,
  mapTeam,
  mapUsers,
  normalizeLogin,
  toWireTeamMember,
} from "./map.ts";

/** Why apply refuses to remove an org owner who is in no access file (see removeUnlistedOwners). */
export const UNLISTED_OWNER_REFUSAL =
  "it is an org owner in no access file (made an owner by hand?): add them to the files, or set removeUnlistedOwners: true to let mode: authoritative remove them";
/**
 * The account the token belongs to, or `null` when it has none: `GET /user` answers 403 (or 404) for a
 * GitHub App installation token, which acts as the app, not as an account.
 */
export async function readViewer(s: GithubSession): Promise<{ login: string; id: number } | null> {
  if (s.viewer !== undefined) return s.viewer;
  let data: { login: string; id: number | bigint };
  try {
    ({ data } = await s.client.octokit.request("GET /user"));
  } catch (error) {
    const status = statusOf(error);
    // A rate limit is no answer about the token: taken for "no account", it would switch off the lock-out
    // check (the token's own account could be removed) and leave the token's account maintainer of the
    // teams it creates.
    if ((status !== 403 && status !== 404) || isRateLimited(error)) throw error;
    s.viewer = null;
    return null;
  }
  const viewer = { login: normalizeLogin(data.login), id: Number(data.id) };
  s.viewer = viewer;
  s.ids.set(viewer.login, viewer.id);
  return viewer;
}

/** Org owners (role admin), lower-cased. */
export async function readAdmins(s: GithubSession): Promise<Set<string>> {
  const admins = await s.client.octokit.paginate("GET /orgs/{org}/members", {
    org: s.settings.org,
    role: "admin",
    per_page: PER_PAGE,
  });
  return new Set(admins.map((a) => normalizeLogin(a.login)));
}

/**
 * Compares members with pinned ids: renamed accounts and re-registered logins become findings. A member
 * whose id is pinned under another login is the same GitHub account, renamed: the login it had is returned
 * as its other name (LiveUser.otherName), so a plan keeps it where the files still give that login access
 * instead of removing it and inviting a login that no longer exists. Its new login is pinned too (the old
 * pin stays: whoever registers the freed login later is another account).
 */
function checkIdentities(
  s: GithubSession,
  members: readonly { login: string; id: number }[],
): { findings: string[]; formerLogins: Map<string, string> } {
  const findings: string[] = [];
  const formerLogins = new Map<string, string>();
  for (const m of members) {
    const login = normalizeLogin(m.login);
    const pinnedHere = s.pins.pinnedId(login);
    const [former] = s.pins.loginsOf(m.id).filter((other) => other !== login);
    if (former !== undefined) {
      formerLogins.set(login, former);
      if (pinnedHere === m.id) continue; // reported when first seen; the plan says what is left to do
      findings.push(
        `GitHub account ${String(m.id)} was pinned as ${former} and is now ${login} (renamed): it keeps what the files give ${former}, nothing more is granted to ${former}, and nothing is removed from ${login} for want of a name: update accounts.github to ${login} if it is the same person`,
      );
      if (pinnedHere === undefined) s.pins.verify(login, m.id);
      continue;
    }
    const verdict = s.pins.verify(login, m.id);
    if (verdict.kind === "mismatch") {
      findings.push(
        `login ${login} now belongs to GitHub account ${String(verdict.actualId)}, not the pinned ${String(verdict.pinnedId)} (re-registered); access for ${login} is refused until the pin is reviewed`,
      );
    }
  }
  return { findings, formerLogins };
}

export async function readGithubState(s: GithubSession): Promise<LiveState> {
  const { octokit } = s.client;
  const org = s.settings.org;
  await s.pins.load();
  await readViewer(s);
  const members = await octokit.paginate("GET /orgs/{org}/members", { org, per_page: PER_PAGE });
  const pending: WireInvitation[] = await octokit.paginate("GET /orgs/{org}/invitations", {
    org,
    per_page: PER_PAGE,
  });
  const failed: WireInvitation[] = await octokit.paginate("GET /orgs/{org}/failed_invitations", {
    org,
    per_page: PER_PAGE,
  });
  const teams = await octokit.paginate("GET /orgs/{org}/teams", { org, per_page: PER_PAGE });

  for (const m of members) s.ids.set(normalizeLogin(m.login), m.id);
  const identities = checkIdentities(s, members);
  s.findings = identities.findings;

  // Invited people are not members. A failed (e.g. expired) invitation is reported; unless the settings ask
  // for retries it is also kept as pending, so the plan does not send it again.
  const memberLogins = new Set(members.map((m) => normalizeLogin(m.login)));
  const pendingLogins = new Set(pending.flatMap((i) => (i.login === null ? [] : [normalizeLogin(i.login)])));
  const stillFailed = failed.filter(
    (i) =>
      i.login !== null &&
      !memberLogins.has(normalizeLogin(i.login)) &&
      !pendingLogins.has(normalizeLogin(i.login)),
  );
  for (const inv of stillFailed) {
    s.findings.push(
      `${describeFailedInvitation(inv)}; ${s.settings.retryFailedInvitations ? "it will be sent again" : "not sent again (retryFailedInvitations: false)"}`,
    );
  }
  for (const inv of pending) {
    // An invitation by e-mail has no account to match anyone in the files; accepted, it adds someone unplanned.
    if (inv.login === null)
      s.findings.push(
        `invitation #${String(inv.id)} to ${org} is by e-mail only: gatehouse cannot match it to anyone in the files, and once accepted its account joins ${org} unplanned (mode: authoritative removes it on the next run); cancel it on GitHub, or give the person's login in accounts.${s.name}`,
      );
    else if (inv.role === "admin")
      s.findings.push(
        `invitation of ${normalizeLogin(inv.login)} is for the org owner role (admin): once accepted, ${normalizeLogin(inv.login)} owns ${org}; gatehouse invites as members only, so check it is meant`,
      );
  }
  s.failedOnly = new Set(
    s.settings.retryFailedInvitations
      ? []
      : stillFailed.flatMap((i) => (i.login === null ? [] : [normalizeLogin(i.login)])),
  );
  const users = mapUsers(
    members,
    s.settings.retryFailedInvitations ? pending : [...pending, ...stillFailed],
  ).map((u) => {
    const otherName = identities.formerLogins.get(u.account);
    const failedOnly = u.pending === true && s.failedOnly.has(u.account);
    return {
      ...u,
      ...(otherName === undefined ? {} : { otherName }),
      ...(failedOnly ? { invitationFailed: true as const } : {}),
    };
  });

  // Pending team memberships ride on the invitation; they count as members so they are not re-sent.
  const invitedTo = new Map<string, string[]>();
  for (const inv of pending) {
    if (inv.login === null || inv.team_count === 0) continue;
    const invitee = normalizeLogin(inv.login);
    const invTeams = await octokit.paginate("GET /orgs/{org}/invitations/{invitation_id}/teams", {
      org,
      invitation_id: inv.id,
      per_page: PER_PAGE,
    });
    for (const t of invTeams) invitedTo.set(t.slug, [...(invitedTo.get(t.slug) ?? []), invitee]);
  }

  s.teams.clear();
  s.directMembers.clear();
  for (const t of teams) {
    s.teams.set(t.slug, { id: t.id, slug: t.slug, parentSlug: t.parent?.slug ?? null, privacy: t.privacy });
  }
  const formerSlugs = pinTeams(s, teams);
  const children = new Map<string, string[]>();
  for (const t of teams) {
    if (t.parent) children.set(t.parent.slug, [...(children.get(t.parent.slug) ?? []), t.slug]);
  }
  // Org owners: a plan names them on their removal ("org owner") and notes what the lock-out checks will
  // refuse; GitHub calls them maintainers of every team, so their role says nothing of a direct membership.
  const admins = await readAdmins(s);
  const listed = new Map<string, WireTeamMember[]>();
  const maintainersOf = new Map<string, Set<string>>();
  for (const t of teams) {
    const all = await listTeamMembers(s, t.slug, "all");
    listed.set(t.slug, all);
    // Without GitHub's team-member role feature the list has no `role`: ask for the maintainers separately.
    const needRoles = all.some((m) => m.role === undefined);
    const maintainers = needRoles ? await listTeamMembers(s, t.slug, "maintainer") : [];
    maintainersOf.set(t.slug, new Set(maintainers.map((m) => normalizeLogin(m.login))));
  }
  const groups: GithubLiveGroup[] = teams
    .map((t) => {
      const childLogins = new Set(
        (children.get(t.slug) ?? []).flatMap((c) =>
          (listed.get(c) ?? []).map((m) => normalizeLogin(m.login)),
        ),
      );
      const direct = directTeamMembers(
        listed.get(t.slug) ?? [],
        childLogins,
        maintainersOf.get(t.slug),
        admins,
      );
      s.directMembers.set(t.slug, new Set(direct.members));
      const group = mapTeam(t, direct, children.get(t.slug) ?? [], invitedTo.get(t.slug) ?? [], s.nesting);
      const otherName = formerSlugs.get(t.slug);
      return otherName === undefined ? group : { ...group, otherName };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Roles are planned only where group owners become maintainers; then owners (whom GitHub always shows as
  // maintainers) must be known, or the plan would ask every run to make one a plain member.
  const owners = s.settings.maintainers === "owners" ? [...admins].sort() : undefined;
  await s.pins.save();
  // Logged once per run: a run reads several times (plan, apply's read-back), the findings stay the same.
  // Not where the caller prints the read's notes itself (import's warnings): once is enough.
  for (const finding of s.isNotesShown ? [] : s.findings) {
    if (s.logged.has(finding)) continue;
    s.logged.add(finding);
    s.log(`${s.name}: ${finding}`);
  }
  const viewer = s.viewer?.login;
  const required = new Set(s.settings.requiredAdmins.map(normalizeLogin));
  const marked = users.map((u) => {
    const refused =
      u.account === viewer
        ? "it is the account gatehouse runs as (the token's)"
        : required.has(u.account)
          ? "it is listed in requiredAdmins"
          : undefined;
    return {
      ...u,
      ...(admins.has(u.account) && u.enabled ? { adminRole: "org owner" } : {}),
      ...(refused === undefined ? {} : { removalRefused: refused }),
      ...(admins.has(u.account) && u.enabled && !s.settings.removeUnlistedOwners
        ? { unlistedRemovalRefused: UNLISTED_OWNER_REFUSAL }
        : {}),
    };
  });
  return {
    users: marked,
    groups,
    minAdmins: { count: s.settings.minAdmins, setting: "minAdmins" },
    ...(owners === undefined ? {} : { alwaysMaintainers: owners }),
  };
}

/**
 * Pins each team's slug to its id the first time it is seen (neither its id nor its slug pinned, or the slug
 * pinned to a team that no longer exists). A team whose id is pinned under another slug was renamed on
 * GitHub by hand: returned by its present slug with the pinned one, which the read gives it as its other name
 * (LiveGroup.otherName), so a plan renames it back in place instead of deleting it and creating a new one.
 */
function pinTeams(
  s: GithubSession,
  teams: readonly { readonly id: number; readonly slug: string }[],
): Map<string, string> {
  const liveIds = new Set(teams.map((t) => t.id));
  const formerSlugs = new Map<string, string>();
  for (const t of teams) {
    const pinned = s.pins.teamSlugOf(t.id);
    if (pinned === undefined) {
      const holder = s.pins.pinnedTeamId(t.slug);
      if (holder === undefined || !liveIds.has(holder)) s.pins.pinTeam(t.slug, t.id);
    } else if (pinned !== t.slug.toLowerCase()) formerSlugs.set(t.slug, pinned);
  }
  return formerSlugs;
}

async function listTeamMembers(
  s: GithubSession,
  slug: string,
  role: "all" | "maintainer",
): Promise<WireTeamMember[]> {
  const items = await s.client.octokit.paginate("GET /orgs/{org}/teams/{team_slug}/members", {
    org: s.settings.org,
    team_slug: slug,
    ...(role === "all" ? {} : { role }),
    per_page: PER_PAGE,
  });
  return items.map(toWireTeamMember);
}

/**
 * The organization's outside collaborators (people with access to some of its repositories who are not
 * members), lower-cased: `GET /orgs/{org}/outside_collaborators`, paged and conditional. Asked only for
 * leavers (the plan, and the offboarding check after an apply).
 */
export async function readOutsideCollaborators(s: GithubSession): Promise<Set<string>> {
  const items = await s.client.octokit.paginate("GET /orgs/{org}/outside_collaborators", {
    org: s.settings.org,
    per_page: PER_PAGE,
  });
  const logins = new Set(items.map((u) => normalizeLogin(u.login)));
  s.outsideCollaborators = logins;
  return logins;
}

/** How a plan and the offboarding check name an outside collaborator's access. */
export function outsideCollaboratorAccess(s: GithubSession): string {
  return `an outside collaborator on repositories of ${s.settings.org}`;
}
