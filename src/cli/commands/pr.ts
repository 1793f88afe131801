import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, GatehouseError, ProviderError, redactKnownSecrets, UsageError } from "../../errors.ts";
import { closeProviders } from "../../engine/prepare-plan.ts";
import { planOrReuse } from "../../engine/plan-memo.ts";
import { readSavedPlan } from "../../engine/saved-plan.ts";
import type { Plan } from "../../plan/types.ts";
import { renderMarkdown } from "../../render/markdown.ts";
import { resolvePrContext, type PrContext, type PrFlags } from "../../pr/actions-context.ts";
import { createPrClient, type PrClient } from "../../pr/github.ts";
import { describeGate, renderGateMarkdown } from "../../pr/render-gate.ts";
import { checkApprovals, type PinsSource } from "../../pr/run-check.ts";
import { composePlanComment, upsertStickyComment } from "../../pr/sticky-comment.ts";
import { choiceOpt, COMMON_OPTIONS, flag, parseCommandArgs, stringOpt, type Parsed } from "../args.ts";
import type { CliIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { DEFAULT_IDS_FILE } from "../../providers/github/settings.ts";

export const PR_USAGE = `Usage: gatehouse pr comment [--plan plan.json] [--artifact NAME] [common options]
       gatehouse pr check [--base REV] [--head REV] [--head-sha SHA] [--ids-file FILE]
                          [--report check-run|status|none] [--name gatehouse/approvals] [common options]

comment  posts the plan as one sticky comment on the pull request (edited in place on every push) and
         appends the full plan to the job summary. Without --plan it computes the plan (reads live systems).
check    the approval gate: which groups the pull request changes, whose approval each needs (owners on
         the base branch; admins for gatehouse.yaml, schemas/ and .github/), and whether the reviews on the
         head commit satisfy it. Reports a check run (or commit status). Exit 0 approved, 1 not approved.

Common options: --dir access, --repo OWNER/NAME (GITHUB_REPOSITORY), --pr N (from GITHUB_EVENT_PATH),
--token-env GITHUB_TOKEN (the variable holding the token), --api-url URL (GITHUB_API_URL).`;

const PR_OPTIONS = {
  ...COMMON_OPTIONS,
  repo: { type: "string" },
  pr: { type: "string" },
  "token-env": { type: "string" },
  "api-url": { type: "string" },
  plan: { type: "string" },
  artifact: { type: "string" },
  base: { type: "string" },
  head: { type: "string" },
  "head-sha": { type: "string" },
  "ids-file": { type: "string" },
  report: { type: "string" },
  name: { type: "string" },
} as const;

async function readEvent(io: CliIo): Promise<unknown> {
  const file = io.env["GITHUB_EVENT_PATH"];
  if (!file) return undefined;
  try {
    return JSON.parse(await readFile(path.resolve(io.cwd, file), "utf8"));
  } catch {
    return undefined; // no usable event: --pr is then required
  }
}

async function contextOf(args: Parsed, io: CliIo): Promise<{ ctx: PrContext; client: PrClient }> {
  const repo = stringOpt(args, "repo");
  const pr = stringOpt(args, "pr");
  const tokenEnv = stringOpt(args, "token-env");
  const apiUrl = stringOpt(args, "api-url");
  const flags: PrFlags = {
    ...(repo === undefined ? {} : { repo }),
    ...(pr === undefined ? {} : { pr }),
    ...(tokenEnv === undefined ? {} : { tokenEnv }),
    ...(apiUrl === undefined ? {} : { apiUrl }),
  };
  const ctx = resolvePrContext(flags, io.env, flags.pr === undefined ? await readEvent(io) : undefined);
  const client = createPrClient({
    baseUrl: ctx.apiUrl,
    token: ctx.token,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    log: (line) => {
      io.stderr(line + "\n");
    },
  });
  return { ctx, client };
}

async function appendSummary(io: CliIo, ctx: PrContext, markdown: string): Promise<void> {
  // The job summary is shown to everyone who can read the run: no credential gatehouse read.
  if (ctx.stepSummary)
    await appendFile(path.resolve(io.cwd, ctx.stepSummary), redactKnownSecrets(markdown) + "\n");
}

async function loadPlan(args: Parsed, io: CliIo): Promise<Plan> {
  const saved = stringOpt(args, "plan");
  if (saved !== undefined) return readSavedPlan(path.resolve(io.cwd, saved));
  const prepared = await planOrReuse(engineOptions(io, stringOpt(args, "dir"), [], undefined));
  await closeProviders(prepared.providers);
  return prepared.plan;
}

async function runComment(args: Parsed, io: CliIo): Promise<number> {
  const { ctx, client } = await contextOf(args, io);
  const plan = await loadPlan(args, io);
  const artifact = stringOpt(args, "artifact") ?? "gatehouse-plan";
  const where = ctx.runUrl ? `the [job summary](${ctx.runUrl})` : "the job summary";
  const hint = `The full plan is in ${where} and in the workflow artifact \`${artifact}\`.`;
  await appendSummary(io, ctx, renderMarkdown(plan, { limit: 1_000_000, fullPlanHint: hint }));
  const result = await upsertStickyComment(
    client,
    ctx.repo,
    ctx.pull,
    composePlanComment(plan, { fullPlanHint: hint }),
  );
  io.stdout(
    `plan comment ${result.action} (id ${String(result.commentId)}) on ${ctx.repo.owner}/${ctx.repo.repo}#${String(ctx.pull)}\n`,
  );
  return ExitCode.ok;
}

/** What to do about reviewers the pin file does not hold, by where it was read (run-check.ts readPins). */
function unpinnedAdvice(from: PinsSource | undefined, pinsFile: string): string {
  if (from === "base") return `Commit the pin file (${pinsFile}) to pin them.`;
  if (from === "kept")
    return `The pin file ${pinsFile} (kept with the journal, not committed) pins a login when a github provider's read first sees it in the organization: the next apply pins those who are members.`;
  return (
    `There is no pin file ${pinsFile}, neither in the base commit nor kept on disk here: no reviewer is pinned. ` +
    `The shipped workflows keep .gatehouse/github-ids.json with the journal (scripts/journal-branch.sh restores it before pr check); ` +
    `or set the github provider's idsFile to a tracked path, commit that file, and pass it to pr check as --ids-file.`
  );
}

async function runCheck(args: Parsed, io: CliIo): Promise<number> {
  const { ctx, client } = await contextOf(args, io);
  const report = choiceOpt(args, "report", ["check-run", "status", "none"] as const, "check-run");
  const name = stringOpt(args, "name") ?? "gatehouse/approvals";
  const expect = stringOpt(args, "head-sha");
  if (expect !== undefined && !/^[0-9a-f]{40}$/.test(expect))
    throw new UsageError(`--head-sha must be a full commit id`);
  const base = stringOpt(args, "base");
  const head = stringOpt(args, "head");
  const pinsFile = stringOpt(args, "ids-file") ?? DEFAULT_IDS_FILE;
  const outcome = await checkApprovals({
    cwd: io.cwd,
    dir: stringOpt(args, "dir") ?? "access",
    now: io.now(),
    client,
    repo: ctx.repo,
    pull: ctx.pull,
    pinsFile,
    ...(base === undefined ? {} : { base }),
    ...(head === undefined ? {} : { head }),
    ...(expect === undefined ? {} : { expectHeadSha: expect }),
    log: (line) => {
      io.stderr(line + "\n");
    },
  });
  if (outcome.kind === "moved") {
    io.stdout(
      `the pull request's head is now ${outcome.headSha}, not ${expect ?? "?"}: a newer run judges it\n`,
    );
    return ExitCode.ok;
  }
  const extra = [
    ...outcome.problems.map((p) => `> ❌ ${p}`),
    ...(outcome.unpinned.length > 0
      ? [
          `> Not pinned (account id looked up now): ${outcome.unpinned.join(", ")}. ${unpinnedAdvice(outcome.pinsFrom, pinsFile)}`,
        ]
      : []),
  ];
  const markdown = renderGateMarkdown(outcome.gate) + (extra.length > 0 ? `\n${extra.join("\n")}\n` : "");
  const description = outcome.problems[0] ?? describeGate(outcome.gate);
  io.stdout(markdown);
  await appendSummary(io, ctx, markdown);
  const sha = outcome.gate.headSha;
  if (report === "status") {
    await client.createStatus(ctx.repo, sha, {
      state: outcome.isOk ? "success" : "failure",
      context: name,
      description: description.slice(0, 140),
      ...(ctx.runUrl ? { targetUrl: ctx.runUrl } : {}),
    });
  } else if (report === "check-run") {
    await client.createCheckRun(ctx.repo, sha, {
      name,
      conclusion: outcome.isOk ? "success" : "failure",
      title: description,
      summary: markdown,
      ...(ctx.runUrl ? { detailsUrl: ctx.runUrl } : {}),
    });
  }
  return outcome.isOk ? ExitCode.ok : ExitCode.error;
}

export async function runPr(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseCommandArgs(rest, PR_OPTIONS, PR_USAGE);
  if (sub === undefined || sub === "--help" || sub === "-h" || flag(args, "help")) {
    io.stdout(PR_USAGE + "\n");
    return sub === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (args.positionals.length > 0)
    throw new UsageError(`unexpected argument "${args.positionals[0] ?? ""}"\n\n${PR_USAGE}`);
  const run = sub === "comment" ? runComment : sub === "check" ? runCheck : undefined;
  if (run === undefined) throw new UsageError(`unknown pr command "${sub}"\n\n${PR_USAGE}`);
  try {
    return await run(args, io);
  } catch (error) {
    throw asGithubError(error, `pr ${sub}`);
  }
}

/**
 * A failure of a GitHub API call (a wrong pull request number, a token without access, an API that
 * cannot be reached) as a plain error with GitHub's status and message: it is not a bug in gatehouse.
 */
function asGithubError(error: unknown, operation: string): unknown {
  if (error instanceof GatehouseError || !(error instanceof Error)) return error;
  const status = "status" in error && typeof error.status === "number" ? error.status : undefined;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  const isNetwork = error.name === "HttpError" || error.message === "fetch failed";
  if (status === undefined && !isNetwork) return error;
  const hint =
    status === 401
      ? " (the token is wrong or expired)"
      : status === 403 || status === 404
        ? " (no such repository or pull request, or the token may not see it)"
        : "";
  const text = `${status === undefined ? "" : `HTTP ${String(status)}: `}${error.message}${cause === undefined ? "" : ` (${cause})`}${hint}`;
  return new ProviderError("github", operation, text, {
    ...(status === undefined ? {} : { status }),
    cause: error,
  });
}
