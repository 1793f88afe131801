/** Seeding helpers: make a world in one call. */
import type { FakeGithub } from "./server.ts";
import type { FakeTeam, OrgRole, TeamRole } from "./state.ts";
import { slugify } from "./handlers/teams.ts";

export interface SeedOrgOptions {
  readonly org: string;
  /** The account the token belongs to; it is made an org owner. */
  readonly viewer: string;
  readonly token: string;
  readonly owners?: readonly string[];
  readonly members?: readonly string[];
  /** Members who are also members through an enterprise team (a removal leaves them in). */
  readonly enterpriseMembers?: readonly string[];
  /** Outside collaborators (on some repository, not members). */
  readonly outsideCollaborators?: readonly string[];
}

/** Creates the org, the token's account (an owner), and the listed accounts as owners or members. */
export function seedOrg(fake: FakeGithub, options: SeedOrgOptions): void {
  const { state } = fake;
  const org = state.addOrg(options.org);
  const ensure = (login: string) => state.userByLogin(login) ?? state.addUser(login);
  org.members.set(ensure(options.viewer).id, "admin");
  state.addToken(options.token, options.viewer);
  for (const login of options.owners ?? []) org.members.set(ensure(login).id, "admin");
  for (const login of options.members ?? []) org.members.set(ensure(login).id, "member");
  for (const login of options.enterpriseMembers ?? []) {
    const { id } = ensure(login);
    if (!org.members.has(id)) org.members.set(id, "member");
    org.enterpriseMembers.add(id);
  }
  for (const login of options.outsideCollaborators ?? []) org.outsideCollaborators.add(ensure(login).id);
}

/** Makes accounts exist on GitHub (people sign up themselves; gatehouse cannot create them). */
export function seedUsers(
  fake: FakeGithub,
  logins: readonly string[],
  orgRole?: { org: string; role: OrgRole },
): void {
  for (const login of logins) {
    const user = fake.state.userByLogin(login) ?? fake.state.addUser(login);
    if (orgRole) fake.state.requireOrg(orgRole.org).members.set(user.id, orgRole.role);
  }
}

export interface SeedTeamOptions {
  readonly name: string;
  readonly description?: string;
  readonly parent?: string;
  readonly privacy?: "secret" | "closed";
  readonly members?: readonly string[];
  readonly maintainers?: readonly string[];
}

export function seedTeam(fake: FakeGithub, orgLogin: string, options: SeedTeamOptions): FakeTeam {
  const { state } = fake;
  const org = state.requireOrg(orgLogin);
  const parent = options.parent === undefined ? undefined : state.teamBySlug(org, slugify(options.parent));
  // GitHub has no secret parent teams ("the `privacy` for parent teams cannot be `secret`").
  if (parent) parent.privacy = "closed";
  const now = state.now();
  const team: FakeTeam = {
    id: state.newId(),
    name: options.name,
    slug: slugify(options.name),
    description: options.description ?? null,
    privacy: options.privacy ?? (parent ? "closed" : "secret"),
    parentId: parent?.id ?? null,
    createdAt: now,
    updatedAt: now,
    members: new Map<number, TeamRole>(),
    pending: new Map(),
  };
  for (const [logins, role] of [
    [options.members ?? [], "member"],
    [options.maintainers ?? [], "maintainer"],
  ] as const) {
    for (const login of logins) team.members.set(state.requireUser(login).id, role);
  }
  org.teams.push(team);
  return team;
}

/**
 * Invites accounts out of band (pending invitations), as if someone clicked "invite" in the UI; an entry
 * with an "@" is an invitation by e-mail address only (no account). `role` applies to all of them.
 */
export function seedInvitations(
  fake: FakeGithub,
  orgLogin: string,
  logins: readonly string[],
  role: "admin" | "direct_member" = "direct_member",
): void {
  const { state } = fake;
  const org = state.requireOrg(orgLogin);
  const inviter = [...org.members].find(([, r]) => r === "admin")?.[0] ?? 0;
  for (const login of logins) {
    const byEmail = login.includes("@");
    const user = byEmail ? undefined : (state.userByLogin(login) ?? state.addUser(login));
    org.invitations.push({
      id: state.newId(),
      inviteeId: user?.id ?? 0,
      ...(byEmail ? { email: login } : {}),
      role,
      inviterId: inviter,
      teamIds: [],
      createdAt: state.now(),
      failedAt: null,
      failedReason: null,
    });
  }
}

export interface SeedPullOptions {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  readonly author: string;
  readonly title?: string;
  readonly body?: string;
  readonly headSha?: string;
  readonly files?: readonly {
    filename: string;
    status?: "added" | "removed" | "modified" | "renamed";
    patch?: string;
  }[];
  /** Reviews in order: who, and what they said. */
  readonly reviews?: readonly { user: string; state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" }[];
}

/** A pull request (an access request) with its changed files and reviews; creates the repo if needed. */
export function seedPull(fake: FakeGithub, options: SeedPullOptions): void {
  const { state } = fake;
  const repo =
    state.repos.get(`${options.owner}/${options.repo}`.toLowerCase()) ??
    state.addRepo(options.owner, options.repo);
  const headSha = options.headSha ?? "0123456789abcdef0123456789abcdef01234567";
  const ensure = (login: string) => state.userByLogin(login) ?? state.addUser(login);
  repo.pulls.set(options.number, {
    number: options.number,
    title: options.title ?? `Access request #${String(options.number)}`,
    body: options.body ?? null,
    state: "open",
    authorId: ensure(options.author).id,
    headSha,
    headRef: `request-${String(options.number)}`,
    baseRef: "main",
    baseSha: "fedcba9876543210fedcba9876543210fedcba98",
    merged: false,
    mergeCommitSha: null,
    mergedAt: null,
    mergedById: null,
    files: (options.files ?? []).map((f) => ({
      filename: f.filename,
      status: f.status ?? "modified",
      additions: 1,
      deletions: 0,
      ...(f.patch === undefined ? {} : { patch: f.patch }),
    })),
    reviews: (options.reviews ?? []).map((r) => ({
      id: state.newId(),
      userId: ensure(r.user).id,
      state: r.state,
      body: "",
      commitId: headSha,
      submittedAt: state.now(),
    })),
  });
  repo.commits.add(headSha);
}
