/**
 * An account whose userName differs only in case from the one the files give, on the two real SCIM servers
 * of test/harness: SCIMMY, whose `userName eq` filter compares case-sensitively (RFC 7643 makes userName
 * caseExact false), and Better Auth, whose filter ignores case. A create adopts the account and a disable
 * finds it on both; Better Auth, and a look-up that finds the account, pay no request more.
 */
import { afterEach, describe, expect, it } from "vitest";
import { scimAdmin, userCreate } from "./scim-changes.ts";
import { scimContext, scimProviderConfig, startScimServer, type ScimServer } from "../harness/scim-server.ts";
import { startScimmyServer } from "../harness/scimmy-server.ts";
import { createScimProviderWith, type ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";
import type { ChangeOutcome } from "../../src/providers/types.ts";

const signal = (): AbortSignal => AbortSignal.timeout(25_000);
const DISCOVERY = 3;

const disable = (account: string): Change => ({
  provider: "saas",
  id: `user/${account}#disable`,
  kind: "user",
  action: "disable",
  account,
  reason: "user-terminated",
  risk: "narrows",
});

/** SCIMMY runs one server per process at a time (its resource types are module state): each test starts and stops its own. */
let server: ScimServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const { direct } = scimAdmin(() => {
  if (server === undefined) throw new Error("no server");
  return server;
});

/** An account made by hand in the app, as another admin would (with an externalId when given). */
async function madeByHand(userName: string, externalId?: string): Promise<void> {
  await direct("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    displayName: userName,
    active: true,
    ...(externalId === undefined ? {} : { externalId }),
  });
}

/** Every account on the server: userName, externalId, active. */
async function accounts(): Promise<{ userName: string; externalId?: string; active?: boolean }[]> {
  const listed = (await direct("GET", "/Users?count=100")) as unknown as {
    Resources: { userName: string; externalId?: string; active?: boolean }[];
  };
  return listed.Resources.map(({ userName, externalId, active }) => ({
    userName,
    ...(externalId === undefined ? {} : { externalId }),
    ...(active === undefined ? {} : { active }),
  })).sort((a, b) => a.userName.localeCompare(b.userName));
}

function connect(log: string[] = []): ScimProvider {
  if (server === undefined) throw new Error("no server");
  return createScimProviderWith(
    scimProviderConfig(server.baseUrl, { pageSize: 2 }),
    scimContext(server.token, log),
  );
}

/** Applies `changes`, and the reads (GET requests) and writes it took. */
async function applied(provider: ScimProvider, changes: Change[]) {
  const before = provider.stats();
  const outcomes = await provider.apply(changes, signal());
  const after = provider.stats();
  return { outcomes, reads: after.reads - before.reads, writes: after.writes - before.writes };
}

const statusOf = (outcomes: readonly ChangeOutcome[]) =>
  outcomes.map((o) => (o.status === "failed" ? `failed: ${o.error.message}` : o.status));

describe("an account whose userName differs only in case (SCIMMY: a case-sensitive userName filter)", () => {
  it("is adopted by a create, found by a look-up that lists the users once the server is seen to compare exactly", async () => {
    server = await startScimmyServer();
    await madeByHand("Bob@example.com");
    for (const name of ["ann", "cy", "dee"]) await madeByHand(`${name}@example.com`);
    const log: string[] = [];
    const provider = connect(log);
    // No read first (an apply's look-ups where the index is not loaded): the filter misses Bob, the POST
    // gets 409, and the look-up after it then asks how the filter compares and lists the users.
    const first = await applied(provider, [userCreate("bob")]);
    expect(statusOf(first.outcomes)).toEqual(["applied"]);
    expect(first.outcomes[0]?.status === "applied" && first.outcomes[0].confirmation).toMatch(
      /^matched existing SCIM user /,
    );
    // Discovery; the filter; after the 409, the filter again, externalId; the question (first user, then its
    // name in another case); the list of 4 users two to a page (+ the empty page after a full last one).
    expect(first.reads).toBe(DISCOVERY + 1 + 2 + 2 + 3);
    expect(first.writes).toBe(2); // the POST refused, the PATCH adopting the account
    expect(log.filter((l) => l.includes("userName filter compares case-sensitively"))).toHaveLength(1);
    expect(await accounts()).toEqual([
      { userName: "ann@example.com", active: true },
      { userName: "bob@example.com", externalId: "bob", active: true },
      { userName: "cy@example.com", active: true },
      { userName: "dee@example.com", active: true },
    ]);

    // Made by hand after that list, in another case: the look-up lists again, without asking again.
    await madeByHand("EVE@example.com");
    const second = await applied(provider, [disable("eve@example.com")]);
    expect(statusOf(second.outcomes)).toEqual(["applied"]);
    expect(second.reads).toBe(1 + 3); // the filter, then the list of 5 users (3 pages)
    // Listed, ann is known by any case now: no request but the write.
    const third = await applied(provider, [disable("ANN@example.com")]);
    expect(statusOf(third.outcomes)).toEqual(["applied"]);
    expect([third.reads, third.writes]).toEqual([0, 1]);
    expect((await accounts()).filter((a) => a.active === false).map((a) => a.userName)).toEqual([
      "ann@example.com",
      "EVE@example.com",
    ]);
  });

  it("is found by a disable where the index is not loaded, and after a read by a create it collides with", async () => {
    server = await startScimmyServer();
    await madeByHand("Fay@example.com");
    const fresh = await applied(connect(), [disable("fay@example.com")]);
    expect(statusOf(fresh.outcomes)).toEqual(["applied"]);

    // After a read, an account is made by hand in another case before the apply: the create's 409.
    const provider = connect();
    await provider.read(signal());
    await madeByHand("GUS@example.com");
    const created = await applied(provider, [userCreate("gus")]);
    expect(statusOf(created.outcomes)).toEqual(["applied"]);
    expect(await accounts()).toEqual([
      { userName: "Fay@example.com", active: false },
      { userName: "gus@example.com", externalId: "gus", active: true },
    ]);
  });

  it("adopts the account holding the person's externalId under their name in another case, without a list", async () => {
    server = await startScimmyServer();
    // gatehouse made it for mia; someone spelt it otherwise in the app since.
    await madeByHand("Mia@example.com", "mia");
    const log: string[] = [];
    const created = await applied(connect(log), [userCreate("mia")]);
    expect(statusOf(created.outcomes)).toEqual(["applied"]);
    // The filter, the 409, the filter again, externalId: found there, no question and no list.
    expect([created.reads, created.writes]).toEqual([DISCOVERY + 1 + 2, 2]);
    expect(log).toEqual([]);
    expect(await accounts()).toEqual([{ userName: "mia@example.com", externalId: "mia", active: true }]);
  });

  it("costs nothing more where the account is new, or where the filter finds it", async () => {
    server = await startScimmyServer();
    await madeByHand("hal@example.com");
    const provider = connect();
    // A new account: the filter, the POST. No question asked.
    const created = await applied(provider, [userCreate("ivy")]);
    expect(statusOf(created.outcomes)).toEqual(["applied"]);
    expect([created.reads, created.writes]).toEqual([DISCOVERY + 1, 1]);
    // Spelt as the server has it: the filter finds it.
    const found = await applied(provider, [disable("hal@example.com")]);
    expect([found.reads, found.writes]).toEqual([1, 1]);
  });

  it("is still an error where there is no such account, in words", async () => {
    server = await startScimmyServer();
    await madeByHand("jo@example.com");
    const provider = connect();
    const missing = await applied(provider, [disable("kim@example.com")]);
    expect(statusOf(missing.outcomes)).toEqual([
      'failed: saas: find user "kim@example.com": no SCIM user with userName "kim@example.com"',
    ]);
    expect(missing.reads).toBe(DISCOVERY + 1 + 2 + 1);
  });
});

describe("an account whose userName differs only in case (Better Auth: the filter ignores case)", () => {
  it("is adopted by a create and found by a disable through the filter, at no request more", async () => {
    server = await startScimServer();
    await madeByHand("Bob@example.com");
    await madeByHand("Cy@example.com");
    const provider = connect();
    const created = await applied(provider, [userCreate("bob")]);
    expect(statusOf(created.outcomes)).toEqual(["applied"]);
    expect([created.reads, created.writes]).toEqual([DISCOVERY + 1, 1]); // the filter, the PATCH
    const disabled = await applied(provider, [disable("cy@example.com")]);
    expect(statusOf(disabled.outcomes)).toEqual(["applied"]);
    expect([disabled.reads, disabled.writes]).toEqual([1, 1]);
    expect(await accounts()).toEqual([
      { userName: "bob@example.com", externalId: "bob", active: true },
      { userName: "Cy@example.com", active: false },
    ]);
    // The filter found Bob as bob: it ignores case, so a missing account is taken at its word, unasked.
    const missing = await applied(provider, [disable("kim@example.com")]);
    expect(statusOf(missing.outcomes)).toEqual([
      'failed: saas: find user "kim@example.com": no SCIM user with userName "kim@example.com"',
    ]);
    expect(missing.reads).toBe(1);
  });

  it("answers a missing account after asking once how the filter compares, and never lists the users", async () => {
    server = await startScimServer();
    await madeByHand("dan@example.com");
    const provider = connect();
    const first = await applied(provider, [disable("kim@example.com")]);
    expect(statusOf(first.outcomes)).toEqual([
      'failed: saas: find user "kim@example.com": no SCIM user with userName "kim@example.com"',
    ]);
    expect(first.reads).toBe(DISCOVERY + 1 + 2); // the filter; the question (a user, its name in capitals)
    const second = await applied(provider, [disable("lou@example.com")]);
    expect(statusOf(second.outcomes)).toEqual([
      'failed: saas: find user "lou@example.com": no SCIM user with userName "lou@example.com"',
    ]);
    expect(second.reads).toBe(1); // taken at its word from then on
  });
});
