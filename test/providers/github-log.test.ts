import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedTeam } from "../harness/fake-github/index.ts";
import { addMember, change, createOrgFactory } from "../harness/github-orgs.ts";
import { createTestGithubProvider } from "../harness/github-provider.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "log");

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("github: what the provider logs and counts of its requests (trials L2, L1)", () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("logs no expected 404 (the removal's read-back) as an error", async () => {
    const { provider, logs } = await orgWith({ members: ["dora"] });
    await provider.read(signal());
    const disable = change({ kind: "user", action: "disable", account: "dora", risk: "narrows" });
    expect((await provider.apply([disable], signal()))[0]?.status).toBe("applied");
    expect(logs.filter((l) => /404|with id/.test(l))).toEqual([]);
  });

  it("logs a retried 5xx with the status GitHub sent, and nothing made up for the try that worked", async () => {
    const { provider, org, logs } = await orgWith({ members: ["ana"] });
    seedTeam(gh.fake, org, { name: "ops" });
    await provider.read(signal());
    gh.fake.injectFault({ count: 1, status: 502, match: (method) => method === "PUT" });
    const before = provider.stats();
    expect((await provider.apply([addMember("ops", "ana")], signal()))[0]?.status).toBe("applied");
    // Trial L1: what was sent, the 502'd try included, and the try sent again counted as a retry.
    const after = provider.stats();
    expect({ writes: after.writes - before.writes, retries: after.retries - before.retries }).toEqual({
      writes: 2,
      retries: 1,
    });
    expect(logs).toEqual([`github: PUT /orgs/${org}/teams/ops/memberships/ana: GitHub answered 502`]);
  });

  it("says a refused connection got no answer, not that GitHub answered 500", async () => {
    const setup = await createTestGithubProvider(`http://127.0.0.1:${String(await closedPort())}`, {
      maxRetries: 0,
    });
    try {
      const failure = await setup.provider.read(signal()).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(failure).toMatch(/no answer from GitHub \(.*ECONNREFUSED/);
      expect(failure).not.toMatch(/answered 500/);
      expect(setup.logs.join("\n")).toMatch(/github: GET \/user: no answer \(connect ECONNREFUSED/);
      expect(setup.logs.join("\n")).not.toMatch(/500/);
    } finally {
      await setup.close();
    }
  });
});
