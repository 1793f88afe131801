/** Carries out one planned change against the organization. Mutations are sequential (paced by Octokit). */
import type { Change, GroupChange, MembershipChange, UserChange } from "../../plan/types.ts";
import { ProviderError } from "../../errors.ts";
import type { GithubSession, GithubTeamInfo } from "./session.ts";
import { PER_PAGE } from "./session.ts";
import { assertRemovableFromOrg } from "./guards.ts";
import { requirePinnedAccount } from "./identity.ts";
import { normalizeLogin, slugForTeamName } from "./map.ts";
import { readViewer } from "./read.ts";
import { statusOf } from "./client.ts";

function operationOf(change: Change): string {
  const target =
    change.kind === "user"
      ? change.account
      : change.kind === "group"
        ? change.group
        : `${change.group}/${change.member}`;
  return `${change.kind} ${change.action} ${target}`;
}

async function team(s: GithubSession, group: string, operation: string): Promise<GithubTeamInfo> {
  const slug = slugForTeamName(group);
  const known = s.teams.get(slug);
  if (known) return known;
  try {
    const { data } = await s.client.octokit.request("GET /orgs/{org}/teams/{team_slug}", {
      org: s.settings.org,
      team_slug: slug,
    });
    const info = { id: data.id, slug: data.slug, parentSlug: data.parent?.slug ?? null };
    s.teams.set(slug, info);
    return info;
  } catch (error) {
    if (statusOf(error) === 404) {
      throw new ProviderError(s.name, operation, `organization ${s.settings.org} has no team ${slug}`, {
        status: 404,
      });
    }
    throw error;
  }
}

async function applyUser(
  s: GithubSession,
  change: UserChange,
  operation: string,
): Promise<string | undefined> {
  const { octokit } = s.client;
  const org = s.settings.org;
  switch (change.action) {
    case "create":
    case "enable": {
      // GitHub accounts belong to people; "creating" one here means inviting it to the organization.
      const id = await requirePinnedAccount(s, change.account, operation);
      const { data } = await octokit.request("POST /orgs/{org}/invitations", {
        org,
        invitee_id: id,
        role: "direct_member",
      });
      return `invited (invitation ${String(data.id)}, pending until accepted)`;
    }
    case "disable":
    case "delete":
      // GitHub has no disabled state: leaving the organization is the way off (it also ends team memberships).
      await assertRemovableFromOrg(s, change.account, operation);
      await octokit.request("DELETE /orgs/{org}/memberships/{username}", {
        org,
        username: normalizeLogin(change.account),
      });
      return "removed from the organization";
    case "update":
    case "revoke-sessions":
      throw new ProviderError(
        s.name,
        operation,
        `GitHub accounts are managed by their owners; ${change.action} is not supported`,
      );
  }
}

/**
 * `POST /orgs/{org}/teams`, sent once (the client never repeats a POST). When the answer is lost (a 5xx
 * or a dropped connection), GitHub may still have created the team: look it up by slug and carry on if so.
 */
async function createTeam(
  s: GithubSession,
  change: { readonly group: string; readonly description?: string | undefined },
  operation: string,
): Promise<{ id: number; slug: string }> {
  const org = s.settings.org;
  try {
    const { data } = await s.client.octokit.request("POST /orgs/{org}/teams", {
      org,
      name: change.group,
      ...(change.description === undefined ? {} : { description: change.description }),
      privacy: s.settings.teamPrivacy,
    });
    return data;
  } catch (error) {
    const status = statusOf(error);
    if (status !== undefined && status < 500) throw error;
    let found: { id: number; slug: string } | undefined;
    try {
      found = await team(s, change.group, operation);
    } catch {
      throw error;
    }
    s.log(
      `${s.name}: ${operation}: GitHub answered ${status === undefined ? "with a network error" : String(status)}, but team ${found.slug} exists; taking it as created`,
    );
    return found;
  }
}

async function applyGroup(
  s: GithubSession,
  change: GroupChange,
  operation: string,
): Promise<string | undefined> {
  const { octokit } = s.client;
  const org = s.settings.org;
  switch (change.action) {
    case "create": {
      const data = await createTeam(s, change, operation);
      s.teams.set(data.slug, { id: data.id, slug: data.slug, parentSlug: null });
      // GitHub makes the creating account a maintainer; membership is the plan's business, so take it out.
      // An installation token has no account, and GitHub adds no maintainer for it.
      const viewer = await readViewer(s);
      if (viewer !== null) {
        await octokit.request("DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}", {
          org,
          team_slug: data.slug,
          username: viewer.login,
        });
      }
      return `team ${data.slug} (id ${String(data.id)})`;
    }
    case "update": {
      const t = await team(s, change.group, operation);
      const name = change.fields.find((f) => f.field === "name")?.after;
      const { data } = await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: t.slug,
        ...(name ? { name } : {}),
        ...(change.description === undefined ? {} : { description: change.description }),
      });
      if (data.slug !== t.slug) s.teams.delete(t.slug);
      s.teams.set(data.slug, { ...t, slug: data.slug });
      return undefined;
    }
    case "delete": {
      const t = await team(s, change.group, operation);
      // GitHub deletes child teams with their parent: refuse rather than delete teams the plan did not name.
      const children = await octokit.paginate("GET /orgs/{org}/teams/{team_slug}/teams", {
        org,
        team_slug: t.slug,
        per_page: PER_PAGE,
      });
      if (children.length > 0) {
        throw new ProviderError(
          s.name,
          operation,
          `refused: team ${t.slug} has child teams (${children.map((c) => c.slug).join(", ")}) that GitHub would delete with it; un-nest them first`,
        );
      }
      await octokit.request("DELETE /orgs/{org}/teams/{team_slug}", { org, team_slug: t.slug });
      s.teams.delete(t.slug);
      return undefined;
    }
  }
}

async function applyMembership(
  s: GithubSession,
  change: MembershipChange,
  operation: string,
): Promise<string | undefined> {
  const { octokit } = s.client;
  const org = s.settings.org;
  const parent = await team(s, change.group, operation);
  if (change.memberKind === "group") {
    const child = await team(s, change.member, operation);
    if (change.action === "add") {
      if (child.parentSlug !== null && child.parentSlug !== parent.slug) {
        throw new ProviderError(
          s.name,
          operation,
          `refused: team ${child.slug} already has parent ${child.parentSlug}; a GitHub team has one parent`,
        );
      }
      await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: child.slug,
        parent_team_id: parent.id,
      });
      s.teams.set(child.slug, { ...child, parentSlug: parent.slug });
    } else if (child.parentSlug === parent.slug) {
      await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: child.slug,
        parent_team_id: null,
      });
      s.teams.set(child.slug, { ...child, parentSlug: null });
    }
    return undefined;
  }
  const username = normalizeLogin(change.member);
  if (change.action === "remove") {
    await octokit.request("DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}", {
      org,
      team_slug: parent.slug,
      username,
    });
    return undefined;
  }
  await requirePinnedAccount(s, username, operation);
  const role = change.role ?? "member";
  const { data } = await octokit.request("PUT /orgs/{org}/teams/{team_slug}/memberships/{username}", {
    org,
    team_slug: parent.slug,
    username,
    role,
  });
  return data.state === "pending" ? "pending: invited to the organization with this team" : undefined;
}

/** Applies one change; throws ProviderError (or an Octokit error the caller translates) when it fails. */
export async function applyGithubChange(s: GithubSession, change: Change): Promise<string | undefined> {
  const operation = operationOf(change);
  switch (change.kind) {
    case "user":
      return applyUser(s, change, operation);
    case "group":
      return applyGroup(s, change, operation);
    case "membership":
      return applyMembership(s, change, operation);
  }
}

export { operationOf };
