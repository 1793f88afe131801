/**
 * The approval gate, as a pure function: which approvals a pull request needs (owners of each affected group as
 * they stand on the base branch; admins for policy files) and which of the reviews count.
 */
import type { AccessModel, Policy } from "../model/access.ts";
import type { Affected } from "./affected.ts";
import { githubLoginOf, normalizeLogin, resolveAdmin } from "./identities.ts";
import { isTerminated } from "../lifecycle/status.ts";

/** A pull request review as GitHub reports it. */
export interface Review {
  readonly id: number;
  readonly login: string;
  /** The reviewer's numeric account id: the identity; the login is only a name. */
  readonly userId: number;
  readonly state: string;
  /** The commit the review was given on. */
  readonly commitId: string;
  readonly submittedAt?: string;
}

/** A person who could approve: an owner (or admin) on the base branch. */
export interface Approver {
  readonly userId?: string;
  readonly login?: string;
  /** The account id the login is pinned to; undefined when it cannot be known. */
  readonly githubId?: number;
  /** Why this person cannot approve (no GitHub account, is the author). */
  readonly problem?: string;
}

export interface Requirement {
  /** A group name, or "admins" for changes to gatehouse itself. */
  readonly subject: string;
  readonly kind: "group" | "admins";
  readonly reasons: readonly string[];
  readonly required: number;
  readonly approvers: readonly Approver[];
  /** Logins (as the review shows them) whose approval counts, one per person. */
  readonly approvedBy: readonly string[];
  /** Logins who may still approve (eligible, not the author, not yet approved). */
  readonly stillMay: readonly string[];
  /** Reviews that do not count, and why. */
  readonly rejected: readonly { readonly login: string; readonly why: string }[];
  readonly isOk: boolean;
}

export interface GateResult {
  readonly isOk: boolean;
  readonly headSha: string;
  readonly requirements: readonly Requirement[];
}

export interface GateInput {
  readonly affected: Affected;
  /** The access model on the base branch: owners, admins and accounts are read from here only. */
  readonly baseModel: AccessModel;
  readonly reviews: readonly Review[];
  readonly author: { readonly login: string; readonly id: number };
  readonly headSha: string;
  /** The base branch's policy (privilegedApprovals, admins). */
  readonly policy: Policy;
  /** Lower-cased login → pinned numeric account id. */
  readonly idsByLogin: ReadonlyMap<string, number>;
  /** For who has left: a terminated owner or admin no longer approves. */
  readonly now: Date;
}

function approverFor(input: GateInput, userId: string | undefined, login: string | undefined): Approver {
  const base = {
    ...(userId === undefined ? {} : { userId }),
    ...(login === undefined ? {} : { login }),
  };
  if (login === undefined) return { ...base, problem: "no GitHub account in accounts.github" };
  const githubId = input.idsByLogin.get(normalizeLogin(login));
  if (githubId === undefined) return { ...base, problem: `login ${login} has no known account id` };
  if (githubId === input.author.id) return { ...base, githubId, problem: "is the author" };
  return { ...base, githubId };
}

/** Why nobody approves their own access: the problem of an approver the pull request gives access. */
const BENEFICIARY = "gains access through this pull request (nobody approves their own access)";

function ownersOf(input: GateInput, group: string, beneficiaries: ReadonlySet<string>): Approver[] {
  const g = input.baseModel.groups.get(group);
  if (!g) return [];
  return g.owners.map((id) => {
    const user = input.baseModel.users.get(id);
    const approver = approverFor(input, id, user ? githubLoginOf(input.baseModel, user) : undefined);
    if (user && isTerminated(user, input.now)) return { ...approver, problem: "has left (terminated)" };
    // The author's own problem stays theirs (it decides whether the owners can approve at all).
    return approver.problem === undefined && beneficiaries.has(id)
      ? { ...approver, problem: BENEFICIARY }
      : approver;
  });
}

function adminsOf(input: GateInput, beneficiaries: ReadonlySet<string>): Approver[] {
  return input.policy.admins.map((entry) => {
    const { userId, login } = resolveAdmin(input.baseModel, entry);
    const approver = approverFor(input, userId, login);
    // An admin who has left approves nothing, as an owner who has left does not.
    const user = userId === undefined ? undefined : input.baseModel.users.get(userId);
    if (user && isTerminated(user, input.now)) return { ...approver, problem: "has left (terminated)" };
    return approver.problem === undefined && userId !== undefined && beneficiaries.has(userId)
      ? { ...approver, problem: BENEFICIARY }
      : approver;
  });
}

/** The last review per account that approves or blocks (a later comment does not undo an approval). */
export function latestDecisions(reviews: readonly Review[]): Review[] {
  const byAccount = new Map<number, Review>();
  for (const r of reviews) {
    if (r.state === "COMMENTED" || r.state === "PENDING") continue;
    byAccount.set(r.userId, r);
  }
  return [...byAccount.values()];
}

function judge(
  input: GateInput,
  subject: string,
  kind: Requirement["kind"],
  reasons: readonly string[],
  required: number,
  approvers: readonly Approver[],
): Requirement {
  const approvedBy: string[] = [];
  const counted = new Set<string>();
  const rejected: { login: string; why: string }[] = [];
  const pinnedIds = new Map<number, Approver>();
  for (const a of approvers)
    if (a.githubId !== undefined && a.problem === undefined) pinnedIds.set(a.githubId, a);
  for (const r of latestDecisions(input.reviews)) {
    if (r.state !== "APPROVED") continue;
    if (r.userId === input.author.id) {
      rejected.push({ login: r.login, why: "the author cannot approve their own pull request" });
      continue;
    }
    const approver = pinnedIds.get(r.userId);
    // One who could approve but for what this pull request gives them.
    const barred = approvers.find((a) => a.githubId === r.userId && a.problem === BENEFICIARY);
    if (!approver && barred !== undefined) {
      rejected.push({ login: r.login, why: BENEFICIARY });
      continue;
    }
    if (!approver) {
      const sameName = approvers.find(
        (a) => a.login !== undefined && normalizeLogin(a.login) === normalizeLogin(r.login),
      );
      rejected.push({
        login: r.login,
        why:
          sameName?.githubId !== undefined
            ? `login ${r.login} is account ${String(r.userId)}, but it is pinned to account ${String(sameName.githubId)} (renamed or re-registered)`
            : kind === "group"
              ? `not an owner of ${subject} on the base branch`
              : "not an admin on the base branch",
      });
      continue;
    }
    if (r.commitId !== input.headSha) {
      rejected.push({
        login: r.login,
        why: `approved ${r.commitId.slice(0, 7)}, not the head ${input.headSha.slice(0, 7)}: approve again`,
      });
      continue;
    }
    const person = approver.userId ?? approver.login ?? String(r.userId);
    if (counted.has(person)) continue;
    counted.add(person);
    approvedBy.push(r.login);
  }
  const stillMay = approvers
    .filter((a) => a.problem === undefined && a.login !== undefined && !counted.has(a.userId ?? a.login))
    .map((a) => a.login ?? "");
  return {
    subject,
    kind,
    reasons,
    required,
    approvers,
    approvedBy,
    stillMay,
    rejected,
    isOk: approvedBy.length >= required,
  };
}

/** Per affected group (and for admin files): the approvals required, those that count, who may still approve. */
export function evaluateApprovals(input: GateInput): GateResult {
  const requirements: Requirement[] = [];
  const adminReasons = [...input.affected.adminReasons];
  // What the admins decide for groups, nobody among them approves for their own access to them.
  const adminBeneficiaries = new Set<string>();
  for (const group of input.affected.groups) {
    const owners = ownersOf(input, group.name, new Set(group.beneficiaries));
    if (!group.existsOnBase || owners.length === 0) {
      // Nobody owns the group on the base branch (new or ownerless): the admins decide.
      adminReasons.push(`${group.name}: ${group.existsOnBase ? "has no owners" : "new group"}`);
      for (const id of group.beneficiaries) adminBeneficiaries.add(id);
      continue;
    }
    const required = group.isPrivileged ? Math.max(1, input.policy.privilegedApprovals) : 1;
    // Owners who could approve (not the author, have a pinned GitHub account, have not left). When too
    // few are left, the owners cannot approve at all (a sole owner who left): the admins decide.
    const able = owners.filter((o) => o.problem === undefined || o.problem === "is the author").length;
    if (able < required) {
      adminReasons.push(
        `${group.name}: ${String(able)} of its owners can approve, ${String(required)} needed (${group.reasons.join("; ")})`,
      );
      for (const id of group.beneficiaries) adminBeneficiaries.add(id);
      continue;
    }
    requirements.push(judge(input, group.name, "group", group.reasons, required, owners));
  }
  if (adminReasons.length > 0)
    requirements.push(judge(input, "admins", "admins", adminReasons, 1, adminsOf(input, adminBeneficiaries)));
  return {
    isOk: requirements.every((r) => r.isOk),
    headSha: input.headSha,
    requirements,
  };
}
