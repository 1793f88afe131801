import { compareText } from "../model/lists.ts";
import type {
  DesiredGroup,
  DesiredMember,
  DesiredState,
  DesiredUser,
  LiveGroup,
  LiveState,
  Provenance,
} from "../model/state.ts";
import { describeProvenance, wayUntil } from "../desired/effective.ts";
import { formatLocation } from "../model/source.ts";
import { groupAddress, membershipAddress, membershipOf } from "./addresses.ts";
import { renamedLive } from "./align-case.ts";
import { groupIdHolder } from "./group-by-id.ts";
import type { PlanSink } from "./context.ts";
import { leavingText } from "./plan-users.ts";
import type { FieldDiff, GrantEndUpdate, MembershipChange, Reason } from "./types.ts";
import { sameValue } from "./values.ts";
import { DAY_MS, daysSince, lateAsOf, noteTimeBoundary } from "../lifecycle/status.ts";
import { oncePer } from "../model/once-per.ts";

/** An expired grant still held this long after its end was not removed in time (the reconcile runs hourly). */
const LATE_AFTER_MS = DAY_MS;

function addReason(member: DesiredMember, wasManaged: boolean): Reason {
  if (wasManaged) return "drift";
  return member.provenance.every((p) => p.kind === "role") ? "role-baseline" : "added-in-config";
}

/**
 * Whether gatehouse applied the membership of `member` in `group` (journal), also under the name the
 * group had before a rename planned in this same run (`formerName`): the journal knows it by that name
 * until the rename is applied.
 */
function wasApplied(
  sink: PlanSink,
  group: string,
  member: string,
  memberKind: "user" | "group",
  formerName: string | undefined,
): boolean {
  const { managed, name: provider } = sink.input;
  if (managed === undefined) return false;
  // An account renamed in this plan is known to the journal by its former name until the rename is applied.
  const account =
    (memberKind === "user" ? formerNamesOf(sink.renamedUsers).get(member) : undefined) ?? member;
  // A name whose account this plan renames away (and gives to someone else): what the journal knows
  // under it is that account's, not the new holder's.
  const isVacated = memberKind === "user" && sink.renamedUsers.has(member);
  return [group, ...(formerName === undefined ? [] : [formerName])].some(
    (name) =>
      (!isVacated && managed.has(membershipAddress(provider, name, member, memberKind))) ||
      (account !== member && managed.has(membershipAddress(provider, name, account, memberKind))),
  );
}

/** PlanSink.renamedUsers the other way round (new name → former name), made once per plan. */
const formerNamesOf = oncePer((renamed: ReadonlyMap<string, string>): ReadonlyMap<string, string> =>
  renamed.size === 0 ? renamed : new Map([...renamed].map(([from, to]) => [to, from])),
);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The "why" of a membership held by one role alone, by the role's way: one list for all who hold it so. */
const roleWhy = new WeakMap<Provenance, readonly string[]>();

/** A change's "why" lines: one per way the member holds the group. */
function whyOf(provenance: readonly Provenance[]): readonly string[] {
  const only = provenance.length === 1 ? provenance[0] : undefined;
  if (only?.kind !== "role") return provenance.map(describeProvenance);
  let why = roleWhy.get(only);
  if (why === undefined) {
    why = [describeProvenance(only)];
    roleWhy.set(only, why);
  }
  return why;
}

/**
 * The end of a temporary membership: the latest end among its ways, when every way to it is a grant
 * with an end (here, or in a nested group, which a system that flattens nesting holds as this group's
 * member); undefined when any way is lasting.
 */
function temporaryUntil(member: DesiredMember): string | undefined {
  let latest: string | undefined;
  for (const way of member.provenance) {
    const until = wayUntil(way);
    if (until === undefined) return undefined;
    if (latest === undefined || Date.parse(until) > Date.parse(latest)) latest = until;
  }
  return latest;
}

/**
 * The grants gatehouse added (JournalFold.grantEnds) whose end the files give differently now, with
 * nothing to apply: a line made lasting (until null), or its `until` moved. Without them the journal
 * keeps the first end: a grant made lasting and, months later, given an end already past would be taken
 * for a grant ending as approved, neither counted nor refused by the guard rails (safetyreview MEDIUM-2).
 * Memberships the files no longer give are left to their removal.
 */
export function grantEndUpdates(sink: PlanSink): GrantEndUpdate[] {
  const { grantEnds, desired, name } = sink.input;
  const out: GrantEndUpdate[] = [];
  if (grantEnds === undefined) return out;
  for (const id of grantEnds.keys()) {
    const at = membershipOf(id, name);
    if (at?.memberKind !== "user") continue;
    const want = desired.groups.get(at.group);
    if (want?.managesMembers !== true) continue;
    const member = want.members.describe([at.member]).get(at.member);
    if (member === undefined) continue;
    const until = temporaryUntil(member) ?? null;
    if (until !== grantEnds.get(id)) out.push({ id, until });
  }
  return out;
}

function planMembers(
  sink: PlanSink,
  want: DesiredGroup,
  have: LiveGroup | undefined,
  formerName: string | undefined,
  withoutAccount: ReadonlySet<string>,
  renamedInPlace: ReadonlyMap<string, string>,
): void {
  const { input } = sink;
  const provider = input.name;
  // Only the members missing live are explained (provenance is worked out on demand).
  const { missing, extra } = want.members.diff(have?.members ?? []);
  for (const [account, member] of missing) {
    // Its entry is held under another name, or outside the scope read: the user-level note says what to do.
    if (sink.byHand.notCreated.has(account)) continue;
    if (have !== undefined && isListedThroughKeptChild(sink, want, have, account)) continue;
    if (withoutAccount.has(account)) {
      // On leave with accounts disabled, and no account here: none is created, so none can be added.
      sink.note(
        "info",
        `${account} is not added to ${want.name}: no account in ${provider}, and none is created while the account is disabled`,
      );
      continue;
    }
    if (failedInvitations(input.live).has(account)) {
      // GitHub: adding someone who is no org member to a team invites them to the org again, which the
      // provider's setting (retryFailedInvitations: false) says not to do; their user line says so.
      sink.note(
        "info",
        `${account} is not added to ${want.name}: their invitation to ${provider} failed or expired, and a group add would invite them again`,
      );
      continue;
    }
    // Built field by field, in the order the plan shows them (reason and risk are set below): faster
    // than a literal with optional parts spread in, and a first import makes two million of these.
    const change = {
      provider,
      id: membershipAddress(provider, want.name, account, "user"),
      kind: "membership",
      action: "add",
      group: want.name,
      member: account,
      memberKind: "user",
    } as Mutable<MembershipChange>;
    if (want.maintainers?.has(account) === true) change.role = "maintainer";
    const until = temporaryUntil(member);
    if (until !== undefined) change.until = until;
    change.userId = member.userId;
    change.reason = addReason(
      member,
      have !== undefined && wasApplied(sink, want.name, account, "user", formerName),
    );
    change.risk = "broadens";
    change.why = whyOf(member.provenance);
    // The line the access comes from: for a temporary membership, the grant whose end it has.
    const from =
      until === undefined ? member.provenance[0] : member.provenance.find((p) => wayUntil(p) === until);
    if (from) change.source = from.source;
    sink.change(change);
  }
  if (have) planRoles(sink, want, have);
  // Nested groups renamed in place in this plan count under their new names.
  const liveInner = (have?.groupMembers ?? []).map((inner) => renamedInPlace.get(inner) ?? inner);
  const liveGroupMembers = new Set(liveInner);
  for (const [inner, source] of want.groupMembers) {
    if (liveGroupMembers.has(inner)) continue;
    sink.change({
      provider,
      id: membershipAddress(provider, want.name, inner, "group"),
      kind: "membership",
      action: "add",
      group: want.name,
      member: inner,
      memberKind: "group",
      reason: "added-in-config",
      risk: "broadens",
      source,
      why: [`nested group ${inner}`],
    });
  }
  if (!have) return;
  for (const account of [...extra].sort()) {
    // An account renamed by hand stays where the person it belongs to is a member (plan-users.ts).
    const person = sink.byHand.renamed.get(account);
    if (person !== undefined && want.members.has(person)) continue;
    planRemoval(sink, want.name, account, "user", want, formerName);
  }
  if (sink.ownersAccounts.size > 0) planOwnersAccounts(sink, want, have, formerName);
  // A departed person's account whose name the files give someone new: the newcomer's groups are not its.
  if (sink.departed.size > 0)
    for (const account of have.members.filter((a) => sink.departed.has(a) && want.members.has(a)).sort())
      planRemoval(sink, want.name, account, "user", want, formerName);
  for (const inner of [...liveInner].sort()) {
    if (want.groupMembers.has(inner)) continue;
    planRemoval(sink, want.name, inner, "group", want, formerName);
  }
}

/**
 * Live members of `have` that the files give to one person while they are still another person's account
 * (plan-users.ts: PlanSink.ownersAccounts): judged as their owner's, whoever the files give the name
 * to. One kept as its owner's only account stays where its owner is a member; otherwise (a leaver's, or
 * a former account its owner has a new one for) it goes. (Accounts the files do not make members here
 * are in planMembers' `extra`.)
 */
function planOwnersAccounts(
  sink: PlanSink,
  want: DesiredGroup,
  have: LiveGroup,
  formerName: string | undefined,
): void {
  const going = have.members.filter((account) => {
    const passed = sink.ownersAccounts.get(account);
    if (passed === undefined || !want.members.has(account)) return false;
    const keptFor = sink.byHand.renamed.get(account); // keepOwnersAccounts: the owner's account
    return !(keptFor !== undefined && keptFor === passed.ownerAccount && want.members.has(keptFor));
  });
  for (const account of going.sort()) planRemoval(sink, want.name, account, "user", want, formerName);
}

/**
 * A member the files want whom the system lists in the group without saying whether directly
 * (LiveGroup.uncertainMembers: GitHub lists child teams' members in the parent), while a nested group the
 * files keep them in holds them: they have the group's access, and may already be direct members, so
 * adding them would be sent again on every run (and never show as done). Not when a role is still to be
 * given: a maintainer the system does not list as one (org owners, always maintainers, need none). Once
 * the files take them out of the nested group, they are added in that same plan.
 */
function isListedThroughKeptChild(
  sink: PlanSink,
  want: DesiredGroup,
  have: LiveGroup,
  account: string,
): boolean {
  if (have.uncertainMembers?.includes(account) !== true) return false;
  if (
    want.maintainers?.has(account) === true &&
    sink.input.live.alwaysMaintainers?.includes(account) !== true
  )
    return false;
  const { live, desired } = sink.input;
  const seen = new Set<string>();
  const holds = (group: string): boolean => {
    if (seen.has(group)) return false;
    seen.add(group);
    const inner = live.groups.find((g) => g.name === group);
    if (inner === undefined) return false;
    const keeps =
      desired.groups.get(group)?.members.has(account) === true &&
      (inner.members.includes(account) || inner.uncertainMembers?.includes(account) === true);
    return keeps || (inner.groupMembers ?? []).some(holds);
  };
  return (have.groupMembers ?? []).some(holds);
}

/** The accounts whose invitation failed or expired and is not sent again (LiveUser.invitationFailed). */
const failedInvitations = oncePer(
  (live: LiveState): ReadonlySet<string> =>
    new Set(live.users.filter((u) => u.invitationFailed === true).map((u) => u.account)),
);

/** The accounts with a pending invitation (LiveUser.pending), once per live state. */
const pendingAccounts = oncePer(
  (live: LiveState): ReadonlySet<string> =>
    new Set(live.users.filter((u) => u.pending === true).map((u) => u.account)),
);

/**
 * Maintainer roles of members who are already in the group, where owners are to be maintainers and the
 * system reports roles (GitHub teams). A role change is an `add` carrying the new role.
 */
function planRoles(sink: PlanSink, want: DesiredGroup, have: LiveGroup): void {
  if (want.maintainers === undefined || have.maintainers === undefined) return;
  const provider = sink.input.name;
  const liveMaintainers = new Set(have.maintainers);
  const always = sink.input.live.alwaysMaintainers ?? [];
  const switching = [...have.members].sort().filter((account) => {
    if (!want.members.has(account) || sink.departed.has(account)) return false;
    const wantsMaintainer = want.maintainers?.has(account) === true;
    if (!wantsMaintainer && always.includes(account)) return false; // the system keeps them maintainers
    // A pending invitee is listed in the team without a role (GitHub lists the invitation's teams, not
    // the role it carries): asking again would be sent on every run and never show as done. Once they
    // accept, the system lists their role, and a plan sets it if it is not the one wanted.
    if (wantsMaintainer && !liveMaintainers.has(account) && pendingAccounts(sink.input.live).has(account))
      return false;
    return wantsMaintainer !== liveMaintainers.has(account);
  });
  for (const [account, member] of want.members.describe(switching)) {
    const wantsMaintainer = want.maintainers.has(account);
    sink.change({
      provider,
      id: membershipAddress(provider, want.name, account, "user"),
      kind: "membership",
      action: "add",
      group: want.name,
      member: account,
      memberKind: "user",
      role: wantsMaintainer ? "maintainer" : "member",
      userId: member.userId,
      reason: "added-in-config",
      risk: wantsMaintainer ? "broadens" : "narrows",
      why: [wantsMaintainer ? "group owner: member → maintainer" : "no longer an owner: maintainer → member"],
    });
  }
}

/**
 * Why a person still in the files loses a group gatehouse gave them: no member line, role or nested group
 * gives it now. A mover's department, title and employment type are what roles matched, so they are named
 * (the type also when it is the default, employee: a contractor made an employee loses the contractors'
 * groups), with where the person is defined (the line that changed, for a mover; a member line removed
 * elsewhere is in git).
 */
function stillListedWhy(user: DesiredUser, isStill = true): string {
  // Not started (a joiner, or a start date moved past today): that, not the roles, is why nothing is given.
  if (user.startsOn !== undefined)
    return `${user.userId} (${formatLocation(user.source)}) has not started: no access until their startDate ${user.startsOn}`;
  const now = (["department", "title", "employmentType"] as const).flatMap((key) => {
    const value =
      key === "employmentType" ? (user.attributes.employmentType ?? "employee") : user.attributes[key];
    return value === undefined ? [] : [`${key} ${JSON.stringify(value)}`];
  });
  return (
    `${user.userId} (${formatLocation(user.source)}) is ${isStill ? "still " : ""}in the access files, but no member line, role or nested group gives them this group now` +
    (now.length === 0 ? "" : ` (now ${now.join(", ")})`)
  );
}

/** A live member the files do not give: why it goes, or why it stays. */
function planRemoval(
  sink: PlanSink,
  group: string,
  member: string,
  memberKind: "user" | "group",
  want: DesiredGroup | undefined,
  formerName?: string,
): void {
  const { input } = sink;
  const provider = input.name;
  const id = membershipAddress(provider, group, member, memberKind);
  // An account still another person's than the one the files give its name to is its owner's.
  // A departed person's account is nobody's in the files (plan-users.ts: PlanSink.departed).
  const gone = memberKind === "user" ? sink.departed.get(member) : undefined;
  // A leaver's account renamed by hand (plan-users.ts: byHand.renamed) is the leaver's removal too.
  const renamedFrom = sink.terminated.has(member) ? sink.byHand.renamed.get(member) : undefined;
  const desiredUser =
    memberKind === "user" && gone === undefined
      ? (sink.ownersAccounts.get(member)?.owner ??
        input.desired.users.get(member) ??
        (renamedFrom === undefined ? undefined : input.desired.users.get(renamedFrom)))
      : undefined;
  const expired = memberKind === "user" ? want?.expired.get(member) : undefined;
  const nesting = liveNestingOf(input.live);
  const above = nesting.ancestors(group);
  const base = {
    provider,
    id,
    kind: "membership",
    action: "remove",
    group,
    member,
    memberKind,
    risk: "narrows",
    ...(memberKind === "group" ? { reaches: nesting.reach(member) } : {}),
    ...(above.length > 0 ? { narrowsAlso: above } : {}),
  } as const;
  // A person's own account, or the one they had before their account here changed.
  const userId =
    desiredUser?.userId ??
    gone ??
    (memberKind === "user" ? input.desired.formerAccounts?.get(member) : undefined);
  const withUser = userId === undefined ? {} : { userId };
  // The end the grant was applied with (journal): once it has passed, this removal is the grant ending
  // as approved, which the guard rails never hold back (plan/safety.ts). A line edited since (an end
  // brought forward, a standing line made a grant) is a narrowing like any other.
  const appliedEnd = expired === undefined ? undefined : sink.input.grantEnds?.get(id);
  const appliedEndMs = appliedEnd === undefined ? Number.NaN : Date.parse(appliedEnd);
  // A leaver's grant that ends as approved ends as anyone's: a refusal of the rest of their offboarding
  // (maxRemovals, a protected user) must not keep them in the group past its end.
  if (memberKind === "user" && sink.terminated.has(member) && !(appliedEndMs <= sink.now.getTime())) {
    // An account the journal knows as a departed person's, never the leaver's: an edit named it theirs.
    const accountOf = input.desired.accountsOfPeopleGone?.get(member);
    sink.change({
      ...base,
      ...withUser,
      ...(accountOf === undefined ? {} : { accountOf }),
      // The line that made them a leaver (status or end date) is where this removal comes from.
      ...(desiredUser ? { source: desiredUser.source } : {}),
      reason: "user-terminated",
      why: [
        desiredUser?.leaving === undefined
          ? "leaver: every membership is removed"
          : `leaver (${leavingText(desiredUser) ?? ""}): every membership is removed`,
      ],
    });
    return;
  }
  if (want && !want.managesMembers) return; // the files do not manage this group's members
  if (expired) {
    // Late only if gatehouse had granted it: a grant written already expired was never due to anyone.
    noteTimeBoundary(sink.now, Date.parse(expired.until) + LATE_AFTER_MS + 1);
    const judgedAt = lateAsOf(sink.now);
    const isLate =
      judgedAt.getTime() - Date.parse(expired.until) > LATE_AFTER_MS &&
      wasApplied(sink, group, member, memberKind, formerName);
    if (isLate) sink.lateGrants.push(expired.until);
    if (appliedEndMs > sink.now.getTime()) noteTimeBoundary(sink.now, appliedEndMs);
    sink.change({
      ...base,
      ...withUser,
      ...(appliedEndMs <= sink.now.getTime() ? { endsGrant: true as const } : {}),
      reason: "grant-expired",
      source: expired.source,
      why: [
        isLate
          ? `grant ended ${expired.until}, ${daysSince(expired.until, judgedAt)} days ago: removed late`
          : `grant ended ${expired.until}`,
        // A leaver too: the rest of the offboarding is the account's and the other groups' changes.
        ...(memberKind === "user" && sink.terminated.has(member)
          ? [
              `also a leaver${desiredUser?.leaving === undefined ? "" : ` (${leavingText(desiredUser) ?? ""})`}`,
            ]
          : []),
      ],
    });
    return;
  }
  // A person's former account, whose new account the files give this group: the person keeps it.
  const successor =
    desiredUser === undefined && userId !== undefined && want !== undefined
      ? successorIn(sink, want, member, userId)
      : undefined;
  const replaced =
    successor === undefined
      ? {}
      : {
          replacedBy: successor,
          why: [
            `the former account of ${userId ?? ""}, whose account here changed: ${successor} holds ${group} in its place (removed once it does)`,
          ],
        };
  // A nested group the files define (an import brought it, say), which they do not nest here: the
  // nesting is what is not in the files, not the group.
  const isDefinedGroup = memberKind === "group" && input.desired.groups.has(member);
  if (wasApplied(sink, group, member, memberKind, formerName)) {
    sink.change({
      ...base,
      ...withUser,
      reason: "removed-from-config",
      why: [
        isDefinedGroup
          ? `the access files no longer nest ${member} in ${group}`
          : desiredUser === undefined
            ? "no longer in the access files"
            : stillListedWhy(desiredUser),
      ],
      ...replaced,
    });
    return;
  }
  switch (input.mode) {
    case "authoritative":
      sink.change({
        ...base,
        ...withUser,
        reason: "drift",
        // Someone in the files (a mover whose adopted or hand-added membership no role gives now): named,
        // with what roles match now, rather than "not in the access files".
        why: [
          isDefinedGroup
            ? `${member} is in the access files, but they do not nest it in ${group}; gatehouse did not add it (mode: authoritative)`
            : desiredUser === undefined
              ? "not in the access files (mode: authoritative)"
              : `${stillListedWhy(desiredUser, false)}; gatehouse did not add it (mode: authoritative)`,
        ],
        ...replaced,
      });
      return;
    case "observe":
      sink.note(
        "drift-ignored",
        `${member} is in ${group} but not in the access files; left alone (mode: observe)`,
      );
      return;
    case "additive":
      // A value left from an earlier account of the name: the account this plan makes holds it at once.
      if (desiredUser?.enabled === true && !liveAccountsOf(input.live).has(member)) {
        sink.note(
          "kept",
          `${member}, whose account this plan creates, is at once a member of ${group}: ${provider} holds that member value already (left from an earlier account of the name), which the access files do not grant and additive mode keeps; remove it in ${provider} before applying, or set mode: authoritative`,
        );
        return;
      }
      if (want?.isPrivileged === true) {
        const list = sink.keptPrivileged.get(group);
        if (list) list.push(member);
        else sink.keptPrivileged.set(group, [member]);
      } else sink.kept.push(`${member} in ${group}`);
      return;
  }
}

/** Each person's account in the files, by user id, worked out once per desired state. */
const accountsByPerson = oncePer((desired: DesiredState): ReadonlyMap<string, string> => {
  const byPerson = new Map<string, string>();
  for (const [account, user] of desired.users) byPerson.set(user.userId, account);
  return byPerson;
});

/**
 * The account that takes `former`'s place in a group: the account the files now give the person whose
 * former account it is (their account here changed), where the files give that account the group too.
 * Not the former account itself (a name given back), nor one the files give someone else.
 */
function successorIn(sink: PlanSink, want: DesiredGroup, former: string, userId: string): string | undefined {
  const desired = sink.input.desired;
  if (desired.formerAccounts?.get(former) !== userId) return undefined;
  const account = accountsByPerson(desired).get(userId);
  if (account === undefined || account === former || !want.members.has(account)) return undefined;
  return desired.users.get(account)?.status === "active" ? account : undefined;
}

/** The accounts a live state holds, worked out once per live state. */
const liveAccountsOf = oncePer(
  (live: LiveState): ReadonlySet<string> => new Set(live.users.map((u) => u.account)),
);

/**
 * A live group under a former name, or renamed by hand (`back`: it still answers to the desired name,
 * LiveGroup.otherName, or holds the entry gatehouse knew as it, `back.id`): one update renames it (and
 * sets the description), members kept.
 */
function planRename(
  sink: PlanSink,
  want: DesiredGroup,
  old: LiveGroup,
  back?: { readonly id?: string },
): void {
  const isBack = back !== undefined;
  const fields: FieldDiff[] = [{ field: "name", before: old.name, after: want.name }];
  const describe =
    sink.input.capabilities.groupDescription &&
    want.description !== undefined &&
    !sameValue(old.description, want.description);
  if (describe)
    fields.push({ field: "description", before: old.description ?? null, after: want.description ?? null });
  sink.change({
    provider: sink.input.name,
    id: groupAddress(sink.input.name, old.name),
    kind: "group",
    action: "update",
    group: old.name,
    fields,
    reason: isBack ? "drift" : "added-in-config",
    risk: "neutral",
    source: want.source,
    why: [
      back?.id !== undefined
        ? `renamed back from ${old.name} to ${want.name}: renamed in ${sink.input.name} by hand, it is the entry gatehouse knew as ${want.name}, found by its stable id (${back.id}) under its new name`
        : isBack
          ? `renamed back from ${old.name} to ${want.name}: renamed in ${sink.input.name} by hand, it still answers to ${old.otherName ?? want.name} there`
          : `renamed from ${old.name} to ${want.name} (formerNames)`,
    ],
    ...(want.description === undefined ? {} : { description: want.description }),
  });
}

/**
 * Accounts of people whose account is to be disabled (on leave, policy.leave: disable) and who have none
 * in this system: the plan creates none for them (plan-users.ts), so it cannot add them to groups either.
 */
function disabledWithoutAccount(input: PlanSink["input"]): ReadonlySet<string> {
  const disabled = [...input.desired.users.values()].filter((u) => !u.enabled && u.status !== "terminated");
  if (disabled.length === 0) return new Set();
  const live = new Set(input.live.users.map((u) => u.account));
  return new Set(disabled.filter((u) => !live.has(u.account)).map((u) => u.account));
}

/**
 * One note for what additive mode keeps: "No changes" must not read as "the files and the system agree".
 * A privileged group's own note names every member kept there: who holds admin rights nobody granted is
 * what a security review looks for first.
 */
function noteKept(sink: PlanSink): void {
  for (const [group, members] of [...sink.keptPrivileged].sort(([a], [b]) => compareText(a, b))) {
    const shown = members.slice(0, 50).join(", ");
    sink.note(
      "kept",
      `privileged group ${group} holds ${String(members.length)} member(s) the access files do not grant, kept because gatehouse did not apply them (mode: additive): ${shown}${members.length > 50 ? `, … (${String(members.length - 50)} more)` : ""}. Remove them in ${sink.input.name}, or list them in the files with the owners' approval`,
      { privilegedGroup: group },
    );
  }
  const list = sink.kept;
  if (list.length === 0) return;
  const shown = list.slice(0, 5).join(", ");
  sink.note(
    "kept",
    `${String(list.length)} membership(s) in managed groups are not granted by the access files now (not listed, or the person has not started yet) and are kept, because gatehouse did not apply them (mode: additive): ${shown}${list.length > 5 ? ", …" : ""}. Remove them by hand, or set mode: authoritative`,
  );
}

interface LiveNesting {
  /** People who hold a group through it: its members and its nested groups' members, unique. */
  reach(group: string): number;
  /** Groups that nest `group`, at any depth, sorted. */
  ancestors(group: string): readonly string[];
}

const NO_GROUPS: readonly string[] = [];

/** The live nesting of groups, worked out once per live state and only for what is asked. */
const liveNestingOf = oncePer((live: LiveState): LiveNesting => {
  const byName = new Map(live.groups.map((g) => [g.name, g]));
  const parents = new Map<string, string[]>();
  for (const g of live.groups)
    for (const inner of g.groupMembers ?? []) {
      const list = parents.get(inner);
      if (list) list.push(g.name);
      else parents.set(inner, [g.name]);
    }
  const walk = (start: string, next: (name: string) => readonly string[]): string[] => {
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let name = queue.pop(); name !== undefined; name = queue.pop())
      for (const other of next(name))
        if (!seen.has(other)) {
          seen.add(other);
          queue.push(other);
        }
    seen.delete(start);
    return [...seen];
  };
  const above = new Map<string, readonly string[]>();
  const nesting: LiveNesting = {
    reach: (group) => {
      const people = new Set<string>();
      for (const name of [group, ...walk(group, (n) => byName.get(n)?.groupMembers ?? NO_GROUPS)])
        for (const member of byName.get(name)?.members ?? []) people.add(member);
      return people.size;
    },
    ancestors: (group) => {
      if (parents.size === 0) return NO_GROUPS;
      let list = above.get(group);
      if (list === undefined)
        above.set(group, (list = walk(group, (n) => parents.get(n) ?? NO_GROUPS).sort()));
      return list;
    },
  };
  return nesting;
});

const NO_RENAMES: ReadonlyMap<string, string> = new Map();

/** What planGroups planned that planMemberMoves builds on. */
interface Watched {
  /** Live names of the groups it deletes. */
  readonly deleted: Set<string>;
  /** Its removals of accounts renamed in place (by their new names), by group and account. */
  readonly removed: Map<string, MembershipChange>;
}

/**
 * `sink`, recording what planMemberMoves needs as it is planned: the group deletes and the removals of
 * renamed accounts, which planGroups makes in several places.
 */
function watching(sink: PlanSink, watched: Watched): PlanSink {
  const newNames = new Set(sink.renamedUsers.values());
  return {
    ...sink,
    change(c) {
      if (c.kind === "group" && c.action === "delete") watched.deleted.add(c.group);
      else if (c.kind === "membership" && c.action === "remove" && c.memberKind === "user")
        if (newNames.has(c.member)) watched.removed.set(`${c.group}\n${c.member}`, c);
      sink.change(c);
    },
  };
}

/**
 * Where member values name an account by its name (Capabilities.userRenameRewrites.members: LDAP
 * memberUid, or a member DN whose RDN is the account), a rename in place leaves every group holding the
 * former name: the rest of the plan counts those memberships under the new name (renamedLive), so here
 * each is moved, as changes the plan lists rather than writes the server may or may not make (refint).
 * A group the person keeps gets the new name added and the former removed (one write per group); one
 * the plan takes from them loses the former name with the new. A group the plan deletes needs neither.
 * The removals carry `renamedTo` (the access goes on under the new name, or is counted there as taken),
 * the adds `renamedFrom` (the membership is the one held before the rename).
 * They wait for the rename (their userId's account is made by it): if it fails, nothing moves.
 */
function planMemberMoves(sink: PlanSink, inPlace: ReadonlyMap<string, string>, watched: Watched): void {
  const { input } = sink;
  const provider = input.name;
  for (const have of [...input.live.groups].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (watched.deleted.has(have.name)) continue;
    const group = inPlace.get(have.name) ?? have.name;
    // Only the names renamed away are sorted, not every member list (two million names at 100k people).
    for (const former of have.members.filter((m) => sink.renamedUsers.has(m)).sort()) {
      const to = sink.renamedUsers.get(former);
      if (to === undefined) continue;
      const userId = input.desired.users.get(to)?.userId;
      const id = membershipAddress(provider, group, former, "user");
      const removal = watched.removed.get(`${group}\n${to}`);
      if (removal !== undefined) {
        const why = [
          ...(removal.why ?? []),
          `and its value under the former name ${former}, which ${provider} keeps`,
        ];
        sink.change({ ...removal, id, member: former, renamedTo: to, why });
        continue;
      }
      const why = [
        `${former} is renamed to ${to} in place, and ${provider} names members by account: the membership moves to the new name`,
      ];
      const base = {
        provider,
        kind: "membership",
        group,
        memberKind: "user",
        reason: "added-in-config",
        risk: "neutral",
        why,
      } as const;
      const withUser = userId === undefined ? {} : { userId };
      sink.change({
        ...base,
        ...withUser,
        id: membershipAddress(provider, group, to, "user"),
        action: "add",
        member: to,
        renamedFrom: former,
      });
      sink.change({ ...base, ...withUser, id, action: "remove", member: former, renamedTo: to });
    }
  }
}

/** Groups and memberships, including leavers removed from groups the files do not mention. */
export function planGroups(given: PlanSink): void {
  const rewrites = given.input.capabilities.userRenameRewrites?.members === true;
  const watched: Watched | undefined =
    rewrites && given.renamedUsers.size > 0 ? { deleted: new Set(), removed: new Map() } : undefined;
  const sink = watched === undefined ? given : watching(given, watched);
  const { input } = sink;
  const { name: provider, capabilities: caps, desired } = input;
  // Accounts this plan renames in place (plan-users.ts) keep their memberships: none is removed or added.
  const live = renamedLive(input.live, sink.renamedUsers, NO_RENAMES);
  const liveGroups = new Map(live.groups.map((g) => [g.name, g]));
  const withoutAccount = disabledWithoutAccount(input);
  const wanted = [...desired.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  // Live name → the desired group it becomes. Each desired group missing live takes the first of its
  // former names that is live, not desired itself and not taken by an earlier group.
  const renamed = new Map<string, string>();
  const formerOf = new Map<string, string>(); // the other way round
  const isFree = (n: string): boolean => liveGroups.has(n) && !desired.groups.has(n) && !renamed.has(n);
  // A live group that still answers to a desired group's name (AD's sAMAccountName, kept when its cn
  // was renamed by hand) is that group, renamed: it is renamed back, never deleted and replaced.
  const byOtherName = new Map<string, string>();
  for (const g of live.groups)
    if (g.otherName !== undefined) byOtherName.set(g.otherName.toLowerCase(), g.name);
  // Desired groups found under another name, renamed by hand (with the stable id that found one).
  const renamedBack = new Map<string, { readonly id?: string }>();
  // Last, the entry gatehouse knew as it, by its stable id (ProviderPlanInput.groupIds).
  const byId = groupIdHolder(sink, live.groups, isFree);
  for (const want of wanted) {
    if (liveGroups.has(want.name)) continue;
    let former = want.formerNames?.find(isFree);
    if (former === undefined) {
      const other = byOtherName.get(want.name.toLowerCase());
      if (other !== undefined && isFree(other)) {
        former = other;
        renamedBack.set(want.name, {});
      }
    }
    if (former === undefined) {
      const held = byId(want);
      if (held !== undefined) {
        former = held.name;
        renamedBack.set(want.name, { id: held.id });
      }
    }
    if (former === undefined) continue;
    renamed.set(former, want.name);
    formerOf.set(want.name, former);
  }
  // Renamed in place, a group stays nested where it was: its parents list it under the new name.
  const inPlace: ReadonlyMap<string, string> = caps.renameGroups === true ? renamed : new Map();
  for (const want of wanted) {
    let have = liveGroups.get(want.name);
    let renamedFrom: string | undefined;
    const id = groupAddress(provider, want.name);
    if (!have) {
      const former = formerOf.get(want.name);
      const old = former === undefined ? undefined : liveGroups.get(former);
      if (former !== undefined && old) {
        if (caps.renameGroups === true) {
          planRename(sink, want, old, renamedBack.get(want.name));
          renamedFrom = old.name;
          have = {
            ...old,
            name: want.name,
            ...(want.description === undefined ? {} : { description: want.description }),
          };
        }
      }
    }
    if (!have) {
      sink.change({
        provider,
        id,
        kind: "group",
        action: "create",
        group: want.name,
        reason: "added-in-config",
        risk: "neutral",
        source: want.source,
        ...(want.description === undefined ? {} : { description: want.description }),
      });
    } else if (
      caps.groupDescription &&
      want.description !== undefined &&
      !sameValue(have.description, want.description)
    ) {
      sink.change({
        provider,
        id,
        kind: "group",
        action: "update",
        group: want.name,
        fields: [{ field: "description", before: have.description ?? null, after: want.description }],
        description: want.description,
        reason: "added-in-config",
        risk: "neutral",
        source: want.source,
      });
    }
    if (want.managesMembers) planMembers(sink, want, have, renamedFrom, withoutAccount, inPlace);
    else if (have)
      for (const account of have.members)
        if (sink.terminated.has(account)) planRemoval(sink, want.name, account, "user", want);
  }
  const heirs = new Map<string, string>(); // former name → the group that lists it
  for (const want of desired.groups.values())
    for (const former of want.formerNames ?? []) if (!heirs.has(former)) heirs.set(former, want.name);
  const notHere = absenceOf(desired, provider, caps.caseInsensitiveNames === true);
  for (const have of [...live.groups].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (desired.groups.has(have.name)) continue;
    const id = groupAddress(provider, have.name);
    // Everyone the group holds loses it: managed members, nested groups and values gatehouse does not read.
    const memberCount = have.members.length + (have.groupMembers?.length ?? 0) + (have.unmanagedMembers ?? 0);
    const members = [...have.members].sort(compareText);
    const groupMembers = [...(have.groupMembers ?? [])].sort(compareText);
    const remove = (reason: Reason, why: string, replacedBy?: string): void => {
      sink.change({
        provider,
        id,
        kind: "group",
        action: "delete",
        group: have.name,
        memberCount,
        ...(members.length === 0 ? {} : { members }),
        ...(groupMembers.length === 0 ? {} : { groupMembers }),
        ...(replacedBy === undefined ? {} : { replacedBy }),
        reason,
        risk: memberCount > 0 ? "narrows" : "neutral",
        why: [why],
      });
    };
    const successor = renamed.get(have.name);
    if (successor !== undefined) {
      // Renamed in place above; or, where the system cannot rename, replaced by a new group: the old goes.
      if (caps.renameGroups !== true) {
        remove(
          "removed-from-config",
          `renamed to ${successor} (formerNames); this system cannot rename, so the new group replaces it`,
          successor,
        );
      }
      continue;
    }
    if (input.mode === "authoritative") {
      const heir = heirs.get(have.name);
      remove(
        input.managed?.has(id) === true || heir !== undefined ? "removed-from-config" : "not-in-config",
        heir === undefined
          ? `${notHere(have.name) ?? "the group is in no access file"} (mode: authoritative)`
          : `a former name of ${heir} (formerNames), which exists already, so it is not renamed (mode: authoritative)`,
      );
      continue;
    }
    if (input.mode === "observe")
      sink.note(
        "unmanaged",
        `group ${have.name}${notHere(have.name) === undefined ? " is in no access file" : `: ${notHere(have.name) ?? ""}`}; left alone (mode: observe)`,
      );
    const heir = heirs.get(have.name);
    if (input.mode === "additive" && heir !== undefined)
      sink.note(
        "unmanaged",
        `group ${have.name} is a former name of ${heir} (formerNames), but ${heir} exists already, so it was not renamed: its ${String(have.members.length)} member(s) still hold its access; delete it in ${provider}, or set mode: authoritative`,
      );
    // Leavers lose every membership, even in groups the files do not manage.
    for (const account of have.members)
      if (sink.terminated.has(account)) planRemoval(sink, have.name, account, "user", undefined);
  }
  if (watched !== undefined) planMemberMoves(sink, inPlace, watched);
  noteKept(sink);
}

/**
 * Where the files give a live group that is in none of this system's: undefined where no file defines it,
 * else that they give it to other systems only (its `providers` leave this one out), which a plan that
 * deletes it must not hide behind "in no access file".
 */
function absenceOf(
  desired: DesiredState,
  provider: string,
  isCaseInsensitive: boolean,
): (name: string) => string | undefined {
  const elsewhere = desired.groupsElsewhere ?? new Map<string, readonly string[]>();
  let folded: Map<string, readonly string[]> | undefined;
  return (name) => {
    let given = elsewhere.get(name);
    if (given === undefined && isCaseInsensitive && elsewhere.size > 0) {
      folded ??= new Map([...elsewhere].map(([n, p]) => [n.toLowerCase(), p]));
      given = folded.get(name.toLowerCase());
    }
    return given === undefined
      ? undefined
      : `the access files give group ${name} to ${given.join(", ") || "no system"} only (its providers leave ${provider} out)`;
  };
}
