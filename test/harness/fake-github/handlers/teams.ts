/** Teams: create, rename, nest, privacy, members with roles, child teams. */
import type { Reply, RequestContext } from "../http.ts";
import type { Route } from "../router.ts";
import type { FakeOrg, FakeTeam, Privacy } from "../state.ts";
import { field, noContent, notFound, ok, stringField, validationFailed } from "../http.ts";
import { paginate } from "../pagination.ts";
import { route } from "../router.ts";
import { team as teamJson, teamFull, teamMember, teamMembership } from "../wire.ts";
import { isReply, orgFor } from "./org-members.ts";

/**
 * GitHub's slug for a team name: lower case, runs of other characters become one "-"; underscores are kept
 * (a team named "team_ops" has the slug "team_ops", while "team.ops" becomes "team-ops").
 */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function teamFor(ctx: RequestContext, write: boolean): { org: FakeOrg; team: FakeTeam } | Reply {
  const org = orgFor(ctx, write);
  if (isReply(org)) return org;
  const team = ctx.state.teamBySlug(org, ctx.params["team_slug"] ?? "");
  return team ? { org, team } : notFound();
}

function isTeamReply(value: { org: FakeOrg; team: FakeTeam } | Reply): value is Reply {
  return "status" in value;
}

const teamError = (
  fieldName: string,
  code: "invalid" | "already_exists" | "missing_field",
  message?: string,
): Reply =>
  validationFailed("Validation Failed", [
    { resource: "Team", field: fieldName, code, ...(message ? { message } : {}) },
  ]);

/** Validates name/privacy/parent from a POST or PATCH body; returns the parent id to set (null: none). */
function checkTeamBody(
  ctx: RequestContext,
  org: FakeOrg,
  self: FakeTeam | undefined,
): { parentId: number | null | undefined; privacy: Privacy | undefined } | Reply {
  const name = stringField(ctx.body, "name");
  if (name !== undefined) {
    const clash = org.teams.find((t) => t !== self && (t.slug === slugify(name) || t.name === name));
    if (clash) return teamError("name", "already_exists", "Name must be unique for this org");
  }
  const rawPrivacy = field(ctx.body, "privacy");
  if (rawPrivacy !== undefined && rawPrivacy !== "secret" && rawPrivacy !== "closed")
    return teamError("privacy", "invalid");
  const privacy = rawPrivacy === "secret" || rawPrivacy === "closed" ? rawPrivacy : undefined;
  const rawParent = field(ctx.body, "parent_team_id");
  let parentId: number | null | undefined;
  if (rawParent === null) parentId = null;
  else if (typeof rawParent === "number") {
    const parent = org.teams.find((t) => t.id === rawParent);
    if (!parent || parent === self) return teamError("parent_team_id", "invalid");
    for (let p: FakeTeam | undefined = parent, i = 0; p && i < 100; i++) {
      if (p === self) return teamError("parent_team_id", "invalid", "A team cannot be its own ancestor");
      p = org.teams.find((t) => t.id === p?.parentId);
    }
    // "When a team is nested, the `privacy` for parent teams cannot be `secret`."
    if (parent.privacy === "secret")
      return teamError("parent_team_id", "invalid", "A parent team cannot be secret");
    parentId = rawParent;
  } else if (rawParent !== undefined) return teamError("parent_team_id", "invalid");
  const parentAfter = parentId === undefined ? (self?.parentId ?? null) : parentId;
  if (parentAfter !== null && privacy === "secret") {
    return teamError("privacy", "invalid", "A team with a parent must be closed");
  }
  return { parentId, privacy };
}

export const teamRoutes: readonly Route[] = [
  route("GET /orgs/{org}/teams", (ctx) => {
    const org = orgFor(ctx, false);
    if (isReply(org)) return org;
    return paginate(
      ctx,
      org.teams.map((t) => teamJson(ctx.api, org, t)),
    );
  }),
  route("POST /orgs/{org}/teams", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const name = stringField(ctx.body, "name");
    if (name === undefined || slugify(name) === "") return teamError("name", "missing_field");
    const checked = checkTeamBody(ctx, org, undefined);
    if ("status" in checked) return checked;
    const parentId = checked.parentId ?? null;
    const now = ctx.state.now();
    const team: FakeTeam = {
      id: ctx.state.newId(),
      name,
      slug: slugify(name),
      description: stringField(ctx.body, "description") ?? null,
      privacy: checked.privacy ?? (parentId === null ? "secret" : "closed"),
      parentId,
      createdAt: now,
      updatedAt: now,
      members: new Map(),
      pending: new Map(),
    };
    const maintainers = field(ctx.body, "maintainers");
    // Like GitHub: the account that creates a team becomes its maintainer (an app installation does not).
    if (!ctx.state.installationUsers.has(ctx.viewer.id)) team.members.set(ctx.viewer.id, "maintainer");
    if (Array.isArray(maintainers)) {
      for (const login of maintainers) {
        const user = typeof login === "string" ? ctx.state.userByLogin(login) : undefined;
        if (user && org.members.has(user.id)) team.members.set(user.id, "maintainer");
      }
    }
    org.teams.push(team);
    return ok(teamFull(ctx.api, org, team), 201);
  }),
  route("GET /orgs/{org}/teams/{team_slug}", (ctx) => {
    const found = teamFor(ctx, false);
    if (isTeamReply(found)) return found;
    return ok(teamFull(ctx.api, found.org, found.team));
  }),
  route("PATCH /orgs/{org}/teams/{team_slug}", (ctx) => {
    const found = teamFor(ctx, true);
    if (isTeamReply(found)) return found;
    const { org, team } = found;
    const checked = checkTeamBody(ctx, org, team);
    if ("status" in checked) return checked;
    const name = stringField(ctx.body, "name");
    if (name !== undefined) {
      team.name = name;
      team.slug = slugify(name);
    }
    const description = field(ctx.body, "description");
    if (typeof description === "string") team.description = description;
    if (checked.privacy) team.privacy = checked.privacy;
    if (checked.parentId !== undefined && !org.nestingNeedsApproval) team.parentId = checked.parentId;
    if (team.parentId !== null) team.privacy = "closed";
    team.updatedAt = ctx.state.now();
    return ok(teamFull(ctx.api, org, team));
  }),
  route("DELETE /orgs/{org}/teams/{team_slug}", (ctx) => {
    const found = teamFor(ctx, true);
    if (isTeamReply(found)) return found;
    const { org, team } = found;
    // Deleting a parent team deletes its child teams too.
    const doomed = new Set<number>([team.id]);
    for (let grew = true, i = 0; grew && i < 100; i++) {
      grew = false;
      for (const t of org.teams) {
        if (t.parentId !== null && doomed.has(t.parentId) && !doomed.has(t.id)) {
          doomed.add(t.id);
          grew = true;
        }
      }
    }
    org.teams = org.teams.filter((t) => !doomed.has(t.id));
    return noContent();
  }),
  route("GET /orgs/{org}/teams/{team_slug}/teams", (ctx) => {
    const found = teamFor(ctx, false);
    if (isTeamReply(found)) return found;
    const { org, team } = found;
    return paginate(
      ctx,
      ctx.state.childTeams(org, team).map((t) => teamJson(ctx.api, org, t)),
    );
  }),
  route("GET /orgs/{org}/teams/{team_slug}/members", (ctx) => {
    const found = teamFor(ctx, false);
    if (isTeamReply(found)) return found;
    const role = ctx.query.get("role") ?? "all";
    const members = ctx.state
      .effectiveTeamMembers(found.org, found.team)
      .map((m) => ({ ...m, role: ctx.state.reportedTeamRole(found.org, m.userId, m.role) }))
      .filter((m) => role === "all" || m.role === role)
      .flatMap((m) => {
        const user = ctx.state.users.get(m.userId);
        const extra = found.org.teamMemberFields ? { role: m.role, inherited: m.inherited } : undefined;
        return user ? [teamMember(ctx.api, user, extra)] : [];
      });
    return paginate(ctx, members);
  }),
  route("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", (ctx) => {
    const found = teamFor(ctx, false);
    if (isTeamReply(found)) return found;
    const { org, team } = found;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    const pending = team.pending.get(user.id);
    if (pending) return ok(teamMembership(ctx.api, org, team, user, pending, "pending"));
    const member = ctx.state.effectiveTeamMembers(org, team).find((m) => m.userId === user.id);
    return member
      ? ok(
          teamMembership(
            ctx.api,
            org,
            team,
            user,
            ctx.state.reportedTeamRole(org, user.id, member.role),
            "active",
          ),
        )
      : notFound();
  }),
  route("PUT /orgs/{org}/teams/{team_slug}/memberships/{username}", (ctx) => {
    const found = teamFor(ctx, true);
    if (isTeamReply(found)) return found;
    const { org, team } = found;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    const role = field(ctx.body, "role") ?? "member";
    if (role !== "member" && role !== "maintainer") {
      return validationFailed("Validation Failed", [
        { resource: "TeamMember", field: "role", code: "invalid" },
      ]);
    }
    if (org.members.has(user.id)) {
      team.members.set(user.id, role);
      return ok(
        teamMembership(ctx.api, org, team, user, ctx.state.reportedTeamRole(org, user.id, role), "active"),
      );
    }
    // Not an org member: GitHub invites them to the org; the team membership waits for acceptance.
    let pendingInvitation = ctx.state.pendingInvitation(org, user.id);
    if (!pendingInvitation) {
      pendingInvitation = {
        id: ctx.state.newId(),
        inviteeId: user.id,
        role: "direct_member",
        inviterId: ctx.viewer.id,
        teamIds: [],
        createdAt: ctx.state.now(),
        failedAt: null,
        failedReason: null,
      };
      org.invitations.push(pendingInvitation);
    }
    if (!pendingInvitation.teamIds.includes(team.id)) pendingInvitation.teamIds.push(team.id);
    team.pending.set(user.id, role);
    return ok(teamMembership(ctx.api, org, team, user, role, "pending"));
  }),
  route("DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}", (ctx) => {
    const found = teamFor(ctx, true);
    if (isTeamReply(found)) return found;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    found.team.members.delete(user.id);
    found.team.pending.delete(user.id);
    const invited = ctx.state.pendingInvitation(found.org, user.id);
    if (invited) invited.teamIds = invited.teamIds.filter((id) => id !== found.team.id);
    return noContent();
  }),
];
