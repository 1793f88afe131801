/**
 * The pull request client's account id lookup against the fake GitHub at the HTTP boundary: how many
 * requests GitHub receives for a login, known or not, in one run (one client).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGithub, type FakeGithub } from "../harness/fake-github/index.ts";
import { jsonAcceptFetch } from "../harness/github-provider.ts";
import { createPrClient, type PrClient } from "../../src/pr/github.ts";

const TOKEN = "ghp_prClientTestToken0123456789";

let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub();
  gh.state.addUser("carol-gh", { id: 5101 });
  gh.state.addUser("flaky-gh", { id: 5102 });
  gh.state.addToken(TOKEN, "carol-gh");
});
afterAll(async () => {
  await gh.close();
});

function newClient(log: (line: string) => void = () => undefined): PrClient {
  return createPrClient({ baseUrl: gh.url, token: TOKEN, fetch: jsonAcceptFetch, log });
}

/** The requests the fake received for `GET /users/{login}`. */
function lookupsOf(login: string): number {
  return gh.requests.filter((r) => r.method === "GET" && r.path === `/users/${login}`).length;
}

describe("PrClient.accountId", () => {
  it("asks GitHub once for a login it does not know, and does not try the 404 again", async () => {
    const lines: string[] = [];
    const client = newClient((line) => lines.push(line));
    expect(await client.accountId("ghost-gh")).toBeUndefined();
    expect(await client.accountId("ghost-gh")).toBeUndefined();
    expect(await client.accountId("Ghost-GH")).toBeUndefined();
    expect(lookupsOf("ghost-gh")).toBe(1);
    expect(lines.filter((l) => l.includes("/users/ghost-gh"))).toHaveLength(1);
  });

  it("asks GitHub once per run for a login that exists, however often it is asked", async () => {
    const client = newClient();
    const answers = await Promise.all([client.accountId("carol-gh"), client.accountId("carol-gh")]);
    expect(answers).toEqual([5101, 5101]);
    expect(await client.accountId("carol-gh")).toBe(5101);
    expect(lookupsOf("carol-gh")).toBe(1);
    // A new client is a new run: it asks again.
    expect(await newClient().accountId("carol-gh")).toBe(5101);
    expect(lookupsOf("carol-gh")).toBe(2);
  });

  it("still tries again after a 502, and keeps the answer it then got", async () => {
    gh.injectFault({ count: 1, status: 502, match: (_method, path) => path === "/users/flaky-gh" });
    const client = newClient();
    expect(await client.accountId("flaky-gh")).toBe(5102);
    expect(await client.accountId("flaky-gh")).toBe(5102);
    expect(lookupsOf("flaky-gh")).toBe(2);
  });
});
