/**
 * The only module that talks HTTP: Octokit with the throttling and retry plugins, 100 per page, conditional
 * requests (ETag / If-None-Match; a 304 costs no rate limit) and call counting at the fetch boundary.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import Bottleneck from "bottleneck";
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { ProviderError } from "../../errors.ts";

const GatehouseOctokit = Octokit.plugin(throttling, retry);
export type GithubOctokit = InstanceType<typeof GatehouseOctokit>;

export interface GithubClientStats {
  /** HTTP GETs sent (a 304 counts: it is a call, though not against the rate limit). */
  readonly reads: number;
  readonly writes: number;
  /** GETs answered 304 Not Modified from the ETag cache. */
  readonly notModified: number;
  /**
   * Tries sent again after a rate limit, a 5xx or no answer: the tries counted in `reads` and `writes`
   * beyond the first of each request.
   */
  readonly retries: number;
}

export interface GithubClient {
  readonly octokit: GithubOctokit;
  stats(): GithubClientStats;
  /** Runs `work` with every request it sends bound to `signal`; overlapping calls keep their own signals. */
  withSignal<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T>;
  /** Adds answers kept from an earlier run to the ETag cache (GitHub still confirms each with a 304). */
  seed(entries: ReadonlyMap<string, CachedResponse>): void;
  /** The cached answers of the GETs this client sent, by URL. */
  answersSent(): Map<string, CachedResponse>;
}

export interface GithubClientOptions {
  readonly provider: string;
  readonly baseUrl: string;
  readonly token: string;
  readonly fetch: typeof fetch;
  readonly log: (line: string) => void;
  readonly maxRetries: number;
  /** Least milliseconds between two writes (0: no pause; writes are still sent one at a time). */
  readonly writeIntervalMs: number;
  /** This host's clock (ms since the epoch): a used-up rate limit lasts until GitHub's reset time. */
  readonly clock: () => number;
}

/** Tells apart the throttling state of clients in one process (see `pacing`). */
let clientCount = 0;

/**
 * This client's own Bottleneck groups for the throttling plugin. The plugin's default groups are global to
 * the module and keyed by `throttle.id` ("no-id" unless set): every Octokit in the process would share one
 * write queue paced one per second, and one 10-request read pool, so two GitHub providers (two orgs, or
 * github.com beside an Enterprise Server) would slow each other down, and none could be paced differently.
 * Requests that e-mail someone (invitations) keep the plugin's ratio: three times the write interval.
 */
function pacing(writeIntervalMs: number): {
  id: string;
  write: Bottleneck.Group;
  notifications: Bottleneck.Group;
} {
  clientCount += 1;
  const id = `gatehouse-${String(clientCount)}`;
  return {
    id,
    write: new Bottleneck.Group({ id: `${id}-write`, maxConcurrent: 1, minTime: writeIntervalMs }),
    notifications: new Bottleneck.Group({
      id: `${id}-notifications`,
      maxConcurrent: 1,
      minTime: 3 * writeIntervalMs,
    }),
  };
}

/**
 * A page kept from an earlier read, confirmed unchanged (304), that was full and the last: GitHub may
 * confirm a page by its content alone, so a list that has since grown onto a next page would end here,
 * with the stored Link that had no next. Such a page points at the next one, which is then asked for
 * (an empty list if there is none: one request, for lists of exactly a multiple of a page).
 */
function withNextPageIfFull<T extends { headers: { link?: string }; data: unknown }>(
  url: string,
  response: T,
): T {
  const parsed = new URL(url);
  const perPage = Number(parsed.searchParams.get("per_page") ?? "30");
  const link = response.headers.link ?? "";
  if (!Array.isArray(response.data) || response.data.length < perPage || link.includes(`rel="next"`))
    return response;
  parsed.searchParams.set("page", String(Number(parsed.searchParams.get("page") ?? "1") + 1));
  const next = `<${parsed.toString()}>; rel="next"`;
  return { ...response, headers: { ...response.headers, link: link === "" ? next : `${link}, ${next}` } };
}

/** A GET's answer kept for its ETag: sent again as If-None-Match, returned as is on 304. */
export interface CachedResponse {
  readonly etag: string;
  readonly response: Awaited<ReturnType<GithubOctokit["request"]>>;
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  return typeof error.status === "number" ? error.status : undefined;
}

function methodOf(init: RequestInit | undefined): string {
  return (init?.method ?? "GET").toUpperCase();
}

/** A request's path below the API root, without the query (which holds nothing worth a log line). */
function pathOf(input: Parameters<typeof fetch>[0], baseUrl: string): string {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url;
  return path.split("?")[0] ?? path;
}

/** Why a fetch got no answer: undici's cause ("connect ECONNREFUSED 127.0.0.1:9"), else its message. */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error ? cause.message : error.message;
}

/** A line of Octokit's request log plugin. */
const REQUEST_LOG_LINE = /^[A-Z]+ \S+ - \S+ with id \S+ in \d+ms$/;

/** Whether an Octokit failure carries GitHub's answer (a fetch that got none is a RequestError "500" too). */
function hasResponse(error: unknown): boolean {
  return typeof error === "object" && error !== null && "response" in error && error.response !== undefined;
}

export function createGithubClient(options: GithubClientOptions): GithubClient {
  const counts = { reads: 0, writes: 0, notModified: 0 };
  let requests = 0; // requests asked for, each counted once however many tries it took
  // The signal of the read or apply call a request belongs to. Calls may overlap, so it follows the async
  // context of each call, and each request carries its own (Octokit's `request.signal`).
  const callSignal = new AsyncLocalStorage<AbortSignal>();
  // Each try as it really went, from here rather than Octokit's request log: that one writes every expected
  // 404 as an error, calls a dropped connection "500", and says nothing of tries sent again. A 5xx or no
  // answer is worth a line (it is what gets tried again); a 4xx is the caller's to judge, and a failure
  // that matters reaches the user as its ProviderError.
  // When GitHub said the primary rate limit is used up (403 or 429 with x-ratelimit-remaining: 0), the time
  // it comes back (x-ratelimit-reset, ms). GitHub asks not to send anything before then ("You should not
  // retry your request until after the time specified by the x-ratelimit-reset header"; an integration that
  // goes on may be banned): later requests fail here, unsent. The throttling plugin waits out a reset due
  // within 5 minutes itself (see onLimit), after which this time has passed.
  let usedUpUntil = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    if (methodOf(init) === "GET" || methodOf(init) === "HEAD") counts.reads += 1;
    else counts.writes += 1;
    const what = `${options.provider}: ${methodOf(init)} ${pathOf(input, options.baseUrl)}`;
    try {
      const response = await options.fetch(input, init);
      if (response.status >= 500) options.log(`${what}: GitHub answered ${String(response.status)}`);
      if (
        (response.status === 403 || response.status === 429) &&
        response.headers.get("x-ratelimit-remaining") === "0"
      ) {
        const reset = Number(response.headers.get("x-ratelimit-reset"));
        if (Number.isFinite(reset) && reset * 1000 > usedUpUntil) usedUpUntil = reset * 1000;
      }
      return response;
    } catch (error) {
      if (!(init?.signal?.aborted ?? false)) options.log(`${what}: no answer (${causeOf(error)})`);
      throw error;
    }
  };
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const again = retryCount < options.maxRetries && retryAfter <= 300;
      options.log(
        `${options.provider}: ${kind} on ${request.method} ${request.url}; ${again ? `retrying after ${String(retryAfter)}s` : "giving up"}`,
      );
      return again;
    };
  const octokit = new GatehouseOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: "gatehouse",
    request: { fetch: countingFetch },
    // 5xx and dropped connections: at most maxRetries more tries (4xx other than rate limits are final);
    // never for POST (see the request hook below).
    // 429 is a rate limit, the throttling plugin's business (it honours retry-after and gives up after
    // maxRetries); left to this plugin too, it would be sent again on its own 1 s, 4 s, 9 s schedule after
    // the throttling plugin gave up, while GitHub still refuses (the default list lacks 429).
    retry: { retries: options.maxRetries, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => {
        options.log(`${options.provider}: ${message}`);
      },
      error: (message: string) => {
        // Octokit's request log ("GET /path - 404 with id … in 12ms"): each try is logged at the fetch
        // boundary instead, truthfully (see countingFetch).
        if (REQUEST_LOG_LINE.test(message)) return;
        options.log(`${options.provider}: ${message}`);
      },
    },
    throttle: {
      ...pacing(options.writeIntervalMs),
      onRateLimit: onLimit("rate limit"),
      onSecondaryRateLimit: onLimit("secondary rate limit"),
    },
  });

  const cache = new Map<string, CachedResponse>();
  const sent = new Set<string>();
  // Registered after the plugins, so outside them: one call here per request, however often they try it.
  octokit.hook.wrap("request", async (request, endpoint) => {
    if (options.clock() < usedUpUntil)
      throw new ProviderError(
        options.provider,
        `${endpoint.method} ${endpoint.url}`,
        `not sent: GitHub's rate limit is used up until ${new Date(usedUpUntil).toISOString()} (it answered x-ratelimit-remaining: 0 before): try again after then`,
        { isTransient: true },
      );
    requests += 1;
    // Set in place: hooks share one options object (see below).
    const signal = callSignal.getStore();
    if (signal) endpoint.request = { ...endpoint.request, signal };
    // A POST creates something: if GitHub did it but the answer was lost (a 5xx, a dropped connection),
    // sending it again fails with 422 or creates a second one. Never repeat it automatically. (Hooks share
    // one options object: plugin-retry reads `request.retries` from it, so it is set in place.)
    if (endpoint.method === "POST") endpoint.request = { ...endpoint.request, retries: 0 };
    if (endpoint.method !== "GET") return request(endpoint);
    const key = octokit.request.endpoint.parse(endpoint).url;
    sent.add(key);
    const cached = cache.get(key);
    if (cached) endpoint.headers["if-none-match"] = cached.etag;
    try {
      const response = await request(endpoint);
      const etag = response.headers.etag;
      if (typeof etag === "string") cache.set(key, { etag, response });
      return response;
    } catch (error) {
      if (statusOf(error) === 304 && cached) {
        counts.notModified += 1;
        return withNextPageIfFull(key, cached.response);
      }
      throw error;
    }
  });

  return {
    octokit,
    stats: () => ({ ...counts, retries: Math.max(0, counts.reads + counts.writes - requests) }),
    withSignal: (signal, work) => callSignal.run(signal, work),
    seed: (entries) => {
      for (const [key, entry] of entries) if (!cache.has(key)) cache.set(key, entry);
    },
    answersSent: () => {
      const out = new Map<string, CachedResponse>();
      for (const key of sent) {
        const entry = cache.get(key);
        if (entry) out.set(key, entry);
      }
      return out;
    },
  };
}

interface GithubErrorBody {
  readonly message?: string;
  readonly errors?: readonly { readonly message?: string; readonly code?: string; readonly field?: string }[];
}

function bodyOf(error: unknown): GithubErrorBody {
  if (typeof error !== "object" || error === null || !("response" in error)) return {};
  const response = error.response;
  if (typeof response !== "object" || response === null || !("data" in response)) return {};
  const data = response.data;
  if (typeof data !== "object" || data === null) return {};
  const message = "message" in data && typeof data.message === "string" ? data.message : undefined;
  const errors =
    "errors" in data && Array.isArray(data.errors)
      ? data.errors.flatMap((e: unknown) => {
          if (typeof e !== "object" || e === null) return [];
          const pick = (k: string): string | undefined => {
            const v: unknown = Reflect.get(e, k);
            return typeof v === "string" ? v : undefined;
          };
          const item: { message?: string; code?: string; field?: string } = {};
          const [m, c, f] = [pick("message"), pick("code"), pick("field")];
          if (m !== undefined) item.message = m;
          if (c !== undefined) item.code = c;
          if (f !== undefined) item.field = f;
          return [item];
        })
      : [];
  return { ...(message === undefined ? {} : { message }), errors };
}

/** A response header of an Octokit failure, if it has one. */
function headerOf(error: unknown, name: string): string | undefined {
  if (typeof error !== "object" || error === null || !("response" in error)) return undefined;
  const response: unknown = error.response;
  if (typeof response !== "object" || response === null || !("headers" in response)) return undefined;
  const headers: unknown = response.headers;
  if (typeof headers !== "object" || headers === null) return undefined;
  const value: unknown = Reflect.get(headers, name);
  return typeof value === "string" ? value : undefined;
}

/** The HTTP method of the request an Octokit failure belongs to, if it says. */
function requestMethodOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("request" in error)) return undefined;
  const request: unknown = error.request;
  if (typeof request !== "object" || request === null || !("method" in request)) return undefined;
  return typeof request.method === "string" ? request.method.toUpperCase() : undefined;
}

/**
 * Whether GitHub refused the request for a rate limit: a primary one is answered with 403 (or 429) and
 * `x-ratelimit-remaining: 0` (it passes at `x-ratelimit-reset`), a secondary one with 403 or 429 and a
 * message saying so. Such a 403 says nothing about the token's rights.
 */
export function isRateLimited(error: unknown): boolean {
  const status = hasResponse(error) ? statusOf(error) : undefined;
  return (
    (status === 403 || status === 429) &&
    (headerOf(error, "x-ratelimit-remaining") === "0" || /rate limit/i.test(bodyOf(error).message ?? ""))
  );
}

/** Turns an Octokit failure into a ProviderError with GitHub's own words (never headers or the token). */
export function toProviderError(provider: string, operation: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // Octokit reports a request that got no answer (refused, reset, timed out) as status 500: say what happened.
  const status = hasResponse(error) ? statusOf(error) : undefined;
  const body = bodyOf(error);
  const details = (body.errors ?? [])
    .map((e) => e.message ?? [e.field, e.code].filter((x) => x !== undefined).join(" "))
    .filter((x) => x !== "");
  const what =
    status === undefined
      ? typeof error === "object" && error !== null && "request" in error && error instanceof Error
        ? `no answer from GitHub (${error.message})`
        : error instanceof Error
          ? error.message
          : String(error)
      : `GitHub answered ${String(status)}${body.message ? `: ${body.message}` : ""}${details.length > 0 ? ` (${details.join("; ")})` : ""}`;
  const rateLimited = status !== undefined && isRateLimited(error);
  const reset = Number(headerOf(error, "x-ratelimit-reset"));
  const hint =
    status === 401
      ? "; the token is missing, expired or revoked"
      : rateLimited
        ? `; GitHub's rate limit is used up${Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : ""}: try again later`
        : status === 403 && /SAML|SSO/i.test(body.message ?? "")
          ? "; the organization enforces SAML single sign-on: authorize the token for it (token settings, Configure SSO)"
          : status === 403 && /team sync|identity provider|IdP/i.test(body.message ?? "")
            ? "; the team is synchronized with the identity provider: change its membership there"
            : status === 403
              ? "; the token may lack the admin:org scope or owner rights"
              : "";
  // A POST creates something: with a 5xx or no answer GitHub may have carried it out, and sending it again
  // fails with 422 or creates a second one. Final, then: the next plan shows whether it exists.
  const isLostCreate = requestMethodOf(error) === "POST" && (status === undefined || status >= 500);
  return new ProviderError(
    provider,
    operation,
    `${what}${hint}${isLostCreate ? "; not sent again (GitHub may have carried it out): the next plan shows whether it did" : ""}`,
    {
      ...(status === undefined ? {} : { status }),
      isTransient: !isLostCreate && (status === undefined || status === 429 || status >= 500 || rateLimited),
      cause: error,
    },
  );
}
