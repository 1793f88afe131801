import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { OffboardingWebhook } from "../../src/model/access.ts";
import { deliverWebhook, type WebhookDelivery } from "../../src/apply/offboard-webhooks.ts";
import { writeAccessTree, type AccessTree } from "./access-tree.ts";

/** One request a webhook receiver got. */
export interface Received {
  /** When it arrived (performance.now()). */
  readonly at: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real HTTP receiver on 127.0.0.1 (node:http), keeping every request it got. */
export interface WebhookServer {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** What a receiver answers: a status, or a status with headers. */
export type Answer = number | { readonly status: number; readonly headers: Record<string, string> };

/** A receiver answering each request with the status (and headers) `answer` gives for its path. */
export async function startWebhookServer(answer: (path: string) => Answer): Promise<WebhookServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = req.url ?? "";
      received.push({
        at: performance.now(),
        path: at,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const given = answer(at);
      if (typeof given === "number") res.writeHead(given);
      else res.writeHead(given.status, given.headers);
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    received,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

/** Answers each path with the next of its statuses, then 200. */
export function queuedAnswers(statuses: Record<string, number[]>): (path: string) => number {
  return (path) => statuses[path]?.shift() ?? 200;
}

/** One delivery of "{}" for bob to `hook` as apply makes it (no secret), with 1 ms between attempts. */
export function deliverTo(hook: OffboardingWebhook, timeoutMs = 10_000): Promise<WebhookDelivery> {
  return deliverWebhook(
    hook,
    "bob",
    "{}",
    { hooks: [hook], secrets: new Map(), people: new Map(), post: fetch, backoffMs: 1 },
    AbortSignal.timeout(timeoutMs),
  );
}

/**
 * ann and bob in ops, in the local directory `app` (and the providers `moreProviders` adds, as lines of
 * gatehouse.yaml), with a webhook `tickets` told of each leaver; `people`: the users file. The caller
 * removes the tree and closes the server.
 */
export async function opsWithWebhook(
  people: string,
  moreProviders = "",
): Promise<{ tree: AccessTree; server: WebhookServer }> {
  const server = await startWebhookServer(queuedAnswers({}));
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n" +
      "  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      moreProviders +
      "policy:\n  guardrails: { maxRemovals: 5 }\n  offboarding:\n    webhooks:\n" +
      `      - { name: tickets, url: "${server.url}/tickets" }\n`,
    "users/people.yaml": people,
    "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
  });
  return { tree, server };
}
