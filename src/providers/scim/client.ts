/**
 * The only file of the SCIM connector that talks HTTP: bearer auth, per-request timeouts, bounded
 * concurrency, retries (429 with Retry-After for any request; 5xx and dropped connections only for
 * idempotent ones) and request counting. The token is never put in a message or a log line.
 */
import { deadline } from "../../io/deadline.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { ProviderError } from "../../errors.ts";
import type { RetrySettings } from "./settings.ts";
import { parseScimError } from "./map.ts";
import { parseRetryAfter, serverDateOf } from "../../io/retry-after.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ScimResponse {
  readonly status: number;
  readonly body: unknown;
  readonly etag?: string;
  /** The server's clock when it answered (its Date header, ms), when it sent one. */
  readonly date?: number;
}

export interface ScimRequest {
  /** What we were doing, in words naming the user or group; used in error messages. */
  readonly operation: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly ifMatch?: string;
}

export interface ScimClientOptions {
  readonly provider: string;
  readonly baseUrl: string;
  readonly token: string;
  /** The environment variable the token came from, named when the server refuses it (401). */
  readonly tokenEnv?: string;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly retry: RetrySettings;
  readonly fetch: typeof fetch;
  readonly log: (line: string) => void;
  readonly now: () => Date;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface ScimClientStats {
  readonly reads: number;
  readonly writes: number;
  readonly retries: number;
}

/** A failed SCIM call. `status` is the HTTP status, or "timeout"/"network" when no answer came back. */
export class ScimHttpError extends ProviderError {
  readonly scimType: string | undefined;
  readonly detail: string | undefined;
  constructor(
    provider: string,
    operation: string,
    message: string,
    opts: {
      status: number | "timeout" | "network";
      scimType?: string;
      detail?: string;
      cause?: unknown;
      method?: HttpMethod;
    },
  ) {
    // A POST that got no answer (or a 5xx) may have created the resource: sending it again is not a
    // retry of the same thing, so the apply engine must not repeat it as transient. 429 was refused unprocessed.
    const isUnknown = typeof opts.status === "string" || opts.status >= 500;
    const isTransient = opts.status === 429 || (isUnknown && opts.method !== "POST");
    // No answer at all, a POST's too: the server may be down, and an apply gives up on it after a few.
    const isUnanswered = typeof opts.status === "string";
    super(provider, operation, message, {
      status: opts.status,
      isTransient,
      isUnanswered,
      cause: opts.cause,
    });
    this.scimType = opts.scimType;
    this.detail = opts.detail;
  }
  /** True when the server may or may not have carried out the request. */
  get isOutcomeUnknown(): boolean {
    return typeof this.status === "string" || (typeof this.status === "number" && this.status >= 500);
  }
}

export interface ScimClient {
  request(method: HttpMethod, path: string, req: ScimRequest, signal: AbortSignal): Promise<ScimResponse>;
  stats(): ScimClientStats;
}

const RETRYABLE_5XX = new Set([500, 502, 503, 504]);

export function createScimClient(options: ScimClientOptions): ScimClient {
  const counts = { reads: 0, writes: 0, retries: 0 };
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  /** After a 429, nobody sends before this instant (performance.now() clock): the whole client backs off. */
  let holdUntil = 0;

  async function acquire(signal: AbortSignal): Promise<void> {
    while (inFlight >= options.concurrency) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    inFlight += 1;
  }
  function release(): void {
    inFlight -= 1;
    waiting.shift()?.();
  }

  /** Why the last request never got an answer (ECONNREFUSED, a TLS error...), for its message. */
  let lastNetworkCause = "";
  /**
   * Set once a request got no answer through all its retries (why: "connection failed (ECONNREFUSED)"):
   * later requests are not sent. Their errors give that short why, not the whole error of the request
   * that failed (another change's operation and path), which each would otherwise carry again.
   */
  let unreachable: string | undefined;

  async function sendOnce(
    method: HttpMethod,
    url: string,
    req: ScimRequest,
    signal: AbortSignal,
  ): Promise<RawResponse | "timeout" | "network"> {
    const hold = holdUntil - performance.now();
    if (hold > 0) await sleep(hold, undefined, { signal });
    await acquire(signal);
    if (method === "GET") counts.reads += 1;
    else counts.writes += 1;
    const timeout = deadline(options.timeoutMs);
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      accept: "application/scim+json, application/json",
    };
    if (req.body !== undefined) headers["content-type"] = "application/scim+json";
    if (req.ifMatch !== undefined) headers["if-match"] = req.ifMatch;
    try {
      const res = await options.fetch(url, {
        method,
        headers,
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: AbortSignal.any([signal, timeout.signal]),
      });
      // Read the body while holding the slot, so a cut mid-body is seen here, as a dropped connection.
      return { status: res.status, headers: res.headers, text: await res.text() };
    } catch (error) {
      signal.throwIfAborted();
      lastNetworkCause = networkCause(error);
      return timeout.signal.aborted ? "timeout" : "network";
    } finally {
      timeout.clear();
      release();
    }
  }

  async function request(
    method: HttpMethod,
    path: string,
    req: ScimRequest,
    signal: AbortSignal,
  ): Promise<ScimResponse> {
    const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : "";
    const url = `${options.baseUrl}${path}${qs}`;
    const where = `${method} ${path}`;
    // POST is the one request we never repeat blindly: the server may have created the resource.
    const isIdempotent = method !== "POST";
    const { maxRetries, baseDelayMs, maxDelayMs } = options.retry;
    // The server stopped answering earlier in this run, through every retry: the rest fail at once,
    // instead of each waiting out its own retries (an apply of hundreds of changes would take hours).
    if (unreachable !== undefined)
      throw new ScimHttpError(
        options.provider,
        req.operation,
        `not sent: the server stopped answering earlier in this run (${unreachable}) (${where})`,
        { status: "network", method },
      );
    for (let attempt = 0; ; attempt += 1) {
      const res = await sendOnce(method, url, req, signal);
      let error: ScimHttpError;
      let delay = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      let isRetryable: boolean;
      /** What went wrong, for a retry's log line: the HTTP status, or why there was no answer. */
      let got: string;
      if (typeof res === "string") {
        got =
          res === "timeout"
            ? `no answer within ${options.timeoutMs} ms`
            : `connection to ${new URL(options.baseUrl).host} failed${lastNetworkCause === "" ? "" : ` (${lastNetworkCause})`}`;
        error = new ScimHttpError(options.provider, req.operation, `${got} (${where})`, {
          status: res,
          method,
        });
        isRetryable = isIdempotent;
      } else {
        const { text } = res;
        const body = parseBody(text);
        if (res.status >= 200 && res.status < 300) {
          const etag = res.headers.get("etag");
          const date = serverDateOf(res.headers);
          return {
            status: res.status,
            body,
            ...(etag === null ? {} : { etag }),
            ...(date === undefined ? {} : { date }),
          };
        }
        got = `HTTP ${String(res.status)}`;
        const scim = parseScimError(body);
        // A page of HTML is no SCIM server's answer: most likely baseUrl is not the SCIM root.
        const isHtml = body === undefined && /^\s*</.test(text);
        // A 404 for a whole collection (not one resource): the path under baseUrl is not the SCIM root.
        const isMissingRoot = res.status === 404 && /^\/(Users|Groups|ServiceProviderConfig)$/.test(path);
        const found =
          scim.detail ??
          (isHtml
            ? `the answer is an HTML page, not SCIM JSON; check that baseUrl (${options.baseUrl}) is the SCIM root`
            : isMissingRoot
              ? `no ${path.slice(1)} here; check that baseUrl (${options.baseUrl}) is the SCIM root (where /Users and /Groups are)`
              : text.length > 0 && body === undefined
                ? text.slice(0, 200)
                : undefined);
        // A refused token: where it came from (never the token itself).
        const detail =
          res.status === 401
            ? [
                found,
                `check the bearer token${options.tokenEnv === undefined ? "" : ` in ${options.tokenEnv} (tokenEnv)`}`,
              ]
                .filter((t) => t !== undefined)
                .join("; ")
            : found;
        const kind = scim.scimType === undefined ? "" : ` ${scim.scimType}`;
        error = new ScimHttpError(
          options.provider,
          req.operation,
          `HTTP ${res.status}${kind}${detail === undefined ? "" : `: ${detail}`} (${where})`,
          {
            status: res.status,
            method,
            ...(scim.scimType === undefined ? {} : { scimType: scim.scimType }),
            ...(detail === undefined ? {} : { detail }),
          },
        );
        const nowMs = serverDateOf(res.headers) ?? options.now().getTime();
        const retryAfter = parseRetryAfter(res.headers.get("retry-after"), nowMs);
        if (retryAfter !== undefined) delay = Math.min(maxDelayMs, retryAfter);
        // 429 means the request was refused unprocessed, so even a POST may be sent again.
        isRetryable = res.status === 429 || (isIdempotent && RETRYABLE_5XX.has(res.status));
        if (res.status === 429) holdUntil = Math.max(holdUntil, performance.now() + delay);
      }
      if (!isRetryable || attempt >= maxRetries) {
        if (typeof res === "string" && attempt >= maxRetries) unreachable = got;
        throw error;
      }
      counts.retries += 1;
      options.log(
        `${options.provider}: ${where}: ${got}; retry ${attempt + 1}/${maxRetries} in ${Math.round(delay)} ms`,
      );
      await sleep(delay, undefined, { signal });
    }
  }

  return { request, stats: () => ({ ...counts }) };
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The system's reason a request got no answer: an error code (ECONNREFUSED) or the cause's message. */
function networkCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string")
    return cause.code;
  return cause instanceof Error ? cause.message.slice(0, 120) : "";
}
