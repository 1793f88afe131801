/**
 * The text of `journal access`: one member's lines (how they held the group, and what the journal cannot
 * vouch for), at an instant or over a window.
 */
import type { AdoptedLater, HeldMembership, UnconfirmedMembership } from "../../audit/access-at.ts";
import type { GuardrailOverrides } from "../../audit/journal-entry.ts";
import type { HeldStretch } from "../../audit/access-during.ts";
import { heldThroughSince, type HeldThrough } from "../../audit/nested-access.ts";
import type { NotHeldSince, OutsideMembership } from "../../audit/held-outside.ts";
import { formatLocation } from "../../model/source.ts";
import {
  describeGateShortfall,
  type ApprovalsRecord,
  type CommitApproval,
} from "../../pr/approval-record.ts";
import type { LineCommit } from "../../audit/line-approvals.ts";
import type { FilesApproval } from "../../audit/run-approval.ts";
import type { LineRemoval } from "../../audit/line-removals.ts";
import { scheduledJob } from "../../audit/review-close-commit.ts";
import { REASON_TEXT } from "../../render/describe.ts";
import { inlineText } from "../../render/terminal-text.ts";

/** The run a journal line came from, as `, commit <12 hex>[+dirty], by <actor>` (what it recorded of them). */
export function runText(run: {
  readonly commit?: string;
  readonly actor?: string;
  readonly drill?: string;
  readonly overrides?: GuardrailOverrides;
}): string {
  const commit =
    run.commit === undefined
      ? ""
      : `, commit ${run.commit.slice(0, 12)}${run.commit.endsWith("+dirty") ? "+dirty" : ""}`;
  // A drill's changes are real, and no leaver's: said on each line, so none is taken for an offboarding.
  const drill = run.drill === undefined ? "" : `, fire drill of canary ${run.drill}`;
  const overrode = overridesText(run.overrides);
  const forced = overrode === undefined ? "" : `, a run that ${overrode}`;
  return inlineText(`${commit}${run.actor === undefined ? "" : `, by ${run.actor}`}${drill}${forced}`);
}

/** "overrode the guard rails: --force, accepting 2 refusal(s)"; undefined when the run accepted no refusal. */
export function overridesText(overrides: GuardrailOverrides | undefined): string | undefined {
  if (overrides === undefined || overrides.accepted.length === 0) return undefined;
  const flags = [
    ...(overrides.force === true ? ["--force"] : []),
    ...(overrides.allowRemovals === undefined ? [] : [`--allow-removals ${String(overrides.allowRemovals)}`]),
  ];
  return `overrode the guard rails: ${flags.join(", ")}, accepting ${String(overrides.accepted.length)} refusal(s)`;
}

/**
 * A time-bound grant's end, for the line of a member it gave: past at the instant asked about, the member
 * still held the group then, no run having started since the end. Nothing is said of what the next run
 * did: the files may have moved the end before it (the journal learns of an edit only when a run records
 * it), so "the next apply removes it" would be a guess. `removedAt`: the removal that ended a window's
 * stretch, when one did; the line then says how long after the grant's end it came.
 */
function grantEnd(m: HeldMembership, at: string, removedAt?: string): string {
  // An end the files changed after the add, as the run that recorded it says.
  const changed =
    m.endChanged === undefined
      ? ""
      : ` (${m.until === undefined ? "a grant" : "its end"}${m.endChanged.from === undefined ? "" : ` until ${inlineText(m.endChanged.from)}`} ${m.until === undefined ? "made lasting" : "changed"} by an edit the run at ${inlineText(m.endChanged.at)}, journal #${String(m.endChanged.seq)}, recorded)`;
  if (m.until === undefined) return changed;
  if (Date.parse(m.until) > Date.parse(at)) return `, until ${inlineText(m.until)}${changed}`;
  // A window's stretch that a removal ended: how long after the grant's end that removal came.
  if (removedAt !== undefined)
    return `, grant ended ${inlineText(m.until)}${changed}, removed ${elapsedText(Date.parse(removedAt) - Date.parse(m.until))} after its end${m.keptPastUntil === true ? " (a run before kept it: its removal failed or was refused by the guard rails)" : ""}`;
  if (changed !== "" && m.keptPastUntil !== true)
    return `, grant ended ${inlineText(m.until)}${changed} (still held: no apply ran between its end and then)`;
  if (changed !== "")
    return `, granted until ${inlineText(m.until)}${changed}, kept by a later run (its removal failed or was refused by the guard rails)`;
  return m.keptPastUntil === true
    ? `, granted until ${inlineText(m.until)}, kept by a later run (the grant extended, or its removal failed)`
    : `, grant ended ${inlineText(m.until)} (still held: no apply ran between its end and then)`;
}

/** "12 minute(s)", "5.0 hours", "1.5 days": a length of time as an auditor reads it (a grant held past its end, a leaver offboarded after their last day). */
export function elapsedText(ms: number): string {
  const minutes = Math.max(0, ms) / 60_000;
  if (minutes < 60) return `${String(Math.round(minutes))} minute(s)`;
  const hours = minutes / 60;
  return hours < 24 ? `${hours.toFixed(1)} hours` : `${(hours / 24).toFixed(1)} days`;
}

/** Who made a verified `review close` commit, from its trailer: the scheduled workflow's run, or by hand. */
export function reviewCloseRunText(run: string): string {
  return /^https?:\/\//.test(run)
    ? `the scheduled review close (run ${inlineText(run)})`
    : `gatehouse review close (${inlineText(run)})`;
}

/** Who made a verified `prune` commit, from its trailer: the scheduled workflow's run, or by hand. */
function pruneRunText(run: string): string {
  return /^https?:\/\//.test(run)
    ? `the scheduled prune of expired grants (run ${inlineText(run)})`
    : `gatehouse prune (${inlineText(run)})`;
}

/** How one commit got onto the branch: its pull request and the approvals the gate counted. */
export function describeCommitApproval(c: CommitApproval): string {
  if (c.pull === undefined) {
    const commit = `commit ${inlineText(c.commit.slice(0, 12))}`;
    const close = c.reviewClose;
    if (close?.kind === "verified")
      return `${commit} of ${close.job === "prune" ? pruneRunText(close.run) : reviewCloseRunText(close.run)}`;
    return close === undefined
      ? `${commit} without a pull request`
      : `${commit} without a pull request (its message says it is ${scheduledJob(close)}'s, ${inlineText(close.run)}, but ${inlineText(close.why)})`;
  }
  const number = `#${String(c.pull.number)}`;
  // Journals from before the gate was recorded: every approving review, as they said then.
  if (c.gate === undefined)
    return `${number} approved by ${(c.approvals ?? []).map((a) => inlineText(a.login)).join(", ") || "no one"}`;
  // Only the approvals the gate counted; a gate not met says so, with what did not count.
  if (c.gate.isOk && c.gate.requirements.length === 0) return `${number}, which needed no approval`;
  const counted = [...new Set(c.gate.requirements.flatMap((r) => r.approvedBy))];
  const approved = `${number} approved by ${counted.map(inlineText).join(", ") || "no one"}`;
  return c.gate.isOk
    ? approved
    : `${approved}, NOT as the gate requires: ${inlineText(describeGateShortfall(c.gate))}`;
}

/**
 * One line on how the commits of the run that added a member got in: pull requests and approvers. A run
 * that applied no new commit names the run that first applied its commit (`from`), and its pull requests.
 */
function describeRunApprovals(record: ApprovalsRecord, from?: FilesApproval): string {
  const parts = record.commits.map(describeCommitApproval);
  if (record.error !== undefined) parts.push(`not looked up: ${inlineText(record.error)}`);
  if (parts.length > 0) return `that run's pull requests: ${parts.join("; ")}`;
  if (from === undefined) return "that run applied no new commit of the access files";
  return `that run applied no new commit of the access files; its files came in with the run at ${inlineText(from.at)} (journal #${String(from.runSeq)}): ${describeRunApprovals(from.approvals)}`;
}

/**
 * The line on how a member got in: the commit that wrote its line, where git could tell (line-approvals.ts),
 * else every pull request of the run that added it.
 */
function approvalLine(
  record: ApprovalsRecord,
  line: LineCommit | undefined,
  from: FilesApproval | undefined,
): string {
  if (line === undefined) return describeRunApprovals(record, from);
  const commit = inlineText(line.commit.slice(0, 12));
  const how =
    line.approval === undefined
      ? `commit ${commit}`
      : line.approval.pull === undefined
        ? describeCommitApproval(line.approval)
        : `${describeCommitApproval(line.approval)} (commit ${commit})`;
  if (!line.isTheRuns)
    return `its line came with ${how}, before that run's commits (the membership was added later: a start date passed, a write failed, or the system was added since)`;
  const others = record.commits.length - 1;
  return `its line came with ${how}${others > 0 ? `; that run applied ${String(others)} other commit(s) of the access files` : ""}`;
}

/**
 * Why a stretch ended: the removal's entry, reason and why, as the journal recorded them, and the commit
 * that took the line out of the files, where git could tell (line-removals.ts).
 */
function endedByText(ended: HeldStretch["endedBy"], removal: LineRemoval | undefined): string {
  if (ended === undefined) return "";
  const why = ended.why.length === 0 ? "" : `: ${ended.why.map(inlineText).join("; ")}`;
  const overrode = overridesText(ended.overrides);
  const forced = overrode === undefined ? "" : ` (that run ${overrode})`;
  const text = `ended by its removal, journal #${String(ended.seq)}${forced}: ${REASON_TEXT[ended.reason]}${why}`;
  if (removal === undefined) return text;
  const by = `commit ${inlineText(removal.commit.slice(0, 12))} "${inlineText(removal.subject)}" (${inlineText(removal.author)}, ${inlineText(removal.committedAt)})`;
  const approved = removal.approval === undefined ? "" : `, ${describeCommitApproval(removal.approval)}`;
  return `${text}; the line left the files with ${by}${approved}${reviewText(removal.review)}`;
}

/** The access review a removed line was pending in, as line-removals.ts found it. */
function reviewText(review: LineRemoval["review"]): string {
  if (review === undefined) return "";
  const due = inlineText(review.due);
  return review.by === "closed"
    ? `: not re-certified in the access review due ${due}, revoked when it closed`
    : `: revoked by the group's owners in the access review due ${due}, pending re-certification then`;
}

const who = (m: { member: string; memberKind: "user" | "group"; userId?: string }): string =>
  m.memberKind === "group"
    ? `group ${m.member}`
    : m.userId !== undefined && m.userId !== m.member
      ? `${m.member} (${m.userId})`
      : m.member;

/**
 * The lines of a member gatehouse applied. `at` is the instant asked about (a window's end); `to`, for a
 * window, when the stretch ended inside it (absent: still held at its end). With `through`, the member
 * holds `through.group` through nested groups, and `m` is their membership of the last of them.
 */
export function heldLines(
  m: HeldMembership,
  at: string,
  window?: Pick<HeldStretch, "to" | "endedBy">,
  line?: LineCommit,
  removal?: LineRemoval,
  through?: { readonly group: string; readonly held: HeldThrough },
): string[] {
  const where = m.source === undefined ? "" : `, ${formatLocation(m.source)}`;
  const span =
    window === undefined
      ? ""
      : window.to === undefined
        ? ", still held at the window's end"
        : ` to ${inlineText(window.to)}`;
  const end = window?.to ?? at;
  const inner = through?.held.via.at(-1)?.group;
  // A stretch a removal ended (a window's): the grant's end is said with how long after it that came.
  const removedAt = window?.endedBy === undefined ? undefined : window.to;
  if (m.adopted !== undefined || m.reason === "adopted")
    return adoptedLines(m, window, removal, through, inner, span);
  const lines = [
    `  ${inlineText(who(m))}  ${inner === undefined ? "" : `through group ${inlineText(inner)}: in it `}since ${inlineText(m.since)}${span} (journal #${String(m.seq)}${runText(m)}): ${REASON_TEXT[m.reason]}${inlineText(where)}${grantEnd(m, end, removedAt)}`,
  ];
  if (through !== undefined) lines.push(`    ${nestedText(through.group, through.held)}`);
  // How it was given: the role and the attribute that matched, the grant's ticket, the nested group.
  if (m.why.length > 0) lines.push(`    ${m.why.map(inlineText).join("; ")}`);
  // How it ended inside the window: the removal gatehouse applied, with its reason.
  if (window?.endedBy !== undefined) lines.push(`    ${endedByText(window.endedBy, removal)}`);
  // What the journal cannot vouch for: a removal made outside gatehouse, found by a later run.
  if (m.earlier !== undefined)
    lines.push(
      `    a re-add (drift): held before since ${inlineText(m.earlier.since)} (journal #${String(m.earlier.seq)}), then removed outside gatehouse at a time the journal cannot tell`,
    );
  if (m.foundMissingAt !== undefined)
    lines.push(
      `    uncertain: a later run found it missing and added it back as drift at ${inlineText(m.foundMissingAt)}; it was removed outside gatehouse at a time the journal cannot tell, possibly before ${window === undefined ? "this instant" : "the end shown"}`,
    );
  // Said on each member, so an auditor does not read a missing approver as none having been needed.
  lines.push(
    m.approvals === undefined
      ? "    approvals: none recorded (the run that added it ran without apply --record-approvals, or by a gatehouse older than that option)"
      : `    ${approvalLine(m.approvals, line, m.filesApprovedIn)}`,
  );
  // An end changed since (a grant extended): who approved that, apart from who approved the grant.
  if (m.endChanged !== undefined)
    lines.push(
      m.endChanged.approvals === undefined
        ? "    its end changed with a run that recorded no approvals (it ran without apply --record-approvals, or by a gatehouse older than that option)"
        : `    its end changed with ${describeRunApprovals(m.endChanged.approvals)}`,
    );
  return lines;
}

/** How a member held before gatehouse held the group: its head (before the span) and what the journal says. */
export function adoptedText(m: Pick<HeldMembership, "since" | "adopted">): {
  readonly head: string;
  readonly tail: string;
} {
  return m.adopted?.late === true
    ? {
        head: `held since before ${inlineText(m.since)}`,
        tail: "not added by gatehouse: found there by the run that first recorded the group's earlier holders, but an older gatehouse managed the group before, so it may also have been added by hand since then",
      }
    : {
        head: "held since before gatehouse",
        tail: `found there at ${inlineText(m.since)} by the run that took the group on, and kept; held from then at the latest, since when before, the journal cannot tell`,
      };
}

function adoptedLines(
  m: HeldMembership,
  window: Pick<HeldStretch, "to" | "endedBy"> | undefined,
  removal: LineRemoval | undefined,
  through: { readonly group: string; readonly held: HeldThrough } | undefined,
  inner: string | undefined,
  span: string,
): string[] {
  const { head, tail } = adoptedText(m);
  const run = m.adopted === undefined ? "" : `, run #${String(m.adopted.runSeq)}`;
  const lines = [
    `  ${inlineText(who(m))}  ${inner === undefined ? "" : `through group ${inlineText(inner)}: in it `}${head}${span} (journal #${String(m.seq)}${run}${runText(m)}): ${tail}`,
  ];
  if (through !== undefined) lines.push(`    ${nestedText(through.group, through.held)}`);
  if (window?.endedBy !== undefined) lines.push(`    ${endedByText(window.endedBy, removal)}`);
  lines.push("    approvals: none (gatehouse did not give it; it kept what it found)");
  return lines;
}

/** The lines of members a later run found holding the group when it took it on (adopted after the instant). */
export function adoptedLaterLines(provider: string, later: readonly AdoptedLater[]): string[] {
  const first = later[0];
  if (first === undefined) return [];
  return [
    `  and ${String(later.length)} member(s) the run that took the group on in ${provider} later found holding it (run #${String(first.runSeq)} at ${inlineText(first.foundAt)}): held since before gatehouse, so they may have held it then; the journal cannot tell from when`,
    ...later.map(
      (m) =>
        `  ? ${inlineText(who(m))}  found holding it at ${inlineText(m.foundAt)}${m.late === true ? " (an older gatehouse managed the group before)" : ""}`,
    ),
  ];
}

/**
 * How a member held the group through nested groups: "team-a in all-eng since T (journal #5): held all-eng
 * through it from T", each nesting on the way, the innermost first.
 */
function nestedText(group: string, t: HeldThrough): string {
  const ways = t.via.map((v, i) => {
    const outer = i === 0 ? group : (t.via[i - 1]?.group ?? group);
    return `${inlineText(v.group)} in ${inlineText(outer)} since ${inlineText(v.since)} (journal #${String(v.seq)})`;
  });
  return `${ways.reverse().join(", ")}: held ${inlineText(group)} through ${t.via.length === 1 ? "it" : "them"} from ${inlineText(heldThroughSince(t))}`;
}

/** The lines of members an interrupted run announced and never confirmed. */
export function unconfirmedLines(provider: string, unconfirmed: readonly UnconfirmedMembership[]): string[] {
  if (unconfirmed.length === 0) return [];
  return [
    `  and ${String(unconfirmed.length)} member(s) a run that was interrupted announced and never confirmed: ${provider} may hold them (if a later run found them there, it added nothing, so no entry confirms them)`,
    ...unconfirmed.map(
      (m) =>
        `  ? ${inlineText(who(m))}  announced ${inlineText(m.since)} (run #${String(m.runSeq)}${runText(m)}), unconfirmed`,
    ),
  ];
}

const EVIDENCE_TEXT: Readonly<
  Record<NotHeldSince["evidence"], (provider: string, member: string) => string>
> = {
  removed: () => "gatehouse removed it then",
  "group-created": () => "gatehouse made the group then",
  "group-deleted": () => "gatehouse deleted a group of that name then",
  "offboarding-check": () => "the offboarding check read the account back in no such group",
  "leaver-run": (provider, member) =>
    `the run then read ${provider} while ${member} was a leaver, whose memberships go in additive and authoritative mode alike, and removed none of theirs there`,
  "authoritative-run": (provider) =>
    `the run then read ${provider} in authoritative mode, with the same access files as the run that removed it, which remove the members they do not give, and removed nothing there`,
};

/** The lines of members held outside gatehouse that a later run found and removed. */
export function outsideLines(provider: string, outside: readonly OutsideMembership[]): string[] {
  if (outside.length === 0) return [];
  return [
    `  and ${String(outside.length)} member(s) held outside gatehouse (added or put back by hand) that a later run found and removed: since when, the journal cannot tell`,
    ...outside.map((m) => {
      const since =
        m.notBefore === undefined
          ? "since unknown (no earlier entry shows it was not held)"
          : `since unknown (not held at ${inlineText(m.notBefore.at)}, journal #${String(m.notBefore.seq)}: ${EVIDENCE_TEXT[m.notBefore.evidence](provider, m.member)})`;
      const seen =
        m.outcome === "applied"
          ? `removed there as ${REASON_TEXT[m.reason]}, journal #${String(m.seq)} at ${m.removedAt ?? "?"}${runText(m)}`
          : `its removal there as ${REASON_TEXT[m.reason]} ${m.outcome.toUpperCase()}, journal #${String(m.seq)}${runText(m)}`;
      const end =
        m.outcome === "applied"
          ? ""
          : m.removedAt === undefined
            ? "; still held as far as the journal shows"
            : `; gone by ${m.removedAt} (journal #${String(m.removedSeq ?? 0)})`;
      return inlineText(
        `  ? ${who(m)}  uncertain: held outside gatehouse, ${since}, first seen by the run at #${String(m.runSeq)} (${seen})${end}`,
      );
    }),
  ];
}
