/** The fake GitHub's world: accounts, one or more organizations, teams, invitations and pull requests. */

export type OrgRole = "admin" | "member";
export type TeamRole = "member" | "maintainer";
export type Privacy = "secret" | "closed";

export interface FakeUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  createdAt: string;
}

export interface FakeInvitation {
  id: number;
  /** 0 for an invitation by e-mail address only (no account yet). */
  inviteeId: number;
  /** The address an invitation by e-mail went to. */
  email?: string;
  role: "admin" | "direct_member" | "billing_manager" | "reinstate";
  inviterId: number;
  teamIds: number[];
  createdAt: string;
  failedAt: string | null;
  failedReason: string | null;
}

export interface FakeTeam {
  id: number;
  name: string;
  slug: string;
  description: string | null;
  privacy: Privacy;
  parentId: number | null;
  createdAt: string;
  updatedAt: string;
  /** Direct members by user id. */
  members: Map<number, TeamRole>;
  /** Team memberships waiting for an org invitation to be accepted. */
  pending: Map<number, TeamRole>;
}

export interface FakeOrg {
  id: number;
  login: string;
  members: Map<number, OrgRole>;
  invitations: FakeInvitation[];
  teams: FakeTeam[];
  /**
   * GitHub's description declares `role` and `inherited` on `GET /orgs/{org}/teams/{team_slug}/members`
   * items as optional: "only present when the feature is enabled for the organization". Off by default,
   * as for most organizations: the list then carries plain user objects.
   */
  teamMemberFields: boolean;
  /** GitHub App installations with organization administration rights, by their bot account id. */
  installations: Set<number>;
  /**
   * Setting a team's parent needs approval: GitHub turns the change into a pending parent/child request
   * when the actor is not an owner or maintainer of both teams (seen with GitHub App tokens), and the
   * team's `parent` stays as it was in the answer.
   */
  nestingNeedsApproval: boolean;
  /**
   * Members who are also members through an enterprise team: removing their organization membership
   * removes only the direct one ("Their indirect membership via an enterprise team remains until the
   * user is removed from the enterprise team"), and the answer is 204 all the same.
   */
  enterpriseMembers: Set<number>;
  /**
   * Outside collaborators: people with access to one or more of the organization's repositories who are
   * not members (`GET /orgs/{org}/outside_collaborators`). One who accepts an invitation becomes a member.
   */
  outsideCollaborators: Set<number>;
}

export interface FakeComment {
  id: number;
  body: string;
  userId: number;
  createdAt: string;
  updatedAt: string;
}

export interface FakePullFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed";
  additions: number;
  deletions: number;
  patch?: string;
}

export interface FakeReview {
  id: number;
  userId: number;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  authorId: number;
  headSha: string;
  headRef: string;
  baseRef: string;
  baseSha: string;
  merged: boolean;
  /** Set when merged: the commit the merge (or squash) made on the base branch, when, and by whom. */
  mergeCommitSha: string | null;
  mergedAt: string | null;
  mergedById: number | null;
  files: FakePullFile[];
  reviews: FakeReview[];
}

export interface FakeStatus {
  id: number;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creatorId: number;
  createdAt: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  createdAt: string;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  pulls: Map<number, FakePull>;
  comments: Map<number, FakeComment[]>;
  statuses: FakeStatus[];
  checkRuns: FakeCheckRun[];
  /** Commits the repository has (pull request heads and bases, merges, pushes); others are unknown (422). */
  commits: Set<string>;
}

const EPOCH = "2024-01-01T00:00:00Z";

/** Mutable state plus the operations tests use to change the world out of band. */
export class FakeGithubState {
  readonly users = new Map<number, FakeUser>();
  readonly orgs = new Map<string, FakeOrg>();
  readonly repos = new Map<string, FakeRepo>();
  /** token → user id. */
  readonly tokens = new Map<string, number>();
  /** Bot accounts of GitHub App installations: their tokens get 403 from `GET /user`. */
  readonly installationUsers = new Set<number>();
  private nextId = 1000;

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  addUser(login: string, options: { name?: string; email?: string; id?: number } = {}): FakeUser {
    if (this.userByLogin(login)) throw new Error(`fake github: login ${login} exists`);
    const user: FakeUser = {
      id: options.id ?? this.newId(),
      login,
      name: options.name ?? null,
      email: options.email ?? null,
      createdAt: EPOCH,
    };
    this.users.set(user.id, user);
    return user;
  }

  addToken(token: string, login: string): void {
    this.tokens.set(token, this.requireUser(login).id);
  }

  /**
   * A GitHub App installed on the org with organization administration rights, and an installation token
   * (`ghs_…`) for it. The app acts as `<appSlug>[bot]`, is not an org member, and `GET /user` answers 403.
   */
  addInstallation(orgLogin: string, token: string, appSlug: string): FakeUser {
    const org = this.requireOrg(orgLogin);
    const bot = this.userByLogin(`${appSlug}[bot]`) ?? this.addUser(`${appSlug}[bot]`);
    this.installationUsers.add(bot.id);
    org.installations.add(bot.id);
    this.tokens.set(token, bot.id);
    return bot;
  }

  addOrg(login: string): FakeOrg {
    const org: FakeOrg = {
      id: this.newId(),
      login,
      members: new Map(),
      invitations: [],
      teams: [],
      teamMemberFields: false,
      installations: new Set(),
      nestingNeedsApproval: false,
      enterpriseMembers: new Set(),
      outsideCollaborators: new Set(),
    };
    this.orgs.set(login.toLowerCase(), org);
    return org;
  }

  addRepo(owner: string, name: string): FakeRepo {
    const repo: FakeRepo = {
      id: this.newId(),
      owner,
      name,
      pulls: new Map(),
      comments: new Map(),
      statuses: [],
      checkRuns: [],
      commits: new Set(),
    };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    return repo;
  }

  userByLogin(login: string): FakeUser | undefined {
    const wanted = login.toLowerCase();
    for (const user of this.users.values()) if (user.login.toLowerCase() === wanted) return user;
    return undefined;
  }

  requireUser(login: string): FakeUser {
    const user = this.userByLogin(login);
    if (!user) throw new Error(`fake github: no user ${login}`);
    return user;
  }

  org(login: string): FakeOrg | undefined {
    return this.orgs.get(login.toLowerCase());
  }

  requireOrg(login: string): FakeOrg {
    const org = this.org(login);
    if (!org) throw new Error(`fake github: no org ${login}`);
    return org;
  }

  teamBySlug(org: FakeOrg, slug: string): FakeTeam | undefined {
    const wanted = slug.toLowerCase();
    return org.teams.find((t) => t.slug === wanted);
  }

  /** The account keeps its numeric id; its login changes (GitHub's "change username"). */
  renameLogin(oldLogin: string, newLogin: string): FakeUser {
    const user = this.requireUser(oldLogin);
    if (this.userByLogin(newLogin)) throw new Error(`fake github: login ${newLogin} is taken`);
    user.login = newLogin;
    return user;
  }

  /**
   * Someone else signs up with a login that was freed: the old account is renamed away (it keeps its id and
   * memberships), and a new account with a new id takes the login.
   */
  reRegisterLogin(login: string, movedTo = `${login}-old`): FakeUser {
    this.renameLogin(login, movedTo);
    return this.addUser(login);
  }

  /** The invitee accepts: they become a member, and pending team memberships become active. */
  acceptInvitation(orgLogin: string, login: string): void {
    const org = this.requireOrg(orgLogin);
    const user = this.requireUser(login);
    org.outsideCollaborators.delete(user.id);
    const invitation = org.invitations.find((i) => i.inviteeId === user.id && i.failedAt === null);
    if (!invitation) throw new Error(`fake github: ${login} has no pending invitation to ${orgLogin}`);
    org.invitations = org.invitations.filter((i) => i !== invitation);
    org.members.set(user.id, invitation.role === "admin" ? "admin" : "member");
    for (const team of org.teams) {
      const role = team.pending.get(user.id);
      if (role) team.members.set(user.id, role);
      team.pending.delete(user.id);
    }
    for (const teamId of invitation.teamIds) {
      const team = org.teams.find((t) => t.id === teamId);
      if (team && !team.members.has(user.id)) team.members.set(user.id, "member");
    }
  }

  /** The invitation runs out (GitHub expires them after 7 days) and shows in failed_invitations. */
  expireInvitation(orgLogin: string, login: string): void {
    const org = this.requireOrg(orgLogin);
    const user = this.requireUser(login);
    for (const invitation of org.invitations) {
      if (invitation.inviteeId === user.id && invitation.failedAt === null) {
        invitation.failedAt = this.now();
        invitation.failedReason = "Invitation expired";
      }
    }
    for (const team of org.teams) team.pending.delete(user.id);
  }

  /** Removes a member from the org and from every team of it (as GitHub does). */
  removeMember(org: FakeOrg, userId: number): void {
    org.members.delete(userId);
    for (const team of org.teams) {
      team.members.delete(userId);
      team.pending.delete(userId);
    }
  }

  pendingInvitation(org: FakeOrg, userId: number): FakeInvitation | undefined {
    return org.invitations.find((i) => i.inviteeId === userId && i.failedAt === null);
  }

  /**
   * The team role GitHub reports: "The `role` for organization owners is set to `maintainer`" (Get team
   * membership), whatever role they were added with; the stored role shows again if they stop being owners.
   */
  reportedTeamRole(org: FakeOrg, userId: number, stored: TeamRole): TeamRole {
    return org.members.get(userId) === "admin" ? "maintainer" : stored;
  }

  childTeams(org: FakeOrg, team: FakeTeam): FakeTeam[] {
    return org.teams.filter((t) => t.parentId === team.id);
  }

  /** Direct members plus members of every descendant team, with whether they are inherited. */
  effectiveTeamMembers(
    org: FakeOrg,
    team: FakeTeam,
  ): { userId: number; role: TeamRole; inherited: boolean }[] {
    const out = new Map<number, { userId: number; role: TeamRole; inherited: boolean }>();
    for (const [userId, role] of team.members) out.set(userId, { userId, role, inherited: false });
    const queue = this.childTeams(org, team);
    for (let i = 0; i < queue.length && i < 10_000; i++) {
      const child = queue[i];
      if (!child) break;
      for (const userId of child.members.keys()) {
        if (!out.has(userId)) out.set(userId, { userId, role: "member", inherited: true });
      }
      queue.push(...this.childTeams(org, child));
    }
    return [...out.values()].sort((a, b) => a.userId - b.userId);
  }
}
