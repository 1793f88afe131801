/**
 * The only module of `pr` that talks HTTP: a narrow GitHub client for pull requests (reviews, files, comments,
 * commit statuses, check runs), built on Octokit with bounded retries and rate-limit handling.
 */
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { Review } from "./approvals.ts";
import { normalizeLogin } from "./identities.ts";

const PrOctokit = Octokit.plugin(throttling, retry);

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface PullInfo {
  readonly number: number;
  readonly author: { readonly login: string; readonly id: number };
  readonly headSha: string;
  readonly baseSha: string;
  readonly baseRef: string;
  readonly state: string;
}

/** A pull request as "pull requests associated with a commit" lists it. */
export interface CommitPull {
  readonly number: number;
  readonly url: string;
  readonly author: string;
  readonly headSha: string;
  /** Undefined while not merged. */
  readonly mergedAt?: string;
  readonly mergeCommitSha?: string;
}

export interface IssueComment {
  readonly id: number;
  readonly body: string;
  readonly login: string;
  readonly isBot: boolean;
}

export interface PrClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  readonly log?: (line: string) => void;
  readonly maxRetries?: number;
}

export interface PrClient {
  getPull(repo: RepoRef, number: number): Promise<PullInfo>;
  listFiles(repo: RepoRef, number: number): Promise<string[]>;
  listReviews(repo: RepoRef, number: number): Promise<Review[]>;
  /** Pull requests associated with a commit: merged ones that brought it to the default branch, open ones holding it. */
  pullsOfCommit(repo: RepoRef, sha: string): Promise<CommitPull[]>;
  listComments(repo: RepoRef, number: number): Promise<IssueComment[]>;
  createComment(repo: RepoRef, number: number, body: string): Promise<number>;
  updateComment(repo: RepoRef, id: number, body: string): Promise<void>;
  /** The token's own login, or undefined when the token may not ask (an Actions installation token). */
  viewerLogin(): Promise<string | undefined>;
  /**
   * A login's numeric account id as of now, or undefined when there is no such account. Asked of GitHub
   * once per client (one run): later calls for the login get the same answer.
   */
  accountId(login: string): Promise<number | undefined>;
  createStatus(repo: RepoRef, sha: string, status: CommitStatus): Promise<void>;
  createCheckRun(repo: RepoRef, sha: string, run: CheckRunReport): Promise<void>;
}

export interface CommitStatus {
  readonly state: "success" | "failure" | "pending" | "error";
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

export interface CheckRunReport {
  readonly name: string;
  readonly conclusion: "success" | "failure" | "neutral";
  readonly title: string;
  readonly summary: string;
  readonly detailsUrl?: string;
}

/** GitHub caps a check run's output.summary at 65,535 characters. */
const CHECK_SUMMARY_LIMIT = 65_000;

export function createPrClient(options: PrClientOptions): PrClient {
  const log = options.log ?? (() => undefined);
  const maxRetries = options.maxRetries ?? 3;
  const onLimit =
    (kind: string) => (retryAfter: number, _options: unknown, _octokit: unknown, count: number) => {
      const again = count < maxRetries && retryAfter <= 120;
      log(`github: ${kind}; ${again ? `retrying after ${String(retryAfter)}s` : "giving up"}`);
      return again;
    };
  const octokit = new PrOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: "gatehouse",
    // The retry plugin's own option, not `request.retries`: set there, it is read for every failure,
    // so a 404 (an unknown login) or a 401 was sent again three times at once, not only a 5xx.
    retry: { retries: maxRetries },
    request: options.fetch ? { fetch: options.fetch } : {},
    log: { debug: () => undefined, info: () => undefined, warn: log, error: log },
    throttle: { onRateLimit: onLimit("rate limit"), onSecondaryRateLimit: onLimit("secondary rate limit") },
  });

  // login (lower case) → its account id, or undefined for no account, as first asked in this run: the
  // same login comes up again for every commit an apply looks up, and the answer does not change.
  const accountIds = new Map<string, Promise<number | undefined>>();
  async function lookUpAccountId(login: string): Promise<number | undefined> {
    try {
      const { data } = await octokit.rest.users.getByUsername({ username: login });
      return data.id;
    } catch (error) {
      if (typeof error === "object" && error !== null && "status" in error && error.status === 404)
        return undefined;
      throw error;
    }
  }

  return {
    async getPull(repo, number) {
      const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: number });
      return {
        number: data.number,
        author: { login: data.user.login, id: data.user.id },
        headSha: data.head.sha,
        baseSha: data.base.sha,
        baseRef: data.base.ref,
        state: data.state,
      };
    },
    async listFiles(repo, number) {
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
        ...repo,
        pull_number: number,
        per_page: 100,
      });
      return files.flatMap((f) => [
        f.filename,
        ...(f.previous_filename === undefined ? [] : [f.previous_filename]),
      ]);
    },
    async listReviews(repo, number) {
      const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
        ...repo,
        pull_number: number,
        per_page: 100,
      });
      return reviews.flatMap((r) =>
        r.user === null || r.commit_id === null
          ? []
          : [
              {
                id: r.id,
                login: r.user.login,
                userId: r.user.id,
                state: r.state,
                commitId: r.commit_id,
                ...(r.submitted_at === undefined ? {} : { submittedAt: r.submitted_at }),
              },
            ],
      );
    },
    async pullsOfCommit(repo, sha) {
      const pulls = await octokit.paginate(octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
        ...repo,
        commit_sha: sha,
        per_page: 100,
      });
      return pulls.map((p) => ({
        number: p.number,
        url: p.html_url,
        author: p.user?.login ?? "",
        headSha: p.head.sha,
        ...(p.merged_at ? { mergedAt: p.merged_at } : {}),
        ...(p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
      }));
    },
    async listComments(repo, number) {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        ...repo,
        issue_number: number,
        per_page: 100,
      });
      return comments.map((c) => ({
        id: c.id,
        body: c.body ?? "",
        login: c.user?.login ?? "",
        isBot: c.user?.type === "Bot",
      }));
    },
    async createComment(repo, number, body) {
      const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: number, body });
      return data.id;
    },
    async updateComment(repo, id, body) {
      await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
    },
    async viewerLogin() {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch {
        return undefined; // installation tokens get 403 here; callers fall back to bot authorship
      }
    },
    accountId(login) {
      const key = normalizeLogin(login);
      let answer = accountIds.get(key);
      if (answer === undefined) {
        answer = lookUpAccountId(login);
        // A failure (not a 404) is not an answer: a later call asks again.
        void answer.catch(() => accountIds.delete(key));
        accountIds.set(key, answer);
      }
      return answer;
    },
    async createStatus(repo, sha, status) {
      await octokit.rest.repos.createCommitStatus({
        ...repo,
        sha,
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      });
    },
    async createCheckRun(repo, sha, run) {
      const summary =
        run.summary.length <= CHECK_SUMMARY_LIMIT
          ? run.summary
          : `${run.summary.slice(0, CHECK_SUMMARY_LIMIT)}\n\n(cut: see the job summary for the rest)`;
      await octokit.rest.checks.create({
        ...repo,
        name: run.name,
        head_sha: sha,
        status: "completed",
        conclusion: run.conclusion,
        output: { title: run.title, summary },
        ...(run.detailsUrl === undefined ? {} : { details_url: run.detailsUrl }),
      });
    },
  };
}
