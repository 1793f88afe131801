/**
 * Who approves a request for one group, as the approval gate (approvals.ts) will judge the pull request:
 * the group's owners, as many distinct ones as its sensitivity needs; the admins when too few owners
 * can approve. Read from the files at hand, which are the base branch's when the request starts from it.
 */
import type { AccessModel } from "../model/access.ts";
import { isTerminated } from "../lifecycle/status.ts";
import { githubLoginOf, resolveAdmin } from "./identities.ts";

export interface RequestApprover {
  readonly id: string;
  /** The GitHub login a review is matched by (accounts.github). */
  readonly github?: string;
  /** Why this person cannot approve (has left, no GitHub account). */
  readonly problem?: string;
}

export interface RequestApproval {
  readonly group: string;
  readonly isPrivileged: boolean;
  /** Distinct approvals the group needs (policy.grants.privilegedApprovals for a privileged group). */
  readonly required: number;
  readonly owners: readonly RequestApprover[];
  /** Set when too few owners can approve: then one of policy.admins does, as `pr check` decides. */
  readonly admins?: readonly RequestApprover[];
}

/**
 * The approvals a change to `groupName`'s members for `grantee` needs: the grantee never approves their
 * own access, as owner or admin (approvals.ts).
 */
export function requestApproval(
  model: AccessModel,
  groupName: string,
  now: Date,
  grantee?: string,
): RequestApproval {
  const group = model.groups.get(groupName);
  const isPrivileged = group?.sensitivity === "privileged";
  const required = isPrivileged ? Math.max(1, model.config.policy.privilegedApprovals) : 1;
  // A site that names no GitHub account anywhere approves its pull requests elsewhere (pr check is
  // GitHub's): an owner without one is no owner who cannot approve there.
  const usesGithub =
    model.config.providers.some((p) => p.type === "github") ||
    [...model.users.values()].some((u) => githubLoginOf(model, u) !== undefined);
  const owners = (group?.owners ?? []).map((id): RequestApprover => {
    const user = model.users.get(id);
    if (!user) return { id, problem: "not a user in the access files" };
    const github = githubLoginOf(model, user);
    const base = github === undefined ? { id } : { id, github };
    if (isTerminated(user, now)) return { ...base, problem: "has left" };
    if (id === grantee) return { ...base, problem: "is the one the access is for" };
    return github === undefined && usesGithub
      ? { ...base, problem: "no GitHub account in accounts.github" }
      : base;
  });
  const able = owners.filter((o) => o.problem === undefined).length;
  if (able >= required) return { group: groupName, isPrivileged, required, owners };
  const admins = model.config.policy.admins.map((entry): RequestApprover => {
    const { userId, login } = resolveAdmin(model, entry);
    const admin = { id: userId ?? entry, ...(login === undefined ? {} : { github: login }) };
    return userId !== undefined && userId === grantee
      ? { ...admin, problem: "is the one the access is for" }
      : admin;
  });
  return { group: groupName, isPrivileged, required, owners, admins };
}
