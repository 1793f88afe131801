import type { ProviderConfig, User } from "../model/access.ts";
import { leaverAccountTaken, type OpenVerdict } from "../audit/journal-fold.ts";
import type { PlanNote } from "../plan/types.ts";
import type { Capabilities } from "../providers/types.ts";
import type { LeaverAccount, OpenRecheck } from "../apply/offboard-verify.ts";
import type { JournalEntry } from "../audit/journal-entry.ts";
import { accountNameFor, lifecycleOf } from "../desired/desired-state.ts";
import { nameFold } from "../plan/align-case.ts";
import { formerIdsOf, idNow } from "../desired/former-ids.ts";

/**
 * Open offboarding verdicts: an `offboard-verified` entry that found access left stays open until a later
 * check of the account finds none (the journal fold keeps the latest, JournalFold.verdicts), or until the
 * files no longer make the person a leaver (back: active again, or not started yet under a new start
 * date; a verdict under an id someone lists in `formerIds` is theirs). A person removed from the files
 * entirely keeps theirs: what was left may still be there, and nobody else would look. Every apply checks the open verdicts of the systems it reads again, and every
 * plan notes them, so that access gatehouse neither reads nor manages is not forgotten once no plan shows it.
 */

/**
 * An open verdict as the files stand: `nameGivenTo`, for one that names no person (no user id), the
 * person the files now give its account name to, who is no leaver. The verdict stays open (the name
 * changed hands, the leaver's access did not go with it), and a check by name would look at their account.
 */
export type OpenVerdictNow = OpenVerdict & { readonly nameGivenTo?: string };

/** The open verdicts of one system, as the files stand at `now`, in journal order. */
export function openVerdictsOf(
  verdicts: ReadonlyMap<string, OpenVerdict>,
  users: ReadonlyMap<string, User>,
  config: ProviderConfig,
  caps: Pick<Capabilities, "caseInsensitiveNames">,
  now: Date,
): OpenVerdictNow[] {
  const fold = nameFold(caps);
  let byAccount: Map<string, User> | undefined;
  const personOf = (verdict: OpenVerdict): User | undefined => {
    // Under an id the person lists in formerIds, it is theirs (the same person under a new id).
    if (verdict.userId !== undefined) return users.get(idNow(formerIdsOf(users), verdict.userId));
    // Entries without a user id: the person the files give that account (built once, when needed).
    byAccount ??= new Map(
      [...users.values()].flatMap((u) => {
        const account = accountNameFor(u, config);
        return account === undefined ? [] : [[fold(account), u] as const];
      }),
    );
    return byAccount.get(fold(verdict.account));
  };
  const out: OpenVerdictNow[] = [];
  for (const verdict of verdicts.values()) {
    if (verdict.provider !== config.name) continue;
    const person = personOf(verdict);
    if (person === undefined || lifecycleOf(person, now) === "terminated") out.push(verdict);
    // Back in the files (active again, or not started yet): theirs closes. Found by the account's name
    // only, the person is whoever holds the name now, not who left.
    else if (verdict.userId === undefined) out.push({ ...verdict, nameGivenTo: person.id });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Open verdicts of systems gatehouse.yaml no longer has (none of `configured`), in journal order: nothing
 * checks them any more, and the plan notes them so that they are not forgotten. A person the files make no
 * leaver (by user id) closes theirs, as openVerdictsOf does.
 */
export function unconfiguredVerdicts(
  verdicts: ReadonlyMap<string, OpenVerdict>,
  users: ReadonlyMap<string, User>,
  configured: ReadonlySet<string>,
  now: Date,
): OpenVerdict[] {
  return [...verdicts.values()]
    .filter((v) => {
      if (configured.has(v.provider)) return false;
      const person = v.userId === undefined ? undefined : users.get(idNow(formerIdsOf(users), v.userId));
      return person === undefined || lifecycleOf(person, now) === "terminated";
    })
    .sort((a, b) => a.seq - b.seq);
}

/**
 * The leaver account an open verdict names (under the name it was found renamed to, where it was),
 * marked as its re-check. A verdict a failed append set aside
 * beside the journal has no seq yet (0): the apply names it once it records it (numberSetAside).
 */
export function leaverOfVerdict(verdict: OpenVerdictNow): LeaverAccount {
  // Its check found no account, and checked: finding none again is no sign of a rename.
  const wasGone =
    verdict.accountState === "absent" && verdict.error === undefined && verdict.elsewhere === undefined;
  return {
    provider: verdict.provider,
    // Found renamed since (by its stable id): the old name says nothing of it any more.
    account: verdict.renamedTo ?? verdict.account,
    ...(verdict.userId === undefined ? {} : { userId: verdict.userId }),
    ...(verdict.seq >= 1 ? { recheckOf: verdict.seq } : {}),
    triggeredAt: verdict.triggeredAt,
    ...(verdict.leaving === undefined ? {} : { leaving: verdict.leaving }),
    ...(verdict.accountId === undefined ? {} : { accountId: verdict.accountId }),
    verdict: {
      wasGone,
      ...(verdict.nameGivenTo === undefined ? {} : { nameGivenTo: verdict.nameGivenTo }),
      ...(verdict.unchecked === true ? { unchecked: true as const } : {}),
    },
  };
}

/**
 * `open` with each re-check of a verdict that was set aside (no seq yet) naming the seq the journal gave
 * it: `recorded`, the set-aside entries this apply just wrote into the journal. The latest of an account's
 * checks there that found access left is the one the fold kept (set-aside entries fold last).
 */
export function numberSetAside(
  open: ReadonlyMap<string, OpenRecheck>,
  recorded: readonly JournalEntry[],
): ReadonlyMap<string, OpenRecheck> {
  const seqs = new Map<string, number>();
  for (const e of recorded)
    if (e.type === "offboard-verified") {
      const key = `${e.provider}\n${e.account}`;
      if (e.clean) seqs.delete(key);
      else seqs.set(key, e.seq);
    } else if (e.type === "change") {
      // An unchecked verdict: its run's disable or delete of the account, not checked after it.
      const taken = leaverAccountTaken(e);
      if (taken !== undefined) seqs.set(`${e.provider}\n${taken}`, e.seq);
    }
  if (seqs.size === 0) return open;
  return new Map(
    [...open].map(([name, o]) => [
      name,
      {
        ...o,
        leavers: o.leavers.map((l) => {
          const seq = l.recheckOf === undefined ? seqs.get(`${l.provider}\n${l.account}`) : undefined;
          return seq === undefined ? l : { ...l, recheckOf: seq };
        }),
      },
    ]),
  );
}

/** Notes per system before the rest are summed up in one. */
const MAX_NOTES = 20;

/**
 * The plan's notes of one system's open verdicts: one per account, at most MAX_NOTES and a count.
 * `isUnconfigured`: gatehouse.yaml no longer has the system, so nothing checks them.
 */
export function openVerdictNotes(
  provider: string,
  open: readonly OpenVerdictNow[],
  isUnconfigured = false,
): PlanNote[] {
  const notes = open.slice(0, MAX_NOTES).map((v): PlanNote => ({
    provider,
    kind: "access-left",
    message: isUnconfigured ? describeUnconfigured(v) : describeOpenVerdict(v),
  }));
  const more = open.length - notes.length;
  if (more > 0)
    notes.push({
      provider,
      kind: "access-left",
      message: isUnconfigured
        ? `and ${String(more)} more leaver account(s) of ${provider}, which gatehouse.yaml no longer has, whose offboarding check found access left (gatehouse journal changes lists them); nothing checks them again`
        : `and ${String(more)} more leaver account(s) whose offboarding check found access left (gatehouse journal changes lists them); the next apply checks them again`,
    });
  return notes;
}

/** "2026-11-27T16:36Z": the minute of an ISO instant. */
function minuteOf(at: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(at) ? `${at.slice(0, 16)}Z` : at;
}

/**
 * "offboarding of dmitri (ldap) left access outside what gatehouse reads at 2026-11-27T16:36Z (journal
 * #812): groups cn=vpn,ou=legacy,…; remove it there; the next apply checks again".
 */
export function describeOpenVerdict(v: OpenVerdictNow): string {
  if (v.unchecked === true)
    return `offboarding of ${whoOf(v)} at ${minuteOf(v.at)} (${entryOf(v)}) was never checked: its run ended before its check; the next apply checks it`;
  const outside = [
    ...((v.groupsOutside ?? []).length > 0
      ? [`groups outside the scope it reads: ${(v.groupsOutside ?? []).join(", ")}`]
      : []),
    ...((v.unreadMemberships ?? []).length > 0
      ? [
          `member values it does not manage: ${(v.unreadMemberships ?? []).map((m) => `${m.attribute}${m.value === undefined ? "" : `: ${m.value}`} in ${m.group}`).join(", ")}`,
        ]
      : []),
    ...(v.elsewhere === undefined ? [] : [`an account of that name at ${v.elsewhere}`]),
  ];
  const managed = [
    ...(v.accountState === "enabled" || v.accountState === "pending" ? [`account ${v.accountState}`] : []),
    ...((v.groups ?? []).length > 0 ? [`still in ${(v.groups ?? []).join(", ")}`] : []),
    ...(v.sessions?.outcome === "left" ? ["sessions or tokens still open"] : []),
    ...(v.error === undefined ? [] : [`not verified: ${v.error}`]),
  ];
  const who = whoOf(v);
  const where = outside.length > 0 && managed.length === 0 ? " outside what gatehouse reads" : "";
  const found =
    ([...outside, ...managed].join("; ") || "access left") +
    (v.nameGivenTo === undefined
      ? ""
      : `; the files give the account name ${v.account} to ${v.nameGivenTo} now, who is no leaver: the name changed hands, what the leaver kept did not go with it`);
  // What no apply can settle (the account not found, the name someone else's now) is closed by hand.
  const byHand = v.error !== undefined || v.nameGivenTo !== undefined;
  const advice =
    (outside.length > 0 ? "remove it there; the next apply checks again" : "the next apply checks again") +
    (byHand ? `; once checked by hand, ${closeCommand(v)} closes it` : "");
  return `offboarding of ${who} left access${where} at ${minuteOf(v.at)} (${entryOf(v)}): ${found}; ${advice}`;
}

/** "ben2 (ldap, ben; renamed since to ben3)": the account, its system, the person, its name now. */
function whoOf(v: OpenVerdict): string {
  const person = v.userId === undefined || v.userId === v.account ? "" : `, ${v.userId}`;
  const renamed = v.renamedTo === undefined ? "" : `; renamed since to ${v.renamedTo}`;
  return `${v.account} (${v.provider}${person}${renamed})`;
}

/** Where the verdict is recorded: "journal #812", or beside the journal (set aside, no seq yet). */
function entryOf(v: OpenVerdict): string {
  return v.seq >= 1 ? `journal #${String(v.seq)}` : "set aside beside the journal";
}

/** The command that closes the verdict by hand, with a placeholder reason. */
function closeCommand(v: OpenVerdict): string {
  return `\`gatehouse journal close-verdict --provider ${v.provider} --account ${v.account} --reason TEXT\``;
}

/**
 * "offboarding of dmitri (ldap) left access at 2026-11-27T16:36Z (journal #812), and gatehouse.yaml no
 * longer has ldap: nothing checks it again; …": a verdict of a system no longer configured.
 */
export function describeUnconfigured(v: OpenVerdict): string {
  return `offboarding of ${whoOf(v)} left access at ${minuteOf(v.at)} (${entryOf(v)}), and gatehouse.yaml no longer has ${v.provider}: no apply checks it again; check by hand, then ${closeCommand(v)} closes it`;
}
