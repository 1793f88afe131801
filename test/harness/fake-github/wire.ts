/** JSON bodies in the shapes GitHub's OpenAPI description declares (Prism checks them in tests). */
import type { FakeGithubState, FakeInvitation, FakeOrg, FakeTeam, FakeUser, TeamRole } from "./state.ts";

type Json = Record<string, unknown>;
const WEB = "https://github.com";

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${String(id)}`).toString("base64");
}

export function simpleUser(api: string, user: FakeUser, type: "User" | "Organization" = "User"): Json {
  const u = `${api}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId("User", user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${String(user.id)}?v=4`,
    gravatar_id: "",
    url: u,
    html_url: `${WEB}/${user.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type,
    site_admin: false,
    user_view_type: "public",
  };
}

export function publicUser(api: string, user: FakeUser): Json {
  return {
    ...simpleUser(api, user),
    name: user.name,
    company: null,
    blog: "",
    location: null,
    email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: user.createdAt,
    updated_at: user.createdAt,
  };
}

export function privateUser(api: string, user: FakeUser): Json {
  return {
    ...publicUser(api, user),
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

export function organizationSimple(api: string, org: FakeOrg): Json {
  const u = `${api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId("Organization", org.id),
    url: u,
    repos_url: `${u}/repos`,
    events_url: `${u}/events`,
    hooks_url: `${u}/hooks`,
    issues_url: `${u}/issues`,
    members_url: `${u}/members{/member}`,
    public_members_url: `${u}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${String(org.id)}?v=4`,
    description: null,
  };
}

export function orgMembership(
  api: string,
  org: FakeOrg,
  user: FakeUser,
  state: "active" | "pending",
  role: "admin" | "member",
): Json {
  return {
    url: `${api}/orgs/${org.login}/memberships/${user.login}`,
    state,
    role,
    direct_membership: true,
    organization_url: `${api}/orgs/${org.login}`,
    organization: organizationSimple(api, org),
    user: simpleUser(api, user),
  };
}

export function invitation(api: string, state: FakeGithubState, org: FakeOrg, inv: FakeInvitation): Json {
  const invitee = state.users.get(inv.inviteeId);
  const inviter = state.users.get(inv.inviterId);
  return {
    id: inv.id,
    node_id: nodeId("OrganizationInvitation", inv.id),
    login: invitee?.login ?? null,
    email: inv.email ?? null,
    role: inv.role,
    created_at: inv.createdAt,
    failed_at: inv.failedAt,
    failed_reason: inv.failedReason,
    inviter: inviter ? simpleUser(api, inviter) : null,
    team_count: inv.teamIds.length,
    invitation_teams_url: `${api}/organizations/${String(org.id)}/invitations/${String(inv.id)}/teams`,
    invitation_source: "member",
  };
}

function teamSimple(api: string, org: FakeOrg, team: FakeTeam): Json {
  const u = `${api}/organizations/${String(org.id)}/team/${String(team.id)}`;
  return {
    id: team.id,
    node_id: nodeId("Team", team.id),
    url: u,
    html_url: `${WEB}/orgs/${org.login}/teams/${team.slug}`,
    members_url: `${u}/members{/member}`,
    repositories_url: `${u}/repos`,
    name: team.name,
    slug: team.slug,
    description: team.description,
    privacy: team.privacy,
    notification_setting: "notifications_enabled",
    permission: "pull",
    type: "organization",
    organization_id: org.id,
  };
}

export function team(api: string, org: FakeOrg, t: FakeTeam): Json {
  const parent = org.teams.find((p) => p.id === t.parentId);
  return {
    ...teamSimple(api, org, t),
    permissions: { pull: true, triage: false, push: false, maintain: false, admin: false },
    parent: parent ? teamSimple(api, org, parent) : null,
  };
}

export function teamFull(api: string, org: FakeOrg, t: FakeTeam): Json {
  const parent = org.teams.find((p) => p.id === t.parentId);
  const u = `${api}/orgs/${org.login}`;
  return {
    ...teamSimple(api, org, t),
    parent: parent ? teamSimple(api, org, parent) : null,
    members_count: t.members.size,
    repos_count: 0,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    organization: {
      ...organizationSimple(api, org),
      name: org.login,
      html_url: `${WEB}/${org.login}`,
      has_organization_projects: true,
      has_repository_projects: true,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      type: "Organization",
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      archived_at: null,
      members_url: `${u}/members{/member}`,
    },
  };
}

/** A team-member list item: a simple user, plus `role` and `inherited` only when the org has that feature. */
export function teamMember(
  api: string,
  user: FakeUser,
  extra: { role: TeamRole; inherited: boolean } | undefined,
): Json {
  return extra ? { ...simpleUser(api, user), ...extra } : simpleUser(api, user);
}

export function teamMembership(
  api: string,
  org: FakeOrg,
  t: FakeTeam,
  user: FakeUser,
  role: TeamRole,
  state: "active" | "pending",
): Json {
  return {
    url: `${api}/organizations/${String(org.id)}/team/${String(t.id)}/memberships/${user.login}`,
    role,
    state,
  };
}
