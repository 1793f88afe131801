/** Carries out one planned change against the organization. Mutations are sequential (paced by Octokit). */
import type { Change, GroupChange, MembershipChange, UserChange } from "../../plan/types.ts";
import { ProviderError, messageOf } from "../../errors.ts";
import type { GithubSession, GithubTeamInfo } from "./session.ts";
import { PER_PAGE } from "./session.ts";
import { assertRemovableFromOrg } from "./guards.ts";
import { requirePinnedAccount } from "./identity.ts";
import { normalizeLogin, slugForTeamName } from "./map.ts";
import { readAdmins, readOutsideCollaborators, readViewer } from "./read.ts";
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
  // Group names read from GitHub are its slugs, as GitHub spelt them: look them up as they are first.
  // GitHub's slug rule is not published (it keeps "_", turns "." into "-"), so predicting one is a fallback.
  const slug = slugForTeamName(group);
  const known = s.teams.get(group.toLowerCase()) ?? s.teams.get(slug);
  if (known) return known;
  try {
    const { data } = await s.client.octokit.request("GET /orgs/{org}/teams/{team_slug}", {
      org: s.settings.org,
      team_slug: slug,
    });
    const info = {
      id: data.id,
      slug: data.slug,
      parentSlug: data.parent?.slug ?? null,
      privacy: data.privacy,
    };
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
      try {
        const { data } = await octokit.request("POST /orgs/{org}/invitations", {
          org,
          invitee_id: id,
          role: "direct_member",
        });
        return `invited (invitation ${String(data.id)}, pending until accepted)`;
      } catch (error) {
        return await invitedAfterAll(s, normalizeLogin(change.account), operation, error);
      }
    }
    case "disable":
    case "delete": {
      // GitHub has no disabled state: leaving the organization is the way off (it also ends team memberships).
      await assertRemovableFromOrg(s, change.account, operation, change.reason === "not-in-config");
      const username = normalizeLogin(change.account);
      try {
        await octokit.request("DELETE /orgs/{org}/memberships/{username}", { org, username });
      } catch (error) {
        // Someone the read saw only with a failed (expired) invitation has no membership and no open
        // invitation: GitHub answers 404, and there is nothing left to withdraw.
        if (statusOf(error) === 404 && s.failedOnly.has(username)) {
          s.failedOnly.delete(username);
          return "nothing to remove: only a failed invitation, which GitHub keeps and cannot withdraw";
        }
        // Neither a member nor invited: a leaver the plan found among the outside collaborators.
        if (statusOf(error) === 404 && (await readOutsideCollaborators(s)).has(username)) {
          await octokit.request("DELETE /orgs/{org}/outside_collaborators/{username}", { org, username });
          s.outsideCollaborators?.delete(username);
          return "removed as an outside collaborator (from every repository of the organization)";
        }
        throw error;
      }
      await assertLeftOrg(s, username, operation);
      s.leftOrg.add(username);
      return "removed from the organization";
    }
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
 * An invitation `POST` that failed with a 5xx or no answer (GitHub may have carried it out: the client never
 * sends a `POST` again), or with 422 ("already invited", "already a member"): GitHub is asked whether the
 * person is invited or a member now (`GET /orgs/{org}/memberships/{username}`). If so the invitation is done;
 * otherwise the original failure stands (toProviderError makes a `POST`'s 5xx final, not retried).
 */
async function invitedAfterAll(
  s: GithubSession,
  username: string,
  operation: string,
  error: unknown,
): Promise<string> {
  const status = statusOf(error);
  if (status !== undefined && status < 500 && status !== 422) throw error;
  let state: string;
  try {
    const { data } = await s.client.octokit.request("GET /orgs/{org}/memberships/{username}", {
      org: s.settings.org,
      username,
    });
    state = data.state;
  } catch {
    throw error;
  }
  const answered = status === undefined ? "with a network error" : String(status);
  s.log(
    `${s.name}: ${operation}: GitHub answered ${answered}, but ${username} is ${state}; taking it as done`,
  );
  return state === "pending"
    ? `invited (GitHub answered ${answered}, but the invitation is there; pending until accepted)`
    : `a member already (GitHub answered ${answered})`;
}

/**
 * GitHub answers 204 to a removal even where it removed only the direct membership: "Their indirect
 * membership via an enterprise team remains until the user is removed from the enterprise team". A leaver
 * who kept access is not reported (nor journaled) as removed: GitHub is asked again.
 */
async function assertLeftOrg(s: GithubSession, username: string, operation: string): Promise<void> {
  let state: string;
  try {
    const { data } = await s.client.octokit.request("GET /orgs/{org}/memberships/{username}", {
      org: s.settings.org,
      username,
    });
    state = data.state;
  } catch (error) {
    if (statusOf(error) === 404) return;
    // Not transient: a retry would send the DELETE again, which GitHub answers 404 once they are gone,
    // and the journal would hold a removal that happened as one that failed for "Not Found".
    throw new ProviderError(
      s.name,
      operation,
      `GitHub answered the removal of ${username}, but whether they left ${s.settings.org} could not be checked (${messageOf(error)}): the next plan shows whether they are still a member`,
      { isTransient: false, cause: error },
    );
  }
  throw new ProviderError(
    s.name,
    operation,
    `GitHub answered the removal of ${username} but still lists them as a member of ${s.settings.org} (${state}): ` +
      "probably through an enterprise team, which only an enterprise owner can change (remove them from the enterprise team); they keep access until then",
  );
}

/**
 * gatehouse knows a team by its slug, which GitHub makes from the name. A group whose name is not the slug
 * GitHub would make (e.g. "team.ops" becomes "team-ops") would never match its team: every plan would create
 * it again and, in authoritative mode, delete the team it did create. Refused before anything is sent.
 */
function refuseUnmatchableName(s: GithubSession, name: string, operation: string): void {
  const slug = slugForTeamName(name);
  if (slug === name) return;
  throw new ProviderError(
    s.name,
    operation,
    `refused: GitHub would give a team named ${name} the slug ${slug}, and gatehouse knows GitHub teams by slug, so the group could never match its team; name the group ${slug === "" ? "with letters, digits, '-' or '_'" : slug}`,
  );
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
  refuseUnmatchableName(s, change.group, operation);
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
      s.teams.set(data.slug, {
        id: data.id,
        slug: data.slug,
        parentSlug: null,
        privacy:
          "privacy" in data && typeof data.privacy === "string" ? data.privacy : s.settings.teamPrivacy,
      });
      // GitHub makes the creating account a maintainer; membership is the plan's business, so take it out.
      // An installation token has no account, and GitHub adds no maintainer for it.
      await s.pins.load();
      s.pins.pinTeam(data.slug, data.id);
      await s.pins.save();
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
      if (name) refuseUnmatchableName(s, name, operation);
      const { data } = await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: t.slug,
        ...(name ? { name } : {}),
        ...(change.description === undefined ? {} : { description: change.description }),
      });
      if (data.slug !== t.slug) {
        s.teams.delete(t.slug);
        await s.pins.load();
        s.pins.pinTeam(data.slug, t.id);
        await s.pins.save();
      }
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
      await s.pins.load();
      if (s.pins.pinnedTeamId(t.slug) === t.id) s.pins.unpinTeam(t.slug);
      await s.pins.save();
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
      // "When a team is nested, the privacy for parent teams cannot be secret": GitHub answers 422.
      if (parent.privacy === "secret") {
        throw new ProviderError(
          s.name,
          operation,
          `refused: team ${parent.slug} is secret, and GitHub does not let a secret team be a parent; make it closed first (on GitHub, or create teams with teamPrivacy: closed)`,
        );
      }
      const { data } = await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: child.slug,
        parent_team_id: parent.id,
        // A child team is always closed on GitHub; say so rather than rely on GitHub changing it.
        ...(child.privacy === "secret" ? { privacy: "closed" as const } : {}),
      });
      assertParent(s, operation, child.slug, data.parent?.id ?? null, parent);
      s.teams.set(child.slug, { ...child, parentSlug: parent.slug, privacy: data.privacy });
    } else if (child.parentSlug === parent.slug) {
      const { data } = await octokit.request("PATCH /orgs/{org}/teams/{team_slug}", {
        org,
        team_slug: child.slug,
        parent_team_id: null,
      });
      assertParent(s, operation, child.slug, data.parent?.id ?? null, null);
      s.teams.set(child.slug, { ...child, parentSlug: null });
    }
    return undefined;
  }
  const username = normalizeLogin(change.member);
  if (change.action === "remove") {
    // The kill chain removed them from the organization first (phase 0), and GitHub ended every team
    // membership of theirs with it: nothing is left to send, and the removal is done.
    if (s.leftOrg.has(username))
      return "nothing sent: they left the organization in this run, and their team memberships with it";
    await octokit.request("DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}", {
      org,
      team_slug: parent.slug,
      username,
    });
    return undefined;
  }
  const role = change.role ?? "member";
  // GitHub reports an org owner as maintainer of every team they are in, whatever role was set, so taking
  // an owner down to member changes nothing GitHub shows: send nothing (a plan asks again on every run).
  if (role === "member" && s.directMembers.get(parent.slug)?.has(username) === true) {
    const owners = await readAdmins(s);
    if (owners.has(username)) {
      return "nothing sent: an org owner is always shown as a team maintainer on GitHub";
    }
  }
  await requirePinnedAccount(s, username, operation);
  const { data } = await octokit.request("PUT /orgs/{org}/teams/{team_slug}/memberships/{username}", {
    org,
    team_slug: parent.slug,
    username,
    role,
  });
  return data.state === "pending" ? "pending: invited to the organization with this team" : undefined;
}

/**
 * GitHub answers a parent change it did not make with the team as it is: a parent/child request waits for
 * an owner, or a maintainer of both teams, to approve it (seen with GitHub App tokens). Not applied, then.
 */
function assertParent(
  s: GithubSession,
  operation: string,
  child: string,
  actual: number | null,
  wanted: GithubTeamInfo | null,
): void {
  if (actual === (wanted?.id ?? null)) return;
  throw new ProviderError(
    s.name,
    operation,
    `GitHub accepted the request but team ${child} ${wanted === null ? "still has its parent" : `is not under ${wanted.slug}`}: the change probably waits for approval by an org owner or a maintainer of both teams (a pending parent/child request)`,
  );
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
