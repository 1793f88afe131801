/**
 * A small HTTP proxy on 127.0.0.1 in front of a test server that misbehaves on request: it answers 429
 * with Retry-After or a 5xx without forwarding, delays a request, or cuts the connection (before
 * forwarding, or after the server has done the work so the client never hears the answer). It logs
 * every request it sees, so tests can count what a client really sent. An optional `respond` hook
 * rewrites every forwarded JSON answer (body and extra headers), e.g. to stand in for ETag support.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { listenOnLoopback } from "./loopback.ts";

export type Fault =
  | {
      readonly kind: "status";
      readonly status: number;
      readonly retryAfter?: string;
      /** The SCIM error's scimType (RFC 7644 3.12), e.g. invalidPath. */
      readonly scimType?: string;
    }
  | { readonly kind: "cut-before-forward" }
  | { readonly kind: "cut-after-forward" }
  | { readonly kind: "delay"; readonly ms: number }
  /** Forward, then rewrite the JSON answer (e.g. make a server claim less than it supports). */
  | { readonly kind: "rewrite"; readonly transform: (body: unknown) => unknown }
  /** Forward, then answer 204 No Content whatever the server said (RFC 7644 allows 204 for PATCH). */
  | { readonly kind: "no-content" }
  /**
   * Stand in for a server that filters on meta.lastModified: a GET with `filter=meta.lastModified ge "…"`
   * is answered from every page upstream, filtered here. Other requests pass through untouched.
   */
  | { readonly kind: "filter-last-modified" }
  /**
   * A server that answers a write with success and does not make it: the request is not forwarded; the
   * resource as the server has it is sent back with 200 (`answer: "resource"`), or 204 with no body.
   */
  | { readonly kind: "ignore-write"; readonly answer: "resource" | "no-content" };

export interface FaultRule {
  readonly fault: Fault;
  /** How many matching requests get the fault. */
  readonly times: number;
  readonly match?: (method: string, path: string) => boolean;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The status the client got, or "cut". */
  readonly outcome: number | "cut";
  /** The If-Match header the client sent, if any. */
  readonly ifMatch?: string;
}

/** A forwarded answer as the `respond` hook sees it: the request, and the server's status and JSON body. */
export interface ForwardedAnswer {
  readonly method: string;
  readonly path: string;
  readonly ifMatch: string | undefined;
  readonly status: number;
  readonly body: unknown;
}

export interface FaultProxyOptions {
  /**
   * Awaited before each request is handled: a test changes the server there, between the pages of a
   * read, as another admin could.
   */
  readonly beforeHandling?: (method: string, url: URL) => Promise<void>;
  /**
   * Called for every forwarded answer with a JSON body (after a fault's rewrite); what it returns replaces
   * the body and adds headers. Undefined leaves the answer as it was.
   */
  readonly respond?: (
    answer: ForwardedAnswer,
  ) => { readonly body: unknown; readonly headers?: Readonly<Record<string, string>> } | undefined;
}

export interface FaultProxy {
  /** The target's base URL, with the proxy's origin. */
  readonly baseUrl: string;
  inject(rule: FaultRule): void;
  /** Every request seen, oldest first. */
  readonly seen: SeenRequest[];
  /** Rules still holding faults to hand out. */
  pending(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
]);

function lastModifiedFilter(rawUrl: string | undefined): string | undefined {
  const filter = new URL(rawUrl ?? "/", "http://x").searchParams.get("filter") ?? "";
  return /^meta\.lastModified ge "(.+)"$/.exec(filter)?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

export async function startFaultProxy(
  targetBaseUrl: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const target = new URL(targetBaseUrl);
  const rules: { rule: FaultRule; left: number }[] = [];
  const seen: SeenRequest[] = [];

  function takeFault(method: string, path: string): Fault | undefined {
    const entry = rules.find((r) => r.left > 0 && (r.rule.match?.(method, path) ?? true));
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.rule.fault;
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, fault: Fault | undefined) {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && !HOP_BY_HOP.has(k)) headers.set(k, v);
    }
    const upstream = await fetch(new URL(req.url ?? "/", target.origin), {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    let text = Buffer.from(await upstream.arrayBuffer());
    if (fault?.kind === "rewrite")
      text = Buffer.from(JSON.stringify(fault.transform(JSON.parse(text.toString()))));
    if (fault?.kind === "cut-after-forward") {
      req.socket.destroy();
      return "cut" as const;
    }
    if (fault?.kind === "no-content" && upstream.status < 300) {
      res.writeHead(204).end();
      return 204;
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) out[k] = v;
    });
    const json = options.respond && text.length > 0 ? parseJson(text.toString()) : undefined;
    if (options.respond && json !== undefined) {
      const answer = options.respond({
        method: req.method ?? "GET",
        path: new URL(req.url ?? "/", target.origin).pathname,
        ifMatch: req.headers["if-match"],
        status: upstream.status,
        body: json,
      });
      if (answer) {
        text = Buffer.from(JSON.stringify(answer.body));
        Object.assign(out, answer.headers ?? {});
      }
    }
    res.writeHead(upstream.status, out).end(text);
    return upstream.status;
  }

  async function answerFiltered(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? "/", target.origin);
    const since = Date.parse(lastModifiedFilter(req.url) ?? "");
    const kept: unknown[] = [];
    const auth = { authorization: req.headers.authorization ?? "" };
    for (let start = 1, page = 0; page < 1000; page += 1) {
      const upstream = await fetch(`${target.origin}${url.pathname}?startIndex=${start}&count=100`, {
        headers: auth,
      });
      const body = (await upstream.json()) as {
        totalResults: number;
        Resources?: { meta?: { lastModified?: string } }[];
      };
      const resources = body.Resources ?? [];
      kept.push(...resources.filter((r) => Date.parse(r.meta?.lastModified ?? "") >= since));
      start += resources.length;
      if (resources.length === 0 || start > body.totalResults) break;
    }
    // Page the filtered list as the client asked (startIndex is 1-based), as a real server would.
    const startIndex = Math.max(1, Number(url.searchParams.get("startIndex") ?? "1") || 1);
    const count = Number(url.searchParams.get("count") ?? String(kept.length)) || kept.length;
    const page = kept.slice(startIndex - 1, startIndex - 1 + count);
    const list = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: kept.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page,
    };
    res.writeHead(200, { "content-type": "application/scim+json" }).end(JSON.stringify(list));
    return 200;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", target.origin).pathname;
    const body = await readBody(req);
    await options.beforeHandling?.(method, new URL(req.url ?? "/", target.origin));
    const fault = takeFault(method, path);
    let outcome: number | "cut";
    if (fault?.kind === "status") {
      const headers: Record<string, string> = { "content-type": "application/scim+json" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      const detail = fault.status === 429 ? "Too many requests" : "Injected failure";
      const err = {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: String(fault.status),
        ...(fault.scimType === undefined ? {} : { scimType: fault.scimType }),
        detail,
      };
      res.writeHead(fault.status, headers).end(JSON.stringify(err));
      outcome = fault.status;
    } else if (fault?.kind === "filter-last-modified" && lastModifiedFilter(req.url) !== undefined) {
      outcome = await answerFiltered(req, res);
    } else if (fault?.kind === "ignore-write") {
      if (fault.answer === "no-content") {
        res.writeHead(204).end();
        outcome = 204;
      } else {
        const upstream = await fetch(new URL(req.url ?? "/", target.origin), {
          headers: { authorization: req.headers.authorization ?? "" },
        });
        res
          .writeHead(upstream.status, { "content-type": "application/scim+json" })
          .end(Buffer.from(await upstream.arrayBuffer()));
        outcome = upstream.status;
      }
    } else if (fault?.kind === "cut-before-forward") {
      req.socket.destroy();
      outcome = "cut";
    } else {
      if (fault?.kind === "delay") await sleep(fault.ms);
      outcome = await forward(req, res, body, fault);
    }
    const ifMatch = req.headers["if-match"];
    seen.push({ method, path, outcome, ...(ifMatch === undefined ? {} : { ifMatch }) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502).end(String(error));
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server);
  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, "")}`,
    inject: (rule) => rules.push({ rule, left: rule.times }),
    seen,
    pending: () => rules.reduce((n, r) => n + r.left, 0),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
