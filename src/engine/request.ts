/**
 * `gatehouse request`: what to write for one person and one group, from the validated model. Pure: the
 * model and the instant in, a decision out (the edit to make, or why nothing is to be written); the
 * refusals (a leaver, a grant past the policy's limit or already over) are errors with the place in the
 * files that decides them.
 */
import type { AccessModel, Group, MemberEntry } from "../model/access.ts";
import { formatLocation, type SourceLocation } from "../model/source.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { formatDuration } from "../load/durations.ts";
import { defined } from "../load/read-data.ts";
import { afterDay, formatInstant, isGrantActive, isTerminated } from "../lifecycle/status.ts";
import { describeProvenance, provenanceOf, wayUntil } from "../desired/effective.ts";
import { suggest } from "../validate/rules/report.ts";
import type { MemberEdit, MemberLine } from "./request-edit.ts";

export interface RequestInput {
  readonly user: string;
  readonly group: string;
  /** The end of the grant as the files write it (cli/instant.ts resolveUntil); undefined: a lasting member. */
  readonly until?: string;
  /** --until as the user typed it (a day, a duration), echoed next to `until` in a refusal. */
  readonly untilText?: string;
  readonly reason?: string;
}

export type RequestDecision =
  | {
      readonly kind: "write";
      readonly edit: MemberEdit;
      /** What the user's line says once written. */
      readonly entry: MemberLine;
      /** Things the requester should know (held already through a role, ...), one line each. */
      readonly notes: readonly string[];
      /**
       * The group's open review lists the user as pending: the same edit takes them off `pending` (the
       * owners approving the pull request certify them), or `review close` would revoke what they approve.
       */
      readonly pendingReview?: { readonly due: string };
    }
  | { readonly kind: "nothing"; readonly message: string };

/** The longest grant the policy allows for `group`, and which setting says so. */
function grantLimit(
  model: AccessModel,
  group: Group,
):
  | { readonly ms: number; readonly text: string; readonly setting: string; readonly at?: SourceLocation }
  | undefined {
  const { policy } = model.config;
  const isPrivileged = group.sensitivity === "privileged";
  const key =
    isPrivileged && policy.privilegedMaxGrantMs !== undefined ? "privilegedMaxDuration" : "maxDuration";
  const ms = key === "privilegedMaxDuration" ? policy.privilegedMaxGrantMs : policy.maxGrantMs;
  if (ms === undefined) return undefined;
  const text =
    (key === "privilegedMaxDuration" ? policy.privilegedMaxGrantText : policy.maxGrantText) ??
    formatDuration(ms);
  const at = policy.locations?.get(`/grants/${key}`);
  return { ms, text, setting: `policy.grants.${key}`, ...(at === undefined ? {} : { at }) };
}

/** Refuses an until that is over already, or past the policy's longest grant for the group. */
function checkUntil(
  model: AccessModel,
  group: Group,
  until: string,
  untilText: string | undefined,
  now: Date,
): void {
  const end = Date.parse(until);
  const typed = untilText === undefined || untilText === until ? until : `${untilText} (${until})`;
  if (end <= now.getTime())
    throw new ConfigError(
      `--until ${typed} is not in the future (now is ${formatInstant(now)}); nothing was written`,
    );
  const limit = grantLimit(model, group);
  if (limit === undefined || end - now.getTime() <= limit.ms) return;
  const which = group.sensitivity === "privileged" ? "a privileged group" : "a group";
  const latest = now.getTime() + limit.ms;
  const where = limit.at === undefined ? "" : ` (${formatLocation(limit.at)})`;
  throw new ConfigError(
    `--until ${until} is longer than the ${limit.text} ${limit.setting}${where} allows for ${which} ` +
      `like ${group.name}; the latest is ${formatInstant(new Date(latest - (latest % 1000)))}; nothing was written`,
  );
}

type UserEntry = Extract<MemberEntry, { kind: "user" }>;

/** What the request writes, or why it writes nothing. Throws for names the files lack and for refusals. */
export function decideRequest(model: AccessModel, input: RequestInput, now: Date): RequestDecision {
  const found = decideLine(model, input, now);
  // A grant (or lasting line) past the person's last day: their access ends with it all the same.
  const endDate = model.users.get(input.user)?.endDate;
  const ends = endDate === undefined ? undefined : afterDay(endDate);
  const isPastEnd = ends !== undefined && (input.until === undefined || Date.parse(input.until) > ends);
  const decision: RequestDecision =
    found.kind === "nothing" || !isPastEnd
      ? found
      : {
          ...found,
          notes: [
            ...found.notes,
            `${input.user}'s endDate is ${endDate ?? ""}: access ends when that day does, whatever ${input.until === undefined ? "the line says" : `the grant's --until says`}`,
          ],
        };
  const review = model.groups.get(input.group)?.review;
  if (review?.pending.includes(input.user) !== true) return decision;
  // Nothing to write, so no pull request for the owners to approve: the review still lists them.
  if (decision.kind === "nothing")
    return {
      ...decision,
      message:
        `${decision.message}; but ${input.user} is pending in the open review of ${input.group} (due ${review.due}): ` +
        "unless its owners re-certify them (delete the name from pending), review close revokes the line from " +
        `${new Date(afterDay(review.due)).toISOString().slice(0, 10)} on`,
    };
  return {
    ...decision,
    notes: [
      ...decision.notes,
      `${input.user} is pending in the open review of ${input.group} (due ${review.due}): the name is taken ` +
        "off `pending` in the same edit, since the owners who approve this pull request certify them",
    ],
    pendingReview: { due: review.due },
  };
}

function decideLine(model: AccessModel, input: RequestInput, now: Date): RequestDecision {
  const user = model.users.get(input.user);
  if (!user)
    throw new UsageError(
      `no user "${input.user}" in the access files.${suggest(input.user, model.users.keys())}`,
    );
  const group = model.groups.get(input.group);
  if (!group)
    throw new UsageError(
      `no group "${input.group}" in the access files.${suggest(input.group, model.groups.keys())}`,
    );
  if (isTerminated(user, now))
    throw new ConfigError(
      `${formatLocation(user.source)}: ${user.id} has left (${user.status === "terminated" ? "status: terminated" : `endDate ${user.endDate ?? "?"} has passed`}); ` +
        "a leaver is given no access; nothing was written",
    );
  if (group.members === undefined)
    throw new ConfigError(
      `${formatLocation(group.source)}: group ${group.name} has no members list: its membership is not managed by ` +
        "the files, and adding one would make gatehouse remove every member the list does not name; " +
        "add `members:` by hand if that is meant; nothing was written",
    );
  const lines = group.members.filter((e): e is UserEntry => e.kind === "user" && e.user === user.id);
  const lasting = lines.find((e) => e.until === undefined);
  if (lasting)
    return {
      kind: "nothing",
      message: `${user.id} is already a lasting member of ${group.name} (${formatLocation(lasting.source)}); nothing to do`,
    };
  // The grant the request changes, if the user has one here: the one that runs longest.
  const grant = lines.reduce<UserEntry | undefined>(
    (best, e) =>
      e.until !== undefined && (best?.until === undefined || Date.parse(e.until) > Date.parse(best.until))
        ? e
        : best,
    undefined,
  );
  if (input.until !== undefined) checkUntil(model, group, input.until, input.untilText, now);
  const notes = heldOtherwise(model, group, user.id, now, input.until);
  if (grant?.until !== undefined) {
    const from = grant.until;
    if (input.until === undefined)
      return {
        kind: "write",
        edit: { kind: "make-lasting", user: user.id, from },
        entry: { user: user.id },
        notes,
      };
    if (Date.parse(input.until) <= Date.parse(from))
      return {
        kind: "nothing",
        message:
          `${user.id} is already granted ${group.name} until ${from} (${formatLocation(grant.source)}); ` +
          `--until ${input.until} is not later; nothing to do`,
      };
    return {
      kind: "write",
      edit: {
        kind: "extend",
        user: user.id,
        from,
        until: input.until,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      },
      entry: { user: user.id, until: input.until, ...defined({ reason: input.reason ?? grant.reason }) },
      notes: isGrantActive(from, now) ? notes : [`the grant that ended at ${from} is renewed`, ...notes],
    };
  }
  const entry = { user: user.id, ...defined({ until: input.until, reason: input.reason }) };
  return { kind: "write", edit: { kind: "add", entry }, entry, notes };
}

/**
 * How the user holds the group already without a line of their own (a role, a nested group): the line is
 * still written (it keeps the access when the role stops giving it), and the requester is told; plainly
 * so when the line (ending at `until`) ends no later than a nested grant that already gives the access.
 */
function heldOtherwise(
  model: AccessModel,
  group: Group,
  userId: string,
  now: Date,
  until: string | undefined,
): string[] {
  const ways = (provenanceOf(model, group.name, [userId], now).get(userId) ?? []).filter(
    (p) => p.kind !== "direct",
  );
  return ways.map((p) => {
    // A nested way reads "via group X ← ...": "through" would double it.
    const held = `${userId} already holds ${group.name} ${p.kind === "nested" ? "" : "through "}${describeProvenance(p)}`;
    const end = wayUntil(p);
    if (
      p.kind !== "nested" ||
      until === undefined ||
      end === undefined ||
      Date.parse(until) > Date.parse(end)
    )
      return `${held}; the line written keeps it if that stops`;
    const when = Date.parse(until) === Date.parse(end) ? "when" : "before";
    return (
      `${held}; the line written ends at ${until}, ${when} the access ${userId} already has through group ` +
      `${p.via} (until ${end}): it gives nothing more unless that is cut short`
    );
  });
}
