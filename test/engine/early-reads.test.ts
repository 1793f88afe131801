import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openEarlyProviders, startEarlyReads } from "../../src/engine/early-reads.ts";
import { preparePlan, providerContextOf, type EngineOptions } from "../../src/engine/prepare-plan.ts";
import { ConfigError } from "../../src/errors.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { NOW } from "../builders.ts";

/** An HTTP server that takes every request and never answers: a live read that waits until aborted. */
interface SilentServer {
  readonly baseUrl: string;
  readonly seen: IncomingMessage[];
  readonly closed: () => number;
  readonly stop: () => Promise<void>;
}

async function startSilentServer(): Promise<SilentServer> {
  const seen: IncomingMessage[] = [];
  let closed = 0;
  const server: Server = createServer((req, res) => {
    seen.push(req);
    res.on("close", () => closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${String(port)}/scim/v2`,
    seen,
    closed: () => closed,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

const TOKEN_ENV = "EARLY_READS_TOKEN";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()));
});

function scimConfig(baseUrl: string): string {
  return `providers:\n  saas:\n    type: scim\n    baseUrl: ${baseUrl}\n    tokenEnv: ${TOKEN_ENV}\n`;
}

async function setUp(
  files: Readonly<Record<string, string>>,
): Promise<{ tree: AccessTree; options: EngineOptions }> {
  const tree = await writeAccessTree(files);
  cleanups.push(() => tree.remove());
  return {
    tree,
    options: { cwd: tree.cwd, dir: "access", now: NOW, env: { [TOKEN_ENV]: "t0ken" }, cacheDir: false },
  };
}

describe("early live reads", () => {
  it("start from gatehouse.yaml alone, and are aborted and closed when discarded", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const { options } = await setUp({ "gatehouse.yaml": scimConfig(server.baseUrl) });
    const early = startEarlyReads(
      await openEarlyProviders(options, providerContextOf(options)),
      AbortSignal.timeout(60_000),
    );
    expect(early).toBeDefined();
    await vi.waitFor(() => {
      expect(server.seen.length).toBeGreaterThan(0);
    });
    expect(server.seen[0]?.headers.authorization).toBe("Bearer t0ken");
    await early?.discard();
    await vi.waitFor(() => {
      expect(server.closed()).toBe(server.seen.length);
    });
  });

  it("are handed over only for the same configuration, once", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const { options } = await setUp({ "gatehouse.yaml": scimConfig(server.baseUrl) });
    const tree = await (await setUp({ "gatehouse.yaml": scimConfig(server.baseUrl) })).tree.validate();
    const config = tree.model.config.providers[0];
    if (config === undefined) throw new Error("no provider in the test tree");
    const early = startEarlyReads(
      await openEarlyProviders(options, providerContextOf(options)),
      AbortSignal.timeout(60_000),
    );
    cleanups.push(async () => early?.discard());
    expect(early?.take({ ...config, settings: { ...config.settings, baseUrl: "http://127.0.0.1:1/" } })).toBe(
      undefined,
    );
    const taken = early?.take(config);
    expect(taken?.provider.name).toBe("saas");
    expect(early?.take(config)).toBeUndefined();
    await taken?.provider.close();
  });

  it("are not started from a gatehouse.yaml with errors, or for providers --only leaves out", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const broken = await setUp({ "gatehouse.yaml": scimConfig(server.baseUrl) + "  other: {}\n" });
    const signal = AbortSignal.timeout(60_000);
    expect(
      startEarlyReads(await openEarlyProviders(broken.options, providerContextOf(broken.options)), signal),
    ).toBeUndefined();
    const fine = await setUp({ "gatehouse.yaml": scimConfig(server.baseUrl) });
    const elsewhere = { ...fine.options, only: ["directory"] };
    expect(
      startEarlyReads(await openEarlyProviders(elsewhere, providerContextOf(elsewhere)), signal),
    ).toBeUndefined();
    expect(server.seen).toEqual([]);
  });

  it("are the plan's reads: a valid tree reads each provider once, not again after validation", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const { options } = await setUp({
      "gatehouse.yaml": scimConfig(server.baseUrl),
      "people.yaml": "users:\n  - id: ada\n    name: Ada\n",
    });
    // The silent server never answers: the read in flight runs into the read timeout.
    const failure = await preparePlan({ ...options, readTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    // SCIM discovery asks its first questions at once; a second read would ask them all again.
    const asked = server.seen.map((r) => `${r.method ?? ""} ${r.url ?? ""}`);
    expect(asked).toContain("GET /scim/v2/ServiceProviderConfig");
    expect(new Set(asked).size).toBe(asked.length);
  });

  it("keep a read handed over running when the others are discarded", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const two = (b: string): string =>
      scimConfig(server.baseUrl) +
      `  other:\n    type: scim\n    baseUrl: ${b}\n    tokenEnv: ${TOKEN_ENV}\n`;
    const { options } = await setUp({ "gatehouse.yaml": two(server.baseUrl) });
    // The files as validated name another URL for "other" (edited meanwhile): only "saas" is taken.
    const changed = await (await setUp({ "gatehouse.yaml": two(`${server.baseUrl}/v3`) })).tree.validate();
    const [saas, other] = changed.model.config.providers;
    if (saas === undefined || other === undefined) throw new Error("two providers expected");
    const early = startEarlyReads(
      await openEarlyProviders(options, providerContextOf(options)),
      AbortSignal.timeout(60_000),
    );
    const taken = early?.take(saas);
    expect(taken).toBeDefined();
    expect(early?.take(other)).toBeUndefined();
    await early?.discard();
    const outcome = await Promise.race([
      taken?.live.then(
        () => "answered",
        (e: unknown) => `stopped: ${String(e)}`,
      ),
      new Promise((resolve) => {
        setTimeout(() => {
          resolve("still reading");
        }, 300);
      }),
    ]);
    expect(outcome).toBe("still reading");
    await taken?.provider.close();
  });

  it("stop, and their providers close, when the plan fails after validation", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const { tree, options } = await setUp({
      "gatehouse.yaml": scimConfig(server.baseUrl),
      "people.yaml": "users:\n  - id: ada\n    name: Ada\n",
    });
    await mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), '{"torn"'); // a crash mid-append
    const failure = await preparePlan({ ...options, readTimeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(String(failure)).toContain("the last line is incomplete");
    await vi.waitFor(() => {
      expect(server.seen.length).toBeGreaterThan(0);
      expect(server.closed()).toBe(server.seen.length);
    });
  });

  it("are not started from a gatehouse.yaml that is a symlink (the tree's discovery decides on those)", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const outside = await setUp({ "elsewhere.yaml": scimConfig(server.baseUrl) });
    const { tree, options } = await setUp({});
    await symlink(path.join(outside.tree.dir, "elsewhere.yaml"), path.join(tree.dir, "gatehouse.yaml"));
    const signal = AbortSignal.timeout(60_000);
    expect(
      startEarlyReads(await openEarlyProviders(options, providerContextOf(options)), signal),
    ).toBeUndefined();
    expect(server.seen).toEqual([]);
  });

  it("never outlive a failed validation: the plan stops at once with the file errors", async () => {
    const server = await startSilentServer();
    cleanups.push(() => server.stop());
    const { options } = await setUp({
      "gatehouse.yaml": scimConfig(server.baseUrl),
      "people.yaml": "users:\n  - name: No Id\n",
    });
    const failure = await preparePlan({ ...options, readTimeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).diagnostics.map((d) => `${d.file}:${String(d.line)}`)).toContain(
      "access/people.yaml:2",
    );
    await vi.waitFor(() => {
      expect(server.closed()).toBe(server.seen.length);
    });
  });
});
