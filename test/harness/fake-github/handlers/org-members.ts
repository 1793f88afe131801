/** Organization members, memberships and invitations. */
import type { Reply, RequestContext } from "../http.ts";
import type { Route } from "../router.ts";
import type { FakeInvitation, FakeOrg } from "../state.ts";
import { field, forbidden, noContent, notFound, ok, stringField, validationFailed } from "../http.ts";
import { paginate } from "../pagination.ts";
import { route } from "../router.ts";
import { invitation, orgMembership, simpleUser, team } from "../wire.ts";

/** The org, if the viewer may see it; writes need an owner. */
export function orgFor(ctx: RequestContext, write: boolean): FakeOrg | Reply {
  const org = ctx.state.org(ctx.params["org"] ?? "");
  if (org?.installations.has(ctx.viewer.id)) return org;
  if (!org?.members.has(ctx.viewer.id)) return notFound();
  if (write && org.members.get(ctx.viewer.id) !== "admin") {
    return forbidden("You must be an admin to perform this action.");
  }
  return org;
}

export function isReply(value: FakeOrg | Reply): value is Reply {
  return "status" in value;
}

const INVITE_ROLES = ["admin", "direct_member", "billing_manager", "reinstate"] as const;
function inviteRole(value: unknown): FakeInvitation["role"] | undefined {
  if (value === undefined) return "direct_member";
  return INVITE_ROLES.find((r) => r === value);
}

function invite(
  ctx: RequestContext,
  org: FakeOrg,
  inviteeId: number,
  role: FakeInvitation["role"],
): FakeInvitation {
  const inv: FakeInvitation = {
    id: ctx.state.newId(),
    inviteeId,
    role,
    inviterId: ctx.viewer.id,
    teamIds: [],
    createdAt: ctx.state.now(),
    failedAt: null,
    failedReason: null,
  };
  // A new invitation replaces a failed one for the same person.
  org.invitations = org.invitations.filter((i) => i.inviteeId !== inviteeId);
  org.invitations.push(inv);
  return inv;
}

export const orgMemberRoutes: readonly Route[] = [
  route("GET /orgs/{org}/members", (ctx) => {
    const org = orgFor(ctx, false);
    if (isReply(org)) return org;
    const role = ctx.query.get("role") ?? "all";
    const members = [...org.members]
      .filter(([, r]) => role === "all" || r === role)
      .map(([id]) => ctx.state.users.get(id))
      .filter((u) => u !== undefined)
      .sort((a, b) => a.id - b.id)
      .map((u) => simpleUser(ctx.api, u));
    return paginate(ctx, members);
  }),
  route("GET /orgs/{org}/memberships/{username}", (ctx) => {
    const org = orgFor(ctx, false);
    if (isReply(org)) return org;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    const role = org.members.get(user.id);
    if (role) return ok(orgMembership(ctx.api, org, user, "active", role));
    const pending = ctx.state.pendingInvitation(org, user.id);
    if (pending)
      return ok(orgMembership(ctx.api, org, user, "pending", pending.role === "admin" ? "admin" : "member"));
    return notFound();
  }),
  route("PUT /orgs/{org}/memberships/{username}", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    const role = field(ctx.body, "role") ?? "member";
    if (role !== "admin" && role !== "member") {
      return validationFailed("Validation Failed", [
        { resource: "Membership", field: "role", code: "invalid" },
      ]);
    }
    if (org.members.has(user.id)) {
      org.members.set(user.id, role);
      return ok(orgMembership(ctx.api, org, user, "active", role));
    }
    invite(ctx, org, user.id, role === "admin" ? "admin" : "direct_member");
    return ok(orgMembership(ctx.api, org, user, "pending", role));
  }),
  route("DELETE /orgs/{org}/memberships/{username}", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    if (!user) return notFound();
    if (org.enterpriseMembers.has(user.id))
      org.members.set(user.id, "member"); // the indirect one stays
    else if (org.members.has(user.id)) ctx.state.removeMember(org, user.id);
    else if (ctx.state.pendingInvitation(org, user.id)) {
      // Cancelling the invitation cancels the team memberships that ride on it.
      org.invitations = org.invitations.filter((i) => i.inviteeId !== user.id);
      for (const team of org.teams) team.pending.delete(user.id);
    } else return notFound();
    return noContent();
  }),
  route("DELETE /orgs/{org}/members/{username}", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    // GitHub answers 204 for a user who is not a member.
    if (user && org.enterpriseMembers.has(user.id)) org.members.set(user.id, "member");
    else if (user) ctx.state.removeMember(org, user.id);
    return noContent();
  }),
  route("GET /orgs/{org}/invitations", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const pending = org.invitations.filter((i) => i.failedAt === null);
    return paginate(
      ctx,
      pending.map((i) => invitation(ctx.api, ctx.state, org, i)),
    );
  }),
  route("GET /orgs/{org}/outside_collaborators", (ctx) => {
    const org = orgFor(ctx, false);
    if (isReply(org)) return org;
    const users = [...org.outsideCollaborators]
      .map((id) => ctx.state.users.get(id))
      .filter((u) => u !== undefined)
      .sort((a, b) => a.id - b.id)
      .map((u) => simpleUser(ctx.api, u));
    return paginate(ctx, users);
  }),
  route("DELETE /orgs/{org}/outside_collaborators/{username}", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const user = ctx.state.userByLogin(ctx.params["username"] ?? "");
    // "422: Unprocessable Entity if user is a member of the organization"; 204 otherwise.
    if (user && org.members.has(user.id)) {
      return validationFailed(
        "You cannot specify an organization member to remove as an outside collaborator.",
        [],
      );
    }
    if (user) org.outsideCollaborators.delete(user.id);
    return noContent();
  }),
  route("GET /orgs/{org}/failed_invitations", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const failed = org.invitations.filter((i) => i.failedAt !== null);
    return paginate(
      ctx,
      failed.map((i) => invitation(ctx.api, ctx.state, org, i)),
    );
  }),
  route("POST /orgs/{org}/invitations", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const inviteeId = field(ctx.body, "invitee_id");
    const role = inviteRole(field(ctx.body, "role"));
    if (role === undefined) {
      return validationFailed("Validation Failed", [
        { resource: "OrganizationInvitation", field: "role", code: "invalid" },
      ]);
    }
    if (typeof inviteeId !== "number") {
      const email = stringField(ctx.body, "email");
      return validationFailed("Validation Failed", [
        {
          resource: "OrganizationInvitation",
          field: email ? "email" : "invitee_id",
          code: email ? "unprocessable" : "missing_field",
        },
      ]);
    }
    if (!ctx.state.users.has(inviteeId)) {
      return validationFailed("Validation Failed", [
        { resource: "OrganizationInvitation", field: "invitee_id", code: "invalid" },
      ]);
    }
    if (org.members.has(inviteeId)) {
      return validationFailed("Validation Failed", [
        {
          resource: "OrganizationInvitation",
          field: "data",
          code: "unprocessable",
          message: "Invitee is already a part of this organization",
        },
      ]);
    }
    if (ctx.state.pendingInvitation(org, inviteeId)) {
      return validationFailed("Validation Failed", [
        {
          resource: "OrganizationInvitation",
          field: "data",
          code: "unprocessable",
          message: "Invitee has already been invited",
        },
      ]);
    }
    const teamIds = field(ctx.body, "team_ids");
    const inv = invite(ctx, org, inviteeId, role);
    if (Array.isArray(teamIds)) inv.teamIds = teamIds.filter((t): t is number => typeof t === "number");
    return ok(invitation(ctx.api, ctx.state, org, inv), 201);
  }),
  route("GET /orgs/{org}/invitations/{invitation_id}/teams", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const id = Number(ctx.params["invitation_id"]);
    const inv = org.invitations.find((i) => i.id === id && i.failedAt === null);
    if (!inv) return notFound();
    const teams = org.teams.filter((t) => inv.teamIds.includes(t.id));
    return paginate(
      ctx,
      teams.map((t) => team(ctx.api, org, t)),
    );
  }),
  route("DELETE /orgs/{org}/invitations/{invitation_id}", (ctx) => {
    const org = orgFor(ctx, true);
    if (isReply(org)) return org;
    const id = Number(ctx.params["invitation_id"]);
    const inv = org.invitations.find((i) => i.id === id && i.failedAt === null);
    if (!inv) return notFound();
    org.invitations = org.invitations.filter((i) => i !== inv);
    for (const team of org.teams) team.pending.delete(inv.inviteeId);
    return noContent();
  }),
];
