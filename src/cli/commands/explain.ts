import { jsonForTerminal } from "../../render/terminal-text.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { journalPathOf, loadValidModel } from "../../engine/prepare-plan.ts";
import { computeEffectiveMemberships, describeProvenance, provenanceOf } from "../../desired/effective.ts";
import { accountNameFor, groupIsInProvider, lifecycleOf } from "../../desired/desired-state.ts";
import { afterDay, hasNotStarted, isTerminated } from "../../lifecycle/status.ts";
import { formatLocation, type SourceLocation } from "../../model/source.ts";
import type { Group, User } from "../../model/access.ts";
import type { Provenance } from "../../model/state.ts";
import { choiceOpt, COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import type { EngineOptions } from "../../engine/prepare-plan.ts";
import { accessFilesAt, FilesAtError, type FilesAtCommit } from "../../audit/files-at.ts";
import { looksLikeDate, parseAt } from "../instant.ts";
import { adoptedHoldingsOf, type AdoptedHolding } from "../../audit/adopted-holdings.ts";
import { suggest } from "../../validate/rules/report.ts";

export const EXPLAIN_USAGE = `Usage: gatehouse explain <user> [<group>] [--dir access] [--at DATE|REVISION] [--format text|json]

Why a user has (or will have, once applied) each membership: the file line that lists them, the
role rule that matched which attribute, or the nested group it comes through. Reads no live system;
from the journal, it names the memberships they held before gatehouse managed the group (adopted)
that no change of gatehouse took away since.
--at answers from the access files as git history has them: at a day or instant (the last commit on
the current branch's first-parent line by then, its rules applied at that instant), or at a commit,
tag or branch (applied at its commit time).`;

/** One group in `explain --format json`. */
interface ExplainedGroup {
  readonly group: string;
  readonly providers: readonly string[];
  /** Whether the files give it now (false for a leaver, a future starter or an expired grant). */
  readonly held: boolean;
  readonly notHeld?: string;
  /** How it is given, one line each, and the same as data. */
  readonly why: readonly string[];
  readonly provenance: readonly Provenance[];
  readonly expiredGrant?: { readonly until: string; readonly source: SourceLocation };
  /** The group's access review under way, when it has not re-certified this person's line yet. */
  readonly pendingReview?: { readonly due: string; readonly source: SourceLocation };
  /** Systems where the journal has them holding it since before gatehouse (adopted), still. */
  readonly heldBeforeGatehouse?: readonly HeldBefore[];
}

/** A membership held since before gatehouse, as explain shows it (AdoptedHolding without the account). */
type HeldBefore = Omit<AdoptedHolding, "account" | "group">;

const heldBeforeOf = (h: AdoptedHolding): HeldBefore => ({
  provider: h.provider,
  at: h.at,
  seq: h.seq,
  runSeq: h.runSeq,
  ...(h.late === true ? { late: true as const } : {}),
});

/** "held in app since before gatehouse: …": what the journal says of an adopted membership. */
function heldBeforeText(h: AdoptedHolding): string {
  const found = `found there by the run that took the group on (run #${String(h.runSeq)} at ${h.at}, journal #${String(h.seq)})`;
  return h.late === true
    ? `held in ${h.provider} since before ${h.at}, not added by gatehouse: ${found}; an older gatehouse managed the group before; \`gatehouse journal access ${h.group}\` tells more`
    : `held in ${h.provider} since before gatehouse: ${found}; \`gatehouse journal access ${h.group}\` tells more`;
}

export async function runExplain(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, format: { type: "string" }, at: { type: "string" } },
    EXPLAIN_USAGE,
  );
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  if (flag(args, "help")) {
    io.stdout(EXPLAIN_USAGE + "\n");
    return ExitCode.ok;
  }
  const [userId, groupName] = args.positionals;
  if (userId === undefined || args.positionals.length > 2) throw new UsageError(EXPLAIN_USAGE);
  const atText = stringOpt(args, "at");
  const given = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  const past = atText === undefined ? undefined : await filesAt(given, atText, io);
  try {
    return await explain(
      past?.options ?? given,
      userId,
      groupName,
      format,
      io,
      past?.files,
      journalPathOf(given),
    );
  } finally {
    await past?.files.dispose();
  }
}

/** The access files of `--at`, and the options that read them (as of that instant, from no cache). */
async function filesAt(
  given: EngineOptions,
  atText: string,
  io: CommandIo,
): Promise<{ options: EngineOptions; files: FilesAtCommit }> {
  const query = looksLikeDate(atText) ? { before: parseAt(atText) } : { revision: atText };
  try {
    const files = await accessFilesAt(given.cwd, given.dir, query);
    if (files.datesOutOfOrder !== undefined)
      io.stderr(
        `warning: the commit dates on this branch are not in order: ${files.datesOutOfOrder.commit.slice(0, 12)}, older in history than ${files.commit.slice(0, 12)}, is dated ${files.datesOutOfOrder.committedAt} (a rebase or cherry-pick that kept old dates, or a wrong clock): the files found for ${atText} may not be the ones that held then; name a commit instead (--at REVISION)\n`,
      );
    const now = "before" in query ? query.before : new Date(files.committedAt);
    return { options: { ...given, cwd: files.cwd, dir: files.dir, now, cacheDir: false }, files };
  } catch (error) {
    if (error instanceof FilesAtError) throw new UsageError(`--at ${atText}: ${error.message}`);
    throw error;
  }
}

async function explain(
  options: EngineOptions,
  userId: string,
  groupName: string | undefined,
  format: "text" | "json",
  io: CommandIo,
  past: FilesAtCommit | undefined,
  journalPath: string,
): Promise<number> {
  // A grant's length is checked against the instant asked about: files merged later than it (or a
  // grant shortened later) would fail GH221 there, though they say plainly what they give.
  const { model } = await loadValidModel(options, past === undefined ? new Set() : new Set(["GH221"]), false);
  const user = model.users.get(userId);
  const where = `${options.dir}/${past === undefined ? "" : ` at commit ${past.commit.slice(0, 12)}`}`;
  if (!user) throw new UsageError(`no user "${userId}" in ${where}.${suggest(userId, model.users.keys())}`);
  if (groupName !== undefined && !model.groups.has(groupName))
    throw new UsageError(`no group "${groupName}" in ${where}.${suggest(groupName, model.groups.keys())}`);
  const effective = computeEffectiveMemberships(model, options.now);
  const out: string[] = [
    ...(past === undefined
      ? []
      : [
          `as of ${options.now.toISOString()}: the access files of commit ${past.commit.slice(0, 12)} (${past.committedAt}, "${past.subject}")`,
        ]),
    `${user.id} (${user.name}), ${standing(user, options.now)}, defined at ${formatLocation(user.source)}`,
  ];
  if (isTerminated(user, options.now))
    out.push("  terminated: the account is disabled and every membership removed in every system");
  if (hasNotStarted(user, options.now))
    out.push(`  starts on ${user.startDate ?? "?"}: no access before then`);
  if (user.status === "leave" && !isTerminated(user, options.now))
    out.push(
      model.config.policy.leave === "disable"
        ? "  on leave: accounts are disabled (policy.leave: disable); memberships are kept for the return"
        : "  on leave: accounts and memberships stay as they are (policy.leave: keep)",
    );
  const accounts = new Map(model.config.providers.map((p) => [p.name, accountNameFor(user, p) ?? null]));
  out.push(`  accounts: ${[...accounts].map(([p, account]) => `${p}=${account ?? "(none)"}`).join(", ")}`);
  // Memberships the journal has them holding since before gatehouse managed the group (adopted).
  const named = new Map<string, string>();
  for (const [p, account] of accounts) if (account !== null) named.set(p, account);
  const adopted = (await adoptedHoldingsOf(journalPath, named, options.now)).filter(
    (h) => groupName === undefined || h.group === groupName,
  );
  // What the files list is not held while the person stands outside it, as the plan has it (desired-state.ts).
  const stands = lifecycleOf(user, options.now);
  const notHeldWhy =
    stands === "terminated"
      ? "terminated"
      : stands === "not-started"
        ? `from ${user.startDate ?? "?"} (startDate)`
        : undefined;
  const notHeld =
    notHeldWhy === undefined ? "" : `  not held${stands === "not-started" ? " yet" : ""}: ${notHeldWhy}`;
  const groups: ExplainedGroup[] = [];
  for (const [name, group] of [...effective].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (groupName !== undefined && name !== groupName) continue;
    const provenance = group.members.has(user.id)
      ? provenanceOf(model, name, [user.id], options.now).get(user.id)
      : undefined;
    const expired = group.expired.get(user.id);
    if (!provenance && !expired) continue;
    const def = model.groups.get(name);
    const systems = model.config.providers.filter((p) => def && groupIsInProvider(def, p)).map((p) => p.name);
    const why = (provenance ?? []).map(describeProvenance);
    const review = pendingReviewOf(def, user.id);
    const before = adopted.filter((h) => h.group === name && systems.includes(h.provider));
    groups.push({
      group: name,
      providers: systems,
      held: provenance !== undefined && notHeldWhy === undefined,
      ...(provenance !== undefined && notHeldWhy !== undefined ? { notHeld: notHeldWhy } : {}),
      why,
      provenance: provenance ?? [],
      ...(expired ? { expiredGrant: { until: expired.until, source: expired.source } } : {}),
      ...(review === undefined ? {} : { pendingReview: review }),
      ...(before.length === 0 ? {} : { heldBeforeGatehouse: before.map(heldBeforeOf) }),
    });
    out.push(`  ${name}  [${systems.join(", ") || "no provider"}]${provenance ? notHeld : ""}`);
    for (const line of why) out.push(`    ${line}`);
    if (review !== undefined) out.push(`    ${pendingReviewText(review, options.now)}`);
    for (const h of before) out.push(`    ${heldBeforeText(h)}`);
    if (expired)
      out.push(
        `    expired grant (until ${expired.until}) at ${formatLocation(expired.source)}: no longer due (the files no longer give it); the next apply removes it where a system still holds it`,
      );
  }
  // Held since before gatehouse where the files do not give it (additive mode keeps it; authoritative
  // removes it, and the journal then no longer lists it here).
  const listed = new Set(groups.flatMap((g) => g.providers.map((p) => `${p}\n${g.group}`)));
  const notGiven = adopted.filter((h) => !listed.has(`${h.provider}\n${h.group}`));
  for (const h of notGiven)
    out.push(`  ${h.group}  [${h.provider}]  not given by the access files`, `    ${heldBeforeText(h)}`);
  if (groups.length === 0 && notGiven.length === 0)
    out.push(
      groupName === undefined
        ? "  no memberships"
        : `  not a member of ${groupName}, by any line, role or nesting`,
    );
  if (format === "json") {
    io.stdout(
      jsonForTerminal(
        JSON.stringify(
          {
            formatVersion: 1,
            ...(past === undefined
              ? {}
              : {
                  asOf: {
                    at: options.now.toISOString(),
                    commit: past.commit,
                    committedAt: past.committedAt,
                    subject: past.subject,
                  },
                }),
            user: user.id,
            name: user.name,
            standing: standing(user, options.now),
            source: user.source,
            accounts: Object.fromEntries(accounts),
            groups,
            ...(notGiven.length === 0
              ? {}
              : {
                  heldBeforeGatehouse: notGiven.map((h) => ({ group: h.group, ...heldBeforeOf(h) })),
                }),
          },
          null,
          2,
        ) + "\n",
      ),
    );
    return ExitCode.ok;
  }
  io.stdout(out.join("\n") + "\n");
  return ExitCode.ok;
}

/** The review of `group` under way, with the place of `userId` in its pending list, when they are in it. */
function pendingReviewOf(
  group: Group | undefined,
  userId: string,
): { readonly due: string; readonly source: SourceLocation } | undefined {
  const review = group?.review;
  const i = review?.pending.indexOf(userId) ?? -1;
  if (review === undefined || i < 0) return undefined;
  return { due: review.due, source: review.pendingSources?.[i] ?? review.source };
}

function pendingReviewText(
  review: { readonly due: string; readonly source: SourceLocation },
  now: Date,
): string {
  const where = `${review.due} (${formatLocation(review.source)})`;
  return now.getTime() >= afterDay(review.due)
    ? `pending re-certification in the access review due ${where}, which is over: \`review close\` revokes the line`
    : `pending re-certification in the access review due ${where}: its owners have not kept the line yet; \`review close\` revokes it if they have not by then`;
}

/** The status a person has today: `status` as written, unless an end date has passed. */
function standing(user: User, now: Date): string {
  if (user.status !== "terminated" && isTerminated(user, now))
    return `terminated (endDate ${user.endDate ?? "?"} has passed; status: ${user.status})`;
  return user.status;
}
