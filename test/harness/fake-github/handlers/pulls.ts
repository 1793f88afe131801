/** Pull requests as access requests: the PR, its files and reviews, comments, commit statuses, check runs. */
import type { Reply, RequestContext } from "../http.ts";
import type { Route } from "../router.ts";
import type { FakePull, FakeRepo, FakeStatus } from "../state.ts";
import { field, notFound, ok, stringField, validationFailed } from "../http.ts";
import { paginate } from "../pagination.ts";
import { route } from "../router.ts";
import { checkRun, commitStatus, diffEntry, issueComment, pullRequest, review } from "../wire-pulls.ts";

function repoFor(ctx: RequestContext): FakeRepo | undefined {
  return ctx.state.repos.get(`${ctx.params["owner"] ?? ""}/${ctx.params["repo"] ?? ""}`.toLowerCase());
}

function pullFor(ctx: RequestContext): { repo: FakeRepo; pull: FakePull } | Reply {
  const repo = repoFor(ctx);
  const pull = repo?.pulls.get(Number(ctx.params["pull_number"]));
  return repo && pull ? { repo, pull } : notFound();
}

const isReply = (v: { repo: FakeRepo; pull: FakePull } | Reply): v is Reply => "status" in v;

/** GitHub refuses issue comment bodies longer than this (characters). */
const COMMENT_BODY_LIMIT = 65_536;

function bodyTooLong(body: string): Reply | undefined {
  if (body.length <= COMMENT_BODY_LIMIT) return undefined;
  return validationFailed("Validation Failed", [
    {
      resource: "IssueComment",
      field: "data",
      code: "unprocessable",
      message: `Body is too long (maximum is ${String(COMMENT_BODY_LIMIT)} characters)`,
    },
  ]);
}

const STATUS_STATES: readonly FakeStatus["state"][] = ["error", "failure", "pending", "success"];
const CHECK_STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const CONCLUSIONS = [
  "action_required",
  "cancelled",
  "failure",
  "neutral",
  "success",
  "skipped",
  "stale",
  "timed_out",
];

export const pullRoutes: readonly Route[] = [
  // Merged pull requests that brought the commit to the base branch, and open ones whose head it is.
  route("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", (ctx) => {
    const repo = repoFor(ctx);
    if (!repo) return notFound();
    const sha = ctx.params["commit_sha"] ?? "";
    if (!repo.commits.has(sha)) return validationFailed(`No commit found for SHA: ${sha}`);
    const pulls = [...repo.pulls.values()].filter(
      (p) => p.mergeCommitSha === sha || (p.state === "open" && p.headSha === sha),
    );
    return paginate(
      ctx,
      pulls.map((p) => pullRequest(ctx.api, ctx.state, repo, p)),
    );
  }),
  route("GET /repos/{owner}/{repo}/pulls/{pull_number}", (ctx) => {
    const found = pullFor(ctx);
    return isReply(found) ? found : ok(pullRequest(ctx.api, ctx.state, found.repo, found.pull));
  }),
  route("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", (ctx) => {
    const found = pullFor(ctx);
    if (isReply(found)) return found;
    return paginate(
      ctx,
      found.pull.files.map((f) => diffEntry(ctx.api, found.repo, found.pull, f)),
    );
  }),
  route("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", (ctx) => {
    const found = pullFor(ctx);
    if (isReply(found)) return found;
    return paginate(
      ctx,
      found.pull.reviews.map((r) => review(ctx.api, ctx.state, found.repo, found.pull, r)),
    );
  }),
  route("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", (ctx) => {
    const repo = repoFor(ctx);
    const issue = Number(ctx.params["issue_number"]);
    if (!repo?.pulls.has(issue)) return notFound();
    const comments = repo.comments.get(issue) ?? [];
    return paginate(
      ctx,
      comments.map((c) => issueComment(ctx.api, ctx.state, repo, issue, c)),
    );
  }),
  route("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", (ctx) => {
    const repo = repoFor(ctx);
    const issue = Number(ctx.params["issue_number"]);
    if (!repo?.pulls.has(issue)) return notFound();
    const body = stringField(ctx.body, "body");
    if (body === undefined)
      return validationFailed("Validation Failed", [
        { resource: "IssueComment", field: "body", code: "missing_field" },
      ]);
    const tooLong = bodyTooLong(body);
    if (tooLong) return tooLong;
    const now = ctx.state.now();
    const comment = { id: ctx.state.newId(), body, userId: ctx.viewer.id, createdAt: now, updatedAt: now };
    repo.comments.set(issue, [...(repo.comments.get(issue) ?? []), comment]);
    return ok(issueComment(ctx.api, ctx.state, repo, issue, comment), 201);
  }),
  route("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", (ctx) => {
    const repo = repoFor(ctx);
    const id = Number(ctx.params["comment_id"]);
    if (!repo) return notFound();
    for (const [issue, comments] of repo.comments) {
      const comment = comments.find((c) => c.id === id);
      if (!comment) continue;
      const body = stringField(ctx.body, "body");
      if (body === undefined)
        return validationFailed("Validation Failed", [
          { resource: "IssueComment", field: "body", code: "missing_field" },
        ]);
      const tooLong = bodyTooLong(body);
      if (tooLong) return tooLong;
      comment.body = body;
      comment.updatedAt = ctx.state.now();
      return ok(issueComment(ctx.api, ctx.state, repo, issue, comment));
    }
    return notFound();
  }),
  route("POST /repos/{owner}/{repo}/statuses/{sha}", (ctx) => {
    const repo = repoFor(ctx);
    if (!repo) return notFound();
    const state = STATUS_STATES.find((s) => s === field(ctx.body, "state"));
    if (!state)
      return validationFailed("Validation Failed", [{ resource: "Status", field: "state", code: "invalid" }]);
    const status: FakeStatus = {
      id: ctx.state.newId(),
      sha: ctx.params["sha"] ?? "",
      state,
      context: stringField(ctx.body, "context") ?? "default",
      description: stringField(ctx.body, "description") ?? null,
      targetUrl: stringField(ctx.body, "target_url") ?? null,
      creatorId: ctx.viewer.id,
      createdAt: ctx.state.now(),
    };
    repo.statuses.push(status);
    return ok(commitStatus(ctx.api, ctx.state, repo, status), 201);
  }),
  route("POST /repos/{owner}/{repo}/check-runs", (ctx) => {
    const repo = repoFor(ctx);
    if (!repo) return notFound();
    const name = stringField(ctx.body, "name");
    const headSha = stringField(ctx.body, "head_sha");
    if (name === undefined || headSha === undefined) {
      return validationFailed("Validation Failed", [
        { resource: "CheckRun", field: name === undefined ? "name" : "head_sha", code: "missing_field" },
      ]);
    }
    const status = stringField(ctx.body, "status") ?? "queued";
    const conclusion = stringField(ctx.body, "conclusion") ?? null;
    if (!CHECK_STATUSES.includes(status) || (conclusion !== null && !CONCLUSIONS.includes(conclusion))) {
      return validationFailed("Validation Failed", [
        { resource: "CheckRun", field: "status", code: "invalid" },
      ]);
    }
    const output = field(ctx.body, "output");
    const run = {
      id: ctx.state.newId(),
      name,
      headSha,
      status: conclusion === null ? status : "completed",
      conclusion,
      title: stringField(output, "title") ?? null,
      summary: stringField(output, "summary") ?? null,
      createdAt: ctx.state.now(),
    };
    repo.checkRuns.push(run);
    return ok(checkRun(ctx.api, repo, run), 201);
  }),
];
