/**
 * The CLI end to end against a real SCIM 2.0 service provider (Better Auth's SCIM plugin), seen through a
 * request-logging proxy so the test counts what gatehouse really sent: apply, converge, adoption of an
 * account made before gatehouse, and a leaver, all through `main([...], io)` in a temp git repository.
 * All but three run against a second server too (SCIMMY with scimmy-routers).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { isRecord } from "../../../src/audit/change-shape.ts";
import { startFaultProxy, type FaultProxy } from "../../harness/fault-proxy.ts";
import { startScimServer, type ScimServer } from "../../harness/scim-server.ts";
import { startScimmyServer } from "../../harness/scimmy-server.ts";
import { list, scim, usersNamed } from "./scim-calls.ts";
import {
  allOutput,
  applyCalls,
  changeLines,
  createConnectorRepo,
  journalLength,
  noteMessages,
  terminate,
  type ConnectorRepo,
  USERS_FILE,
} from "./workspace.ts";

const TOKEN_ENV = "GATEHOUSE_SCIM_TOKEN";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

interface Setup {
  readonly server: ScimServer;
  readonly proxy: FaultProxy;
  readonly repo: ConnectorRepo;
}

const ADA = "ada.lovelace@example.com";
const BEN = "ben.okafor@example.com";
const CLEO = "cleo.park@example.com";
const DEVI = "devi.rao@example.com";
const ELI = "eli.moss@example.com";
const ADA_NEW = "ada.king@example.com";
const BEN_NEW = "ben.o@example.com";

const open: Setup[] = [];
afterEach(async () => {
  for (const { server, proxy, repo } of open.splice(0)) {
    await repo.remove();
    await proxy.close();
    await server.close();
  }
});

/**
 * The two managers, ada and eli, have accounts from before gatehouse (made through the SCIM API, with a
 * stale display name), so gatehouse adopts them and can point their reports' manager at them.
 */
async function setup(
  extraYaml = "",
  deleteUsers = false,
  start: () => Promise<ScimServer> = startScimServer,
): Promise<Setup> {
  const server = await start();
  for (const account of [
    { userName: ADA, displayName: "A. Lovelace" },
    { userName: ELI, displayName: "E. Moss" },
  ]) {
    await scim(server, "POST", "/Users", { schemas: [USER_SCHEMA], ...account });
  }
  const proxy = await startFaultProxy(server.baseUrl);
  const repo = await createConnectorRepo({
    provider: {
      name: "saas",
      yaml: `    type: scim
    mode: authoritative
    baseUrl: ${proxy.baseUrl}
    tokenEnv: ${TOKEN_ENV}
    accountName: email
    deleteUsers: ${String(deleteUsers)}
${extraYaml}`,
    },
    env: { [TOKEN_ENV]: server.token },
  });
  const s = { server, proxy, repo };
  open.push(s);
  return s;
}

/** Group displayName → the userNames of its members, read straight from the server. */
async function groupMembers(server: ScimServer): Promise<Map<string, string[]>> {
  const users = await list(server, "/Users?count=100");
  const nameOf = new Map(users.map((u) => [String(u["id"]), String(u["userName"])]));
  const out = new Map<string, string[]>();
  for (const group of await list(server, "/Groups?count=100")) {
    const members = Array.isArray(group["members"]) ? group["members"].filter(isRecord) : [];
    out.set(
      String(group["displayName"]),
      members.map((m) => nameOf.get(String(m["value"])) ?? `?${String(m["value"])}`).sort(),
    );
  }
  return out;
}

const writesSince = (proxy: FaultProxy, since: number): string[] =>
  proxy.seen.slice(since).flatMap((r) => (r.method === "GET" ? [] : [`${r.method} ${r.path}`]));

/** The "N read call(s)" a plan's text output gives for the scim provider. */
function planReadCalls(stdout: string): number | undefined {
  const match = /^saas \(scim, authoritative\): .*; (\d+) read call\(s\)$/m.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

function expectNoSecret(repo: ConnectorRepo, server: ScimServer): void {
  expect(repo.runs.length).toBeGreaterThan(0);
  expect(allOutput(repo)).not.toContain(server.token);
}

describe.each([
  { server: "Better Auth", start: startScimServer },
  { server: "SCIMMY", start: startScimmyServer },
])("gatehouse CLI against a SCIM 2.0 server ($server)", { tags: ["slow"] }, ({ start: startServer }) => {
  it("provisions group members and flattened nested groups, plans no changes, and a second apply sends no write", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    const start = proxy.seen.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stderr).not.toContain("error");
    expect(applied.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
    expect(applied.code).toBe(0);
    const calls = applyCalls(applied.stdout, "saas");
    expect(calls?.reads).toBeGreaterThan(0);
    // The summary counts exactly the write requests the server saw.
    expect(calls?.writes).toBe(writesSince(proxy, start).length);
    expect(calls?.writes).toBeGreaterThanOrEqual(7); // 3 users created, 2 adopted, 4 groups at least

    // users: members (the scim default): only people who hold a group get an account; fay left.
    const users = await list(server, "/Users?count=100");
    expect(users.map((u) => String(u["userName"])).sort()).toEqual([ADA, BEN, CLEO, DEVI, ELI]);
    const idOf = (userName: string): unknown => users.find((u) => u["userName"] === userName)?.["id"];
    const ben = users.find((u) => u["userName"] === BEN);
    expect(ben?.[ENTERPRISE]).toMatchObject({ department: "ENG", manager: { value: idOf(ADA) } });
    expect(Object.fromEntries(await groupMembers(server))).toEqual({
      "app-ledger-read": [BEN, DEVI, ELI],
      "dept-eng-read": [ADA, BEN, CLEO],
      // SCIM cannot nest: team-oncall-write's members are listed in team-eng-write too.
      "team-eng-write": [ADA, BEN, CLEO],
      "team-oncall-write": [BEN, CLEO],
    });

    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);

    const entries = await journalLength(repo);
    const before = proxy.seen.length;
    const second = await repo.run(["apply", "--yes"]);
    expect(second.stdout).toContain("No changes.");
    expect(second.code).toBe(0);
    expect(writesSince(proxy, before)).toEqual([]);
    expect(proxy.seen.length).toBeGreaterThan(before); // it did read
    // Only the record of a run that found nothing to change: its apply-start and apply-end.
    expect(await journalLength(repo)).toBe(entries + 2);
    expectNoSecret(repo, server);
  });

  it("adopts an account created through the SCIM API before the first apply instead of creating a duplicate", async () => {
    const { server, repo } = await setup("", false, startServer);
    await scim(server, "POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: CLEO,
      displayName: "C. Park (imported)",
      emails: [{ value: CLEO, type: "work", primary: true }],
    });

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const lines = changeLines(planned.stdout);
    expect(lines.filter((l) => l.startsWith("user.")).sort()).toEqual([
      `user.create saas:user/${BEN} added-in-config`,
      `user.create saas:user/${DEVI} added-in-config`,
      `user.update saas:user/${ADA} added-in-config`,
      `user.update saas:user/${CLEO} added-in-config`,
      `user.update saas:user/${ELI} added-in-config`,
    ]);

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    const users = await list(server, "/Users?count=100");
    expect(users.map((u) => String(u["userName"])).sort()).toEqual([ADA, BEN, CLEO, DEVI, ELI]);
    const cleo = await usersNamed(server, CLEO);
    expect(cleo).toHaveLength(1);
    expect(cleo[0]?.["displayName"]).toBe("Cleo Park");
    expect((await groupMembers(server)).get("team-oncall-write")).toEqual([BEN, CLEO]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("deactivates a terminated person and removes them from every group", async () => {
    const { server, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await terminate(repo, "ben");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(changeLines(planned.stdout)).toEqual(
      [
        `user.disable saas:user/${BEN} user-terminated`,
        `membership.remove saas:membership/app-ledger-read/${BEN} user-terminated`,
        `membership.remove saas:membership/dept-eng-read/${BEN} user-terminated`,
        `membership.remove saas:membership/team-eng-write/${BEN} user-terminated`,
        `membership.remove saas:membership/team-oncall-write/${BEN} user-terminated`,
      ].sort(),
    );

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 5 applied, 0 failed, 0 skipped");
    // Read back from the SCIM server afterwards; SCIM cannot revoke sessions, and the check says so.
    expect(applied.stdout).toContain(
      `  clean saas: ${BEN} (ben): account disabled, in no group, sessions: cannot be revoked or checked here\n`,
    );
    expect(applied.code).toBe(0);

    const ben = await usersNamed(server, BEN);
    expect(ben).toHaveLength(1); // deactivated, not deleted (deleteUsers: false)
    expect(ben[0]?.["active"]).toBe(false);
    for (const [group, members] of await groupMembers(server)) {
      expect({ group, holdsBen: members.includes(BEN) }).toEqual({ group, holdsBen: false });
    }

    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("renames a person's account in place when their e-mail changes: same account, same groups, one apply", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    const [ada] = await usersNamed(server, ADA);
    // ada manages ben and cleo: the manager of both is the account renamed.
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.edit(USERS_FILE, ADA, ADA_NEW);
    await repo.commit("ben's and ada's e-mails change");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      `user.update saas:user/${ADA} added-in-config`,
      `user.update saas:user/${BEN} added-in-config`,
    ]);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toContain(`rename user ${BEN} to ${BEN_NEW}: email "${BEN}" → "${BEN_NEW}"`);
    // Nothing is taken away: no change narrows access, and the guard rails count no removal.
    expect(JSON.parse(planned.stdout)).toMatchObject({ summary: { narrows: 0 } });
    const start = proxy.seen.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 2 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    expect(writesSince(proxy, start).sort()).toEqual(
      [ada, ben].map((u) => `PATCH ${new URL(server.baseUrl).pathname}/Users/${String(u?.["id"])}`).sort(),
    );

    const users = await list(server, "/Users?count=100");
    expect(users.map((u) => String(u["userName"])).sort()).toEqual(
      [ADA_NEW, BEN_NEW, CLEO, DEVI, ELI].sort(),
    );
    const renamed = users.find((u) => u["userName"] === BEN_NEW);
    expect(renamed).toMatchObject({ id: ben?.["id"], externalId: "ben", active: true });
    expect(renamed?.[ENTERPRISE]).toMatchObject({ manager: { value: ada?.["id"] } });
    const rename = (name: string): string => (name === BEN ? BEN_NEW : name === ADA ? ADA_NEW : name);
    expect(Object.fromEntries(await groupMembers(server))).toEqual(
      Object.fromEntries([...before].map(([group, members]) => [group, members.map(rename).sort()])),
    );

    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    // The journal knows ben's membership since it was granted, under the account's new name.
    const access = await repo.run(["journal", "access", "team-oncall-write", "--at", "2030-01-01"]);
    expect(access.stdout).toContain(`  ${BEN_NEW} (ben)  since`);
    expect(access.stdout).not.toContain(BEN);
    expectNoSecret(repo, server);
  });

  it("renames and enables a former account that an earlier run deactivated and took out of its groups", async () => {
    const { server, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    // What an apply before the old account was kept left: ben's account deactivated, out of every group.
    await scim(server, "PATCH", `/Users/${String(ben?.["id"])}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: false }],
    });
    for (const group of await list(server, "/Groups?count=100"))
      await scim(server, "PATCH", `/Groups/${String(group["id"])}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "remove", path: `members[value eq "${String(ben?.["id"])}"]` }],
      });
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.commit("ben's e-mail changes");
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    const users = await usersNamed(server, BEN_NEW);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ id: ben?.["id"], active: true });
    const rename = (name: string): string => (name === BEN ? BEN_NEW : name);
    expect(Object.fromEntries(await groupMembers(server))).toEqual(
      Object.fromEntries([...before].map(([group, members]) => [group, members.map(rename).sort()])),
    );
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("keeps a person's account enabled and in its groups when the server refuses to rename it", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.commit("ben's e-mail changes");
    proxy.inject({
      fault: { kind: "status", status: 400 },
      times: 1,
      match: (method, path) => method === "PATCH" && path.includes("/Users/"),
    });
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("Apply complete: 0 applied, 1 failed, 0 skipped");
    const [ben] = await usersNamed(server, BEN);
    expect(ben?.["active"]).toBe(true);
    expect(await groupMembers(server)).toEqual(before);

    // The next run renames it.
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(await usersNamed(server, BEN)).toEqual([]);
    expect((await usersNamed(server, BEN_NEW))[0]?.["id"]).toBe(ben?.["id"]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("renames ben's account when a new hire takes his former address in the same commit, and makes the new hire's own account after it", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    // gus joins with the address ben had; ben's e-mail changes.
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      `  - id: gus\n    name: Gus Ode\n    email: ${BEN}\n    department: FIN\n    title: Analyst\n    startDate: 2026-11-02\n\n  - id: gatehouse-bot\n`,
    );
    await repo.edit("access/groups/groups.yaml", "      - devi\n", "      - devi\n      - gus\n");
    await repo.commit("gus takes ben's former address; ben's changes");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      `membership.add saas:membership/app-ledger-read/${BEN} added-in-config`,
      `user.create saas:user/${BEN} added-in-config`,
      `user.update saas:user/${BEN} added-in-config`,
    ]);
    const create = (JSON.parse(planned.stdout) as { changes: Record<string, unknown>[] }).changes.find(
      (c) => c["action"] === "create",
    );
    expect(create).toMatchObject({
      userId: "gus",
      why: [`${BEN} was the account of ben, renamed to ${BEN_NEW} first: a new account is made for gus`],
    });
    const start = proxy.seen.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 3 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    // ben's account is renamed before gus's is made under the name it frees.
    const writes = writesSince(proxy, start);
    const base = new URL(server.baseUrl).pathname;
    expect(writes[0]).toBe(`PATCH ${base}/Users/${String(ben?.["id"])}`);
    expect(writes[1]).toBe(`POST ${base}/Users`);

    const [renamed] = await usersNamed(server, BEN_NEW);
    expect(renamed).toMatchObject({ id: ben?.["id"], externalId: "ben", active: true });
    const [gus] = await usersNamed(server, BEN);
    expect(gus).toMatchObject({ externalId: "gus", displayName: "Gus Ode", active: true });
    expect(gus?.["id"]).not.toBe(ben?.["id"]);
    // ben keeps his groups under his new name; gus has only the one the files give him.
    const after = await groupMembers(server);
    for (const [group, members] of before) {
      const expected = members.map((m) => (m === BEN ? BEN_NEW : m));
      if (group === "app-ledger-read") expected.push(BEN);
      expect({ group, members: after.get(group) }).toEqual({ group, members: expected.sort() });
    }
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    // The journal keeps them apart: ben's grant under his new name, gus's membership as gus's.
    const access = await repo.run(["journal", "access", "app-ledger-read", "--at", "2026-12-01"]);
    expect(access.stdout).toContain(`  ${BEN_NEW} (ben)  since`);
    expect(access.stdout).toContain(`  ${BEN} (gus)  since`);
    // Two changes of one run share the address saas:user/<ben's former address>: the journal is whole.
    const verified = await repo.run(["journal", "verify"]);
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("renames ben's account when a new hire who holds no group yet takes his former address (users: members)", async () => {
    const { server, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      `  - id: gus\n    name: Gus Ode\n    email: ${BEN}\n    department: FIN\n    startDate: 2026-11-02\n\n  - id: gatehouse-bot\n`,
    );
    await repo.commit("gus, in no group yet, takes ben's former address; ben's changes");

    const planned = await repo.run(["plan", "--format", "json"]);
    // Not "the account of gus, who holds none of saas's groups": ben's, renamed in place.
    expect(changeLines(planned.stdout)).toEqual([`user.update saas:user/${BEN} added-in-config`]);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect((await usersNamed(server, BEN_NEW))[0]).toMatchObject({ id: ben?.["id"], active: true });
    expect(await usersNamed(server, BEN)).toEqual([]);
    const after = await groupMembers(server);
    for (const [group, members] of before)
      expect({ group, members: after.get(group) }).toEqual({
        group,
        members: members.map((m) => (m === BEN ? BEN_NEW : m)).sort(),
      });
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("makes no account for the new hire when ben's rename fails: ben keeps his, and gus gets nothing of his", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    await repo.edit(USERS_FILE, BEN, BEN_NEW);
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      `  - id: gus\n    name: Gus Ode\n    email: ${BEN}\n    department: FIN\n    startDate: 2026-11-02\n\n  - id: gatehouse-bot\n`,
    );
    await repo.edit("access/groups/groups.yaml", "      - devi\n", "      - devi\n      - gus\n");
    await repo.commit("gus takes ben's former address; ben's changes");
    proxy.inject({
      fault: { kind: "status", status: 400 },
      times: 1,
      match: (method, path) => method === "PATCH" && path.includes("/Users/"),
    });
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("Apply complete: 0 applied, 1 failed, 2 skipped");
    expect(await usersNamed(server, BEN)).toMatchObject([
      { id: ben?.["id"], externalId: "ben", active: true },
    ]);
    expect(await groupMembers(server)).toEqual(before);

    // The next run renames ben's account, then makes gus's.
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect((await usersNamed(server, BEN_NEW))[0]?.["id"]).toBe(ben?.["id"]);
    expect((await usersNamed(server, BEN))[0]).toMatchObject({ externalId: "gus" });
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("with deleteUsers: true, deletes a terminated person's account (after taking it out of every group)", async () => {
    const { server, repo } = await setup("", true, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await terminate(repo, "ben");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toContain(`user.delete saas:user/${BEN} user-terminated`);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 5 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(`  clean saas: ${BEN} (ben): account gone, in no group`);
    expect(applied.code).toBe(0);
    expect(await usersNamed(server, BEN)).toEqual([]);
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
  });

  it("with deleteUsers turned on later, deletes a leaver deactivated before, and still only deactivates an account no one holds", async () => {
    const { server, repo } = await setup("", false, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await scim(server, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "temp@example.com" });
    await terminate(repo, "ben");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect((await usersNamed(server, BEN))[0]?.["active"]).toBe(false);
    expect((await usersNamed(server, "temp@example.com"))[0]?.["active"]).toBe(false);

    await repo.edit("access/gatehouse.yaml", "deleteUsers: false", "deleteUsers: true");
    await repo.commit("leavers' accounts are deleted from now on");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([`user.delete saas:user/${BEN} user-terminated`]);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 1 applied, 0 failed, 0 skipped");
    expect(await usersNamed(server, BEN)).toEqual([]);
    expect((await usersNamed(server, "temp@example.com"))[0]?.["active"]).toBe(false);
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
  });

  it("with readCache, a plan with nothing changed reads incrementally from the last run's snapshot, and drift still shows", async () => {
    // No clock margin (one server process): each read looks back to the second its last read began.
    const { server, proxy, repo } = await setup(
      "    readCache: true\n    pageSize: 2\n    clockMarginSeconds: 0\n",
      false,
      startServer,
    );
    // Better Auth refuses meta.lastModified filters: the proxy answers them from the server's lists.
    proxy.inject({ fault: { kind: "filter-last-modified" }, times: 1_000_000 });
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // The apply's writes are then a second older than the next read's start, and not read again.
    await sleep(1_050 - (Date.now() % 1_000));

    const full = await repo.run(["plan", "--detailed-exitcode"]);
    expect(full.stdout).toContain("No changes.");
    // The apply's snapshot (2 users, no groups, as read before its writes) is cheaper to read in full:
    // 3 discovery requests; 5 users: 3 pages; 4 groups: 2 full pages and an empty one.
    expect(planReadCalls(full.stdout)).toBe(3 + 3 + 3);
    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
    // 3 discovery requests, then changed users, user total, changed groups, group total.
    expect(planReadCalls(again.stdout)).toBe(3 + 4);
    expect(repo.runs.some((r) => /does not filter|not using the read cache/.test(r.stderr))).toBe(false);

    // Drift made on the server between runs shows up in the next incremental plan.
    const groups = await list(server, "/Groups?count=100");
    const oncall = groups.find((g) => g["displayName"] === "team-oncall-write");
    const [cleo] = await usersNamed(server, CLEO);
    await scim(server, "PATCH", `/Groups/${String(oncall?.["id"])}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "remove", path: `members[value eq "${String(cleo?.["id"])}"]` }],
    });
    const drift = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(drift.stdout)).toEqual([
      `membership.add saas:membership/team-oncall-write/${CLEO} drift`,
    ]);
    expectNoSecret(repo, server);
  });
});

// What these rely on is Better Auth's own: it keeps externalIds unique, and its userName filter ignores
// case (RFC 7643 makes userName caseExact false; SCIMMY's filter compares it exactly, and its test store
// does not keep externalIds unique).
describe("gatehouse CLI against Better Auth's SCIM plugin", { tags: ["slow"] }, () => {
  const startServer = startScimServer;
  it("knows ben's account under the journal's spelling in another case when gus takes his former address", async () => {
    const { server, repo } = await setup("", false, startServer);
    // ben's address was spelt Ben.Okafor@ when gatehouse made his account: the journal holds that spelling.
    const BEN_CAPS = "Ben.Okafor@example.com";
    await repo.edit(USERS_FILE, BEN, BEN_CAPS);
    await repo.commit("ben's address as HR spelt it");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const [ben] = await usersNamed(server, BEN);
    await repo.edit(USERS_FILE, BEN_CAPS, BEN_NEW);
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      `  - id: gus\n    name: Gus Ode\n    email: ${BEN}\n    department: FIN\n    startDate: 2026-11-02\n\n  - id: gatehouse-bot\n`,
    );
    await repo.edit("access/groups/groups.yaml", "      - devi\n", "      - devi\n      - gus\n");
    await repo.commit("gus takes ben's former address, spelt in lower case; ben's changes");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      `membership.add saas:membership/app-ledger-read/${BEN} added-in-config`,
      `user.create saas:user/${BEN} added-in-config`,
      `user.update saas:user/${BEN} added-in-config`,
    ]);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 3 applied, 0 failed, 0 skipped");
    // ben's account is renamed, not handed to gus; gus's is a new one.
    expect((await usersNamed(server, BEN_NEW))[0]).toMatchObject({ id: ben?.["id"], externalId: "ben" });
    const [gus] = await usersNamed(server, BEN);
    expect(gus).toMatchObject({ externalId: "gus", displayName: "Gus Ode" });
    expect(gus?.["id"]).not.toBe(ben?.["id"]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("never hands a person's access to an account that was given their externalId", async () => {
    const { server, repo } = await setup("", true, startServer);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const before = await groupMembers(server);
    const [ben] = await usersNamed(server, BEN);
    // An app admin renames ben's account away and strips its externalId, and gives their own ben's id.
    await scim(server, "PATCH", `/Users/${String(ben?.["id"])}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [
        { op: "replace", path: "userName", value: "ben.real@example.com" },
        { op: "replace", path: "externalId", value: "not-ben" },
      ],
    });
    await scim(server, "POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: "mallory@evil.example",
      displayName: "Mallory",
      externalId: "ben",
    });

    const applied = await repo.run(["apply", "--yes", "--allow-removals", "100"]);
    // ben's account cannot be made: the server keeps externalIds unique, and gatehouse takes none over.
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("gatehouse does not take that account over");
    // mallory's account is a stranger's to gatehouse: disabled in authoritative mode, not renamed to ben.
    const [mallory] = await usersNamed(server, "mallory@evil.example");
    expect(mallory?.["active"]).toBe(false);
    expect(await usersNamed(server, BEN)).toEqual([]);
    // Nothing of ben's reached mallory; ben's own account is disabled (a stranger now), never deleted.
    for (const [group, members] of await groupMembers(server))
      expect({ group, mallory: members.includes("mallory@evil.example") }).toEqual({ group, mallory: false });
    const [real] = await usersNamed(server, "ben.real@example.com");
    expect(real?.["active"]).toBe(false);
    expect(before.size).toBeGreaterThan(0);
  });

  it("never hands an account whose externalId names another person in the files to the newcomer the files give its name to (no journal record yet)", async () => {
    const { server, proxy, repo } = await setup("", false, startServer);
    const JDOE = "jdoe@example.com";
    // Before gatehouse's first run, the app holds cleo's account under jdoe@ (its externalId is cleo), and
    // devi's under her address with an externalId from an earlier tool, which names nobody in the files.
    const cleosAccount = await scim(server, "POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: JDOE,
      displayName: "Cleo Park",
      externalId: "cleo",
    });
    await scim(server, "POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: DEVI,
      displayName: "D. Rao",
      externalId: "00u-legacy-devi",
    });
    // john, new, is given the address jdoe@, and a group.
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      `  - id: john\n    name: John Doe\n    email: ${JDOE}\n    department: ENG\n    startDate: 2026-11-02\n\n  - id: gatehouse-bot\n`,
    );
    await repo.edit(
      "access/groups/groups.yaml",
      "members: [ben, cleo, fay]",
      "members: [ben, cleo, fay, john]",
    );
    await repo.commit("john joins with the address jdoe@");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const lines = changeLines(planned.stdout);
    // Nothing for john on cleo's account: no update, enable or group; no second jdoe@ either.
    expect(lines.filter((l) => l.includes(JDOE))).toEqual([`user.disable saas:user/${JDOE} not-in-config`]);
    expect(lines).toContain(`user.create saas:user/${CLEO} added-in-config`);
    // An externalId naming nobody in the files: devi's account is paired by name, as before.
    expect(lines).toContain(`user.update saas:user/${DEVI} added-in-config`);
    const plan = JSON.parse(planned.stdout) as { changes: Record<string, unknown>[] };
    expect(plan.changes.find((c) => c["id"] === `saas:user/${JDOE}`)).toMatchObject({
      userId: "cleo",
      why: [expect.stringContaining(`disabled once ${CLEO} exists`)],
    });
    expect(noteMessages(planned.stdout)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^account ${JDOE} in saas is recorded there as cleo's .* but the files give ${JDOE} to john: gatehouse does not hand it to john`,
        ),
      ),
    );

    const start = proxy.seen.length;
    const applied = await repo.run(["apply", "--yes"]);
    // Better Auth keeps externalIds unique: cleo's new account is refused, and hers is kept as it is
    // (its disable waited for the new one, and is skipped).
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain(
      `the server refuses a second account with externalId "cleo": "${JDOE}" has it`,
    );
    expect(applied.stdout).toMatch(new RegExp(`skipped: creating user/${CLEO.replace(/\./g, "\\.")} failed`));
    const patched = proxy.seen
      .slice(start)
      .filter(
        (r) =>
          r.method === "PATCH" &&
          r.path.endsWith(`/Users/${String((cleosAccount as Record<string, unknown>)["id"])}`),
      );
    expect(patched).toEqual([]);
    const held = await usersNamed(server, JDOE);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      id: (cleosAccount as Record<string, unknown>)["id"],
      externalId: "cleo",
      displayName: "Cleo Park",
      active: true,
    });
    for (const [group, members] of await groupMembers(server))
      expect({ group, holdsJdoe: members.includes(JDOE) }).toEqual({ group, holdsJdoe: false });
    expect((await usersNamed(server, DEVI))[0]).toMatchObject({
      externalId: "devi",
      displayName: "Devi Rao",
    });

    // The note's advice: cleo's account renamed to her address in the app. Then cleo has it, with her
    // groups, and john gets a new account of his own under the name it freed.
    await scim(server, "PATCH", `/Users/${String((cleosAccount as Record<string, unknown>)["id"])}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "userName", value: CLEO }],
    });
    const second = await repo.run(["apply", "--yes"]);
    expect(second.stdout).toContain("0 failed, 0 skipped");
    expect(second.code).toBe(0);
    expect((await usersNamed(server, CLEO))[0]).toMatchObject({
      id: (cleosAccount as Record<string, unknown>)["id"],
      externalId: "cleo",
    });
    const [john] = await usersNamed(server, JDOE);
    expect(john).toMatchObject({ externalId: "john", displayName: "John Doe", active: true });
    expect((await groupMembers(server)).get("team-oncall-write")).toEqual([BEN, CLEO, JDOE]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    expectNoSecret(repo, server);
  });
});
