/**
 * Where a pull request command runs: repository, pull request number, token, API root and job summary, from
 * flags first and then the standard GitHub Actions environment. The caller passes the environment in.
 */
import { registerSecret, UsageError } from "../errors.ts";
import type { RepoRef } from "./github.ts";
import { isLoopback } from "../providers/loopback.ts";

export interface PrFlags {
  readonly repo?: string;
  readonly pr?: string;
  readonly tokenEnv?: string;
  readonly apiUrl?: string;
}

export interface PrContext {
  readonly repo: RepoRef;
  readonly pull: number;
  readonly token: string;
  readonly apiUrl: string;
  /** $GITHUB_STEP_SUMMARY: a file the job summary is appended to. */
  readonly stepSummary?: string;
  /** This workflow run's page, for links. */
  readonly runUrl?: string;
}

const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

export function parseRepo(text: string): RepoRef {
  const m = REPO.exec(text);
  if (!m?.[1] || !m[2]) throw new UsageError(`--repo must be OWNER/NAME (got "${text}")`);
  return { owner: m[1], repo: m[2] };
}

function parsePull(text: string, where: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text))
    throw new UsageError(`${where} must be a pull request number (got "${text}")`);
  return Number(text);
}

/** The pull request number in an event payload (pull_request, pull_request_review, issue_comment on a PR). */
export function pullNumberFromEvent(event: unknown): number | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  for (const key of ["pull_request", "issue"]) {
    const v: unknown = Reflect.get(event, key);
    if (typeof v === "object" && v !== null) {
      const n: unknown = Reflect.get(v, "number");
      if (typeof n === "number" && Number.isSafeInteger(n) && n > 0) return n;
    }
  }
  const n: unknown = Reflect.get(event, "number");
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Where a command that talks to the repository's GitHub runs: all of PrContext but the pull request. */
export type RepoContext = Omit<PrContext, "pull">;

export function resolvePrContext(
  flags: PrFlags,
  env: Readonly<Record<string, string | undefined>>,
  event: unknown,
): PrContext {
  const pull = flags.pr !== undefined ? parsePull(flags.pr, "--pr") : pullNumberFromEvent(event);
  const context = resolveRepoContext(flags, env);
  if (pull === undefined)
    throw new UsageError("no pull request: pass --pr NUMBER (or run on a pull_request event)");
  return { ...context, pull };
}

/** Repository, token and API root from flags, then the GitHub Actions environment. */
export function resolveRepoContext(
  flags: Omit<PrFlags, "pr">,
  env: Readonly<Record<string, string | undefined>>,
): RepoContext {
  const repoText = flags.repo ?? env["GITHUB_REPOSITORY"];
  if (repoText === undefined)
    throw new UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY");
  const repo = parseRepo(repoText);
  const tokenEnv = flags.tokenEnv ?? "GITHUB_TOKEN";
  const token = env[tokenEnv];
  if (token === undefined || token === "")
    throw new UsageError(`no token: the environment variable ${tokenEnv} is empty (see --token-env)`);
  registerSecret(token);
  const apiUrl = (flags.apiUrl ?? env["GITHUB_API_URL"] ?? "https://api.github.com").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(apiUrl))
    throw new UsageError(`--api-url must be an http(s) URL (got "${apiUrl}")`);
  if (apiUrl.startsWith("http:") && !isLoopback(URL.canParse(apiUrl) ? new URL(apiUrl).hostname : ""))
    throw new UsageError(
      `--api-url must use https: the token would cross the network in clear (plain http only for localhost, 127.0.0.0/8 and ::1), not "${apiUrl}"`,
    );
  const server = env["GITHUB_SERVER_URL"];
  const runId = env["GITHUB_RUN_ID"];
  const runUrl =
    server && runId && /^\d+$/.test(runId)
      ? `${server}/${repo.owner}/${repo.repo}/actions/runs/${runId}`
      : undefined;
  const stepSummary = env["GITHUB_STEP_SUMMARY"];
  return {
    repo,
    token,
    apiUrl,
    ...(stepSummary ? { stepSummary } : {}),
    ...(runUrl === undefined ? {} : { runUrl }),
  };
}
