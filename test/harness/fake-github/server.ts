/** The fake GitHub REST API: node:http on 127.0.0.1, port 0. */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply, RequestContext } from "./http.ts";
import type { SecondaryLimitRule } from "./rate-limit.ts";
import { forbidden, notFound, unauthorized, validationFailed } from "./http.ts";
import { primaryLimitMessage, RateLimits, SECONDARY_LIMIT_MESSAGE } from "./rate-limit.ts";
import { Router } from "./router.ts";
import { FakeGithubState } from "./state.ts";
import { orgMemberRoutes } from "./handlers/org-members.ts";
import { pullRoutes } from "./handlers/pulls.ts";
import { teamRoutes } from "./handlers/teams.ts";
import { userRoutes } from "./handlers/users.ts";
import { listenOnLoopback } from "../loopback.ts";

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
}

export interface FakeGithub {
  readonly url: string;
  readonly state: FakeGithubState;
  readonly rateLimits: RateLimits;
  /** Every request, in order. */
  readonly requests: LoggedRequest[];
  /** Requests that were not GET (writes), optionally since an index into `requests`. */
  writes(since?: number): LoggedRequest[];
  injectSecondaryRateLimit(rule: SecondaryLimitRule): void;
  /**
   * The next `count` matching requests fail with `status` (e.g. 502) before reaching a handler, or, with
   * `afterHandler`, after the handler has done its work (a write that happened, answered as failed).
   */
  injectFault(fault: FakeFault): void;
  /** The base URL clients see (a proxy in front of the fake); used in `Link` headers and `url` fields. */
  setPublicUrl(url: string): void;
  /**
   * Whether an ETag covers the Link header too (the default), or only the body: GitHub does not say, and
   * with body-only ETags a page that did not change is confirmed (304) even when a next page appeared.
   */
  etagCoversLink: boolean;
  close(): Promise<void>;
}

export interface FakeFault {
  count: number;
  status: number;
  match?: (method: string, path: string) => boolean;
  afterHandler?: boolean;
}

const router = new Router([...userRoutes, ...orgMemberRoutes, ...teamRoutes, ...pullRoutes]);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^(?:token|bearer)\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const state = new FakeGithubState();
  const rateLimits = new RateLimits();
  const requests: LoggedRequest[] = [];
  const faults: FakeFault[] = [];
  const takeFault = (method: string, path: string, afterHandler: boolean): Reply | undefined => {
    const fault = faults.find(
      (f) => f.count > 0 && (f.afterHandler ?? false) === afterHandler && (f.match?.(method, path) ?? true),
    );
    if (!fault) return undefined;
    fault.count -= 1;
    return { status: fault.status, body: { message: "Server Error" } };
  };
  let api = "";
  let publicUrl = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", api);
    const method = (req.method ?? "GET").toUpperCase();
    const text = await readBody(req);
    const reply = ((): Reply => {
      const limited = rateLimits.takeSecondary(method, url.pathname);
      if (limited !== undefined) {
        const refusal = forbidden(SECONDARY_LIMIT_MESSAGE);
        return {
          status: limited.status,
          body: { ...(refusal.body as object), status: String(limited.status) },
          headers: { "retry-after": String(limited.retryAfter) },
        };
      }
      const fault = takeFault(method, url.pathname, false);
      if (fault) return fault;
      const token = tokenOf(req);
      if (token === undefined) return unauthorized("Requires authentication");
      const viewerId = state.tokens.get(token);
      const viewer = viewerId === undefined ? undefined : state.users.get(viewerId);
      if (!viewer) return unauthorized("Bad credentials");
      if (rateLimits.exhausted()) return forbidden(primaryLimitMessage(viewer.id));
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        return {
          status: 400,
          body: { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/rest" },
        };
      }
      const found = router.match(method, url.pathname);
      if (!found) return notFound();
      const ctx: RequestContext = {
        method,
        path: url.pathname,
        params: found.params,
        query: url.searchParams,
        body,
        viewer,
        api: publicUrl,
        state,
      };
      let handled: Reply;
      try {
        handled = found.handler(ctx);
      } catch (error) {
        return validationFailed(error instanceof Error ? error.message : String(error));
      }
      return takeFault(method, url.pathname, true) ?? handled;
    })();
    send(req, res, method, reply);
    requests.push({ method, path: url.pathname, query: url.search, status: res.statusCode });
  }

  function send(req: IncomingMessage, res: ServerResponse, method: string, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload = reply.body === undefined ? "" : JSON.stringify(reply.body);
    let status = reply.status;
    if (method === "GET" && status === 200) {
      const etag = `W/"${createHash("sha256")
        .update(payload)
        .update(fake.etagCoversLink ? (headers["link"] ?? "") : "")
        .digest("hex")
        .slice(0, 32)}"`;
      headers["etag"] = etag;
      if (req.headers["if-none-match"] === etag) {
        status = 304;
        payload = "";
      }
    }
    // As on GitHub, a 304 does not count against the primary rate limit.
    if (status !== 304) rateLimits.used += 1;
    res.statusCode = status;
    for (const [name, value] of Object.entries({ ...rateLimits.headers(), ...headers }))
      res.setHeader(name, value);
    if (payload !== "") res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ message: String(error) }));
    });
  });
  api = `http://127.0.0.1:${String(await listenOnLoopback(server))}`;
  publicUrl = api;

  const fake: FakeGithub = {
    url: api,
    etagCoversLink: true,
    state,
    rateLimits,
    requests,
    writes: (since = 0) => requests.slice(since).filter((r) => r.method !== "GET" && r.method !== "HEAD"),
    setPublicUrl: (url) => {
      publicUrl = url;
    },
    injectFault: (fault) => {
      faults.push({ ...fault });
    },
    injectSecondaryRateLimit: (rule) => {
      rateLimits.injectSecondary(rule);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
  return fake;
}
