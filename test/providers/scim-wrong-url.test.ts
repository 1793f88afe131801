/**
 * The mistakes an adopter makes first with a SCIM baseUrl: a path that is not the SCIM root (the app
 * answers with its HTML 404 page), and a port nothing listens on. The error must say so, not dump a page.
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { scimContext, scimProviderConfig, startScimServer } from "../harness/scim-server.ts";
import { findFreePort } from "../harness/loopback.ts";
import { createScimProviderWith } from "../../src/providers/scim/provider.ts";

const FAST_RETRY = { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 20 };
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function readError(baseUrl: string): Promise<string> {
  const provider = createScimProviderWith(
    scimProviderConfig(baseUrl, { retry: FAST_RETRY }),
    scimContext("t0ken-value-123"),
  );
  try {
    await provider.read(AbortSignal.timeout(10_000));
    return "no error";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await provider.close();
  }
}

describe("a wrong SCIM baseUrl", () => {
  it("says the answer is an HTML page and names baseUrl, without the page", async () => {
    const server = createServer((req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end(`<!DOCTYPE html><html><body><pre>Cannot GET ${req.url ?? ""}</pre></body></html>`);
    });
    servers.push(server);
    const port = await findFreePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${String(port)}/scim/v1`;
    const message = await readError(baseUrl);
    expect(message).toContain(
      `HTTP 404: the answer is an HTML page, not SCIM JSON; check that baseUrl (${baseUrl}) is the SCIM root`,
    );
    expect(message).not.toContain("<!DOCTYPE");
  });

  it("names baseUrl when a JSON or empty 404 says the collection is not there (a path short of the SCIM root)", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
    });
    servers.push(server);
    const port = await findFreePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${String(port)}/api/auth`;
    expect(await readError(baseUrl)).toContain(
      `check that baseUrl (${baseUrl}) is the SCIM root (where /Users and /Groups are)`,
    );
  });

  it("names the token's variable when the server refuses it (401), never the token", async () => {
    const server = await startScimServer();
    try {
      const provider = createScimProviderWith(
        scimProviderConfig(server.baseUrl, { retry: FAST_RETRY }),
        scimContext("not-the-t0ken-at-all"),
      );
      const error = await provider.read(AbortSignal.timeout(10_000)).then(
        () => undefined,
        (e: unknown) => e,
      );
      await provider.close();
      expect(String(error)).toMatch(/HTTP 401.*check the bearer token in SCIM_TOKEN \(tokenEnv\)/);
      expect(String(error)).not.toContain("not-the-t0ken-at-all");
    } finally {
      await server.close();
    }
  });

  it("gives the reason a connection failed, and sends nothing more once every retry went unanswered", async () => {
    const port = await findFreePort();
    const provider = createScimProviderWith(
      scimProviderConfig(`http://127.0.0.1:${String(port)}/scim/v2`, { retry: FAST_RETRY }),
      scimContext("t0ken-value-123"),
    );
    try {
      await expect(provider.read(AbortSignal.timeout(10_000))).rejects.toThrow(
        `connection to 127.0.0.1:${String(port)} failed (ECONNREFUSED)`,
      );
      const retries = provider.stats().reads;
      await expect(provider.read(AbortSignal.timeout(10_000))).rejects.toThrow(
        "not sent: the server stopped answering earlier in this run",
      );
      expect(provider.stats().reads).toBe(retries);
    } finally {
      await provider.close();
    }
  });
});
