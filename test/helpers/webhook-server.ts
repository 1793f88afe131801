import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a webhook receiver got. */
export interface Received {
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

/** A receiver answering each request with the status `answer` gives for its path. */
export async function startWebhookServer(answer: (path: string) => number): Promise<WebhookServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = req.url ?? "";
      received.push({ path: at, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = answer(at);
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
