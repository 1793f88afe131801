/**
 * policy.offboarding.webhooks: a real apply on the local provider tells a real HTTP server (node:http on
 * 127.0.0.1) of each leaver it offboarded, signed, retried on 5xx and not on 4xx (recorded as rejected),
 * and journalled.
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { WEBHOOK_ATTEMPTS } from "../../src/apply/offboard-webhooks.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";
import {
  deliverTo,
  queuedAnswers,
  startWebhookServer,
  type WebhookServer,
} from "../helpers/webhook-server.ts";

const SECRET = "whsec-7f3a9c1e5b2d-never-shown";
const NOW = new Date("2026-06-01T12:00:00Z");

const trees: AccessTree[] = [];
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A receiver answering each path with the next of its statuses (then 200), keeping every request. */
async function startServer(statuses: Record<string, number[]>): Promise<WebhookServer> {
  const server = await startWebhookServer(queuedAnswers(statuses));
  servers.push(server);
  return server;
}

async function run(cwd: string, argv: readonly string[]) {
  const { io, out, err } = captureIo(cwd, { GATEHOUSE_QUIET: "1", HOOK_SECRET: SECRET });
  const code = await main(argv, { ...io, now: () => NOW });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function treeWith(url: string): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 5 }\n  offboarding:\n    webhooks:\n" +
      `      - { name: hr, url: "${url}/hr", secretEnv: HOOK_SECRET, timeoutSeconds: 5 }\n` +
      `      - { name: tickets, url: "${url}/tickets" }\n`,
    "users/people.yaml":
      "users:\n  - { id: ann, name: Ann Lee, email: ann@example.com }\n" +
      "  - { id: bob, name: Bob Ray, email: bob@example.com, endDate: 2026-05-29 }\n",
    "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
  });
  trees.push(tree);
  return tree;
}

describe("offboarding webhooks", () => {
  it("tells each webhook of a leaver once offboarded: signed, 5xx retried, 4xx rejected, journalled", async () => {
    const server = await startServer({ "/hr": [500], "/tickets": [400] });
    const tree = await treeWith(server.url);
    const people = path.join(tree.dir, "users/people.yaml");
    const text = await readFile(people, "utf8");
    // bob still active: a run with no leaver sends nothing.
    await writeFile(people, text.replace(", endDate: 2026-05-29", ""));
    const first = await run(tree.cwd, ["apply", "--yes"]);
    expect(first.code).toBe(0);
    expect(server.received).toEqual([]);
    expect(first.stdout).not.toContain("Offboarding webhooks");

    await writeFile(people, text);
    const applied = await run(tree.cwd, ["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain("Offboarding webhooks: 2 delivery(ies), 1 delivered, 1 REJECTED.");
    expect(applied.stdout).toMatch(
      / {2}hr: bob delivered \(HTTP 200, 2 attempt\(s\), delivery [0-9a-f-]{36}\)/,
    );
    expect(applied.stdout).toMatch(/ {2}tickets: bob REJECTED \(HTTP 400, 1 attempt\(s\)/);
    expect(applied.stderr).toContain(
      "error: webhook tickets rejected the delivery telling it that bob was offboarded (HTTP 400); nothing was undone. Fix the receiver",
    );

    const hr = server.received.filter((r) => r.path === "/hr");
    const tickets = server.received.filter((r) => r.path === "/tickets");
    expect(hr).toHaveLength(2); // 500, then 200
    expect(tickets).toHaveLength(1); // 400: not again
    const [sent] = hr;
    if (sent === undefined) throw new Error("no request");
    expect(hr[1]?.headers["x-gatehouse-delivery"]).toBe(sent.headers["x-gatehouse-delivery"]);
    expect(sent.headers["x-gatehouse-signature"]).toBe(
      `sha256=${createHmac("sha256", SECRET).update(sent.body).digest("hex")}`,
    );
    expect(tickets[0]?.headers["x-gatehouse-signature"]).toBeUndefined();
    const body = JSON.parse(sent.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: "user.offboarded",
      userId: "bob",
      name: "Bob Ray",
      email: "bob@example.com",
      hrEvent: "endDate 2026-05-29 has passed",
      accounts: [{ system: "app", account: "bob", check: "clean", accountState: "disabled" }],
    });
    // Every system was reached: no list of those left out.
    expect(body).not.toHaveProperty("notReached");
    const journalText = await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8");
    const entries = journalText
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = entries.findLast((e) => e["type"] === "apply-start");
    expect(body["triggeredAt"]).toBe(start?.["at"]);
    const deliveries = entries.filter((e) => e["type"] === "webhook-delivered");
    // Called only once the run and its checks are recorded: after its apply-end.
    expect(entries.findIndex((e) => e["type"] === "webhook-delivered")).toBeGreaterThan(
      entries.findLastIndex((e) => e["type"] === "apply-end"),
    );
    expect(
      deliveries.map((d) => [d["webhook"], d["userId"], d["outcome"], d["status"], d["attempts"]]),
    ).toEqual([
      ["hr", "bob", "delivered", 200, 2],
      ["tickets", "bob", "rejected", 400, 1],
    ]);
    // The disable stands: a failed delivery undoes nothing.
    const app = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
      users: { account: string; enabled: boolean }[];
    };
    expect(app.users.find((u) => u.account === "bob")?.enabled).toBe(false);
    for (const where of [first.stdout, first.stderr, applied.stdout, applied.stderr, journalText])
      expect(where).not.toContain(SECRET);

    const verify = await run(tree.cwd, ["journal", "verify"]);
    expect(verify.code).toBe(0);
    const changes = await run(tree.cwd, ["journal", "changes", "--user", "bob"]);
    expect(changes.stdout).toContain("webhook hr: bob offboarded, delivered (HTTP 200, 2 attempt(s))");
    expect(changes.stdout).toContain("webhook tickets: bob offboarded, REJECTED (HTTP 400, 1 attempt(s))");
    expect(changes.stdout).toContain("and 2 webhook delivery(ies)");

    // The next run, with nothing to change, sends the failed delivery again: same id, same body.
    const again = await run(tree.cwd, ["apply", "--yes"]);
    expect(again.code).toBe(0);
    expect(server.received).toHaveLength(4);
    const resent = server.received[3];
    expect(resent?.path).toBe("/tickets");
    expect(resent?.headers["x-gatehouse-delivery"]).toBe(tickets[0]?.headers["x-gatehouse-delivery"]);
    expect(resent?.body).toBe(tickets[0]?.body);
    expect(again.stdout).toMatch(
      / {2}tickets: bob delivered \(HTTP 200, 1 attempt\(s\), delivery [0-9a-f-]{36}, sent again: journal #\d+ was not delivered\)/,
    );
    const later = (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failedEntry = later.find((e) => e["type"] === "webhook-delivered" && e["outcome"] === "rejected");
    const retried = later.findLast((e) => e["type"] === "webhook-delivered");
    expect(retried).toMatchObject({
      webhook: "tickets",
      outcome: "delivered",
      retryOf: failedEntry?.["seq"],
    });
    expect(retried?.["triggeredAt"]).toBe(start?.["at"]);
    expect(retried?.["body"]).toBeUndefined();
    expect((await run(tree.cwd, ["journal", "verify"])).code).toBe(0);

    // Delivered: the run after that sends nothing.
    const quiet = await run(tree.cwd, ["apply", "--yes"]);
    expect(quiet.code).toBe(0);
    expect(server.received).toHaveLength(4);
    expect(quiet.stdout).not.toContain("Offboarding webhooks");
  });

  it("offboards when a secretEnv is not set, owes that webhook its delivery unsent, and sends it signed once set", async () => {
    const server = await startServer({});
    const tree = await treeWith(server.url);
    const people = path.join(tree.dir, "users/people.yaml");
    const text = await readFile(people, "utf8");
    await writeFile(people, text.replace(", endDate: 2026-05-29", ""));
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    await writeFile(people, text);
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1" });
    const code = await main(["apply", "--yes"], { ...io, now: () => NOW });
    expect(code).toBe(1);
    // bob is offboarded all the same: a variable missing from a workflow must not keep leavers' access.
    const directory = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
      users: { account: string; enabled: boolean }[];
      groups: { name: string; members: string[] }[];
    };
    expect(directory.users.find((u) => u.account === "bob")?.enabled).toBe(false);
    expect(directory.groups.find((g) => g.name === "ops")?.members).toEqual(["ann"]);
    expect(out.join("") + err.join("")).toContain(
      "not sent: environment variable HOOK_SECRET (secretEnv) is not set; it must hold the signing secret",
    );
    // Nothing was attempted: the error says so, not "the signing secret after 0 attempt(s)".
    expect(err.join("")).toContain(
      "error: webhook hr was not told that bob was offboarded (not sent: environment variable HOOK_SECRET (secretEnv) is not set; it must hold the signing secret); nothing was undone;",
    );
    // Never sent unsigned; the other webhook, which has no secret, is told.
    expect(server.received.map((r) => r.path)).toEqual(["/tickets"]);

    // The next apply, with the variable set, sends the owed delivery, signed.
    const again = await run(tree.cwd, ["apply", "--yes"]);
    expect(again.code).toBe(0);
    const hr = server.received.filter((r) => r.path === "/hr");
    expect(hr).toHaveLength(1);
    expect(hr[0]?.headers["x-gatehouse-signature"]).toBe(
      `sha256=${createHmac("sha256", SECRET)
        .update(hr[0]?.body ?? "")
        .digest("hex")}`,
    );
  });

  it("names in the body the systems the run left out, where the leaver was neither offboarded nor checked", async () => {
    const server = await startServer({});
    const tree = await treeWith(server.url);
    const config = path.join(tree.dir, "gatehouse.yaml");
    // A second system whose token variable is not set on this machine: apply leaves it out (exit 1).
    await writeFile(
      config,
      (await readFile(config, "utf8")).replace(
        "providers:\n",
        "providers:\n  saas: { type: scim, baseUrl: https://saas.invalid/scim/v2, tokenEnv: SAAS_TOKEN_UNSET }\n",
      ),
    );
    const people = path.join(tree.dir, "users/people.yaml");
    const text = await readFile(people, "utf8");
    await writeFile(people, text.replace(", endDate: 2026-05-29", ""));
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(1);
    await writeFile(people, text);
    const applied = await run(tree.cwd, ["apply", "--yes"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    expect(applied.stderr).toContain("saas could not be read and is left out of this run");
    const hr = server.received.find((r) => r.path === "/hr");
    expect(JSON.parse(hr?.body ?? "{}")).toMatchObject({
      userId: "bob",
      accounts: [{ system: "app", account: "bob", check: "clean" }],
      notReached: ["saas"],
    });
    // A run limited to some systems (--provider) leaves the others out too.
    await writeFile(
      config,
      (await readFile(config, "utf8")).replace(
        / {2}saas: .*\n/,
        "  wiki: { type: local, path: .gatehouse/wiki.json, mode: authoritative }\n",
      ),
    );
    await writeFile(
      people,
      (await readFile(people, "utf8")).replace(
        "email: ann@example.com }",
        "email: ann@example.com, endDate: 2026-05-30 }",
      ),
    );
    expect((await run(tree.cwd, ["apply", "--yes", "--provider", "app"])).code).toBe(0);
    const ann = server.received.find((r) => r.path === "/hr" && r.body.includes('"userId":"ann"'));
    expect(JSON.parse(ann?.body ?? "{}")).toMatchObject({ userId: "ann", notReached: ["wiki"] });
  });

  it("is a validate error, with file, line and column, when a webhook's url is no http(s) URL", async () => {
    const tree = await treeWith("ftp://127.0.0.1:9");
    const result = await run(tree.cwd, ["validate"]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/access\/gatehouse\.yaml:7:\d+ error/);
  });

  it("refuses two webhooks of one name, before anything is written", async () => {
    const tree = await treeWith("http://127.0.0.1:9");
    const config = path.join(tree.dir, "gatehouse.yaml");
    await writeFile(config, (await readFile(config, "utf8")).replace("name: tickets", "name: hr"));
    const result = await run(tree.cwd, ["apply", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      'access/gatehouse.yaml:8:17 error GH237 policy.offboarding.webhooks: two webhooks are named "hr" (the first at access/gatehouse.yaml:7:17)',
    );
    await expect(readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("tries again after an attempt gets no answer in time", async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      const wait = calls === 1 ? 1500 : 0;
      setTimeout(() => {
        res.statusCode = 200;
        res.end();
      }, wait);
      req.resume();
    });
    servers.push({
      close: () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const hook = { name: "slow", url: `http://127.0.0.1:${String(port)}/`, timeoutSeconds: 1 };
    const delivery = await deliverTo(hook);
    expect(delivery).toMatchObject({ outcome: "delivered", attempts: 2, status: 200 });
    expect(calls).toBe(2);
  });

  it("waits as long as a 429's Retry-After asks (seconds, or a date by the receiver's clock) before trying again", async () => {
    let calls = 0;
    const server = await startWebhookServer(() => {
      calls++;
      if (calls === 1) return { status: 429, headers: { "retry-after": "1" } };
      // Two seconds after the Date header the server sends (its own clock, whatever ours says).
      if (calls === 2)
        return { status: 503, headers: { "retry-after": new Date(Date.now() + 2000).toUTCString() } };
      return 200;
    });
    servers.push(server);
    const delivery = await deliverTo({ name: "busy", url: `${server.url}/`, timeoutSeconds: 5 }, 20_000);
    expect(delivery).toMatchObject({ outcome: "delivered", attempts: 3, status: 200 });
    const [first = 0, second = 0, third = 0] = server.received.map((r) => r.at);
    // backoffMs is 1 ms: the waits are the receiver's (an HTTP date has whole seconds: at least 1 s).
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(third - second).toBeGreaterThanOrEqual(950);
  });

  it("tries a webhook that refuses connections a few times, then reports the error", async () => {
    const server = await startServer({});
    const { url } = server;
    await servers.splice(0)[0]?.close();
    const hook = { name: "gone", url: `${url}/x`, timeoutSeconds: 2 };
    const delivery = await deliverTo(hook);
    expect(delivery).toMatchObject({ outcome: "failed", attempts: WEBHOOK_ATTEMPTS, error: "ECONNREFUSED" });
    expect(delivery.status).toBeUndefined();
  });
});
