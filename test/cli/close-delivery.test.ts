/**
 * Offboarding webhook deliveries a receiver rejects (a 4xx other than 408 and 429): recorded as rejected,
 * loud on every apply, noted by plans, and closed by hand with `gatehouse journal close-delivery`. Real
 * receivers (node:http on 127.0.0.1), a real journal, the real CLI on the local provider.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { ExitCode } from "../../src/errors.ts";
import { writeAccessTree, type AccessTree, journalFile, lastEntry } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";
import {
  deliverTo,
  queuedAnswers,
  startWebhookServer,
  type WebhookServer,
} from "../helpers/webhook-server.ts";

const SECRET = "whsec-5d1e-never-shown";

const trees: AccessTree[] = [];
const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function run(cwd: string, argv: readonly string[]) {
  const { io, out, err } = captureIo(cwd, {
    GATEHOUSE_QUIET: "1",
    HOOK_SECRET: SECRET,
    GITHUB_ACTOR: "sec-oncall",
  });
  const code = await main(argv, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

const config = (url: string, hooks: readonly string[] = ["hr", "tickets"]): string =>
  "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
  "policy:\n  guardrails: { maxRemovals: 5 }\n  offboarding:\n    webhooks:\n" +
  (hooks.includes("hr")
    ? `      - { name: hr, url: "${url}/hr", secretEnv: HOOK_SECRET, timeoutSeconds: 5 }\n`
    : "") +
  (hooks.includes("tickets") ? `      - { name: tickets, url: "${url}/tickets" }\n` : "");

const ACTIVE =
  "users:\n  - { id: ann, name: Ann Lee, email: ann@example.com }\n" +
  "  - { id: bob, name: Bob Ray, email: bob@example.com }\n";
const LEFT =
  "users:\n  - { id: ann, name: Ann Lee, email: ann@example.com }\n" +
  "  - { id: bob, name: Bob Ray, email: bob@example.com, endDate: 2026-05-29 }\n";

/**
 * A tree whose apply offboards bob, telling hr (429, then 200: asked again) and tickets (which answers
 * `tickets` every time); returns the tree and the run's output.
 */
async function offboardBob(
  server: WebhookServer,
  hr: number[],
): Promise<{ tree: AccessTree; applied: Awaited<ReturnType<typeof run>> }> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": config(server.url),
    "users/people.yaml": ACTIVE,
    "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
  });
  trees.push(tree);
  expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(ExitCode.ok);
  expect(server.received).toEqual([]);
  hr.splice(0, hr.length, 429);
  await writeFile(path.join(tree.dir, "users/people.yaml"), LEFT);
  const applied = await run(tree.cwd, ["apply", "--yes"]);
  return { tree, applied };
}

describe("a webhook delivery the receiver rejects", () => {
  it("is recorded as rejected, sent again and loud on every apply, noted by plans, until closed by hand", async () => {
    const hr: number[] = [];
    let tickets = 410;
    const server = await startWebhookServer((at) =>
      at === "/tickets" ? tickets : queuedAnswers({ "/hr": hr })(at),
    );
    servers.push(server);
    const { tree, applied } = await offboardBob(server, hr);

    // hr's 429 is asked again (then 200); tickets' 410 is not: it is rejected, and the apply exits 1.
    expect(applied.code).toBe(ExitCode.error);
    expect(applied.stdout).toContain("Offboarding webhooks: 2 delivery(ies), 1 delivered, 1 REJECTED.\n");
    expect(applied.stdout).toMatch(/ {2}hr: bob delivered \(HTTP 200, 2 attempt\(s\), delivery /);
    expect(applied.stdout).toMatch(/ {2}tickets: bob REJECTED \(HTTP 410, 1 attempt\(s\), delivery /);
    expect(server.received.map((r) => r.path)).toEqual(["/hr", "/hr", "/tickets"]);
    const rejected = await lastEntry(tree, "webhook-delivered");
    expect(rejected).toMatchObject({
      webhook: "tickets",
      userId: "bob",
      outcome: "rejected",
      status: 410,
      attempts: 1,
      body: server.received[2]?.body,
    });
    const id = rejected["delivery"] as string;
    expect(server.received[2]?.headers["x-gatehouse-delivery"]).toBe(id);
    const close = `\`gatehouse journal close-delivery --delivery ${id} --reason TEXT\``;
    expect(applied.stderr).toContain(
      `error: webhook tickets rejected the delivery telling it that bob was offboarded (HTTP 410); nothing was undone. ` +
        `Fix the receiver (or its URL or secret): every apply sends it again, under the same delivery id, and exits 1 until it is delivered; ` +
        `or, once the downstream system is dealt with otherwise, ${close} closes it\n`,
    );

    // Visible without applying: what is owed, to which webhook, since when; exit 2 with --detailed-exitcode.
    const planned = await run(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      "Offboarding webhooks (policy.offboarding.webhooks):\n" +
        `  note: webhook tickets owes the offboarding of bob since 2026-06-01T12:00Z: delivery ${id}, last attempt rejected (HTTP 410) at 2026-06-01T12:00Z (journal #${String(rejected["seq"])}); ` +
        `the receiver refused it: fix the receiver, and apply sends it again; or ${close} closes it\n`,
    );
    expect(planned.stdout).toContain(
      "No changes to apply, but offboarding webhook deliveries are owed, noted above: apply sends them again.",
    );
    expect(planned.code).toBe(ExitCode.changes);
    const markdown = await run(tree.cwd, ["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain(
      "#### Offboarding webhooks\n\n**Deliveries owed:**\n\n- webhook tickets owes the offboarding of bob since",
    );
    const json = JSON.parse((await run(tree.cwd, ["plan", "--format", "json"])).stdout) as {
      notes: { provider: string; kind: string; message: string }[];
    };
    expect(json.notes).toEqual([
      expect.objectContaining({ provider: "tickets", kind: "webhook-owed" }) as unknown,
    ]);
    expect(server.received).toHaveLength(3); // a plan sends nothing

    // The next apply sends it again, under the same id; rejected again, it exits 1 again.
    const again = await run(tree.cwd, ["apply", "--yes"]);
    expect(again.code).toBe(ExitCode.error);
    expect(server.received.map((r) => r.path)).toEqual(["/hr", "/hr", "/tickets", "/tickets"]);
    expect(server.received[3]?.headers["x-gatehouse-delivery"]).toBe(id);
    expect(again.stdout).toContain(
      `  tickets: bob REJECTED (HTTP 410, 1 attempt(s), delivery ${id}, sent again: journal #${String(rejected["seq"])} was not delivered)\n`,
    );
    const owed = await lastEntry(tree, "webhook-delivered");
    expect(owed).toMatchObject({ outcome: "rejected", retryOf: rejected["seq"] });

    // Closing it by hand needs the id and a reason; an id not owed is refused, with nothing written.
    const before = await readFile(journalFile(tree), "utf8");
    const noReason = await run(tree.cwd, ["journal", "close-delivery", "--delivery", id]);
    expect(noReason.code).toBe(ExitCode.usage);
    expect(noReason.stderr).toContain("journal close-delivery needs --delivery and --reason");
    const blank = await run(tree.cwd, ["journal", "close-delivery", "--delivery", id, "--reason", "  "]);
    expect(blank.code).toBe(ExitCode.usage);
    expect(blank.stderr).toContain("--reason needs a text saying why the delivery can be closed");
    const unknown = await run(tree.cwd, ["journal", "close-delivery", "--delivery", "nope", "--reason", "x"]);
    expect(unknown.code).toBe(ExitCode.error);
    expect(unknown.stderr).toBe(
      `.gatehouse/journal.jsonl: no webhook delivery nope is owed; owed: ${id} (tickets: bob)\n`,
    );
    expect(await readFile(journalFile(tree), "utf8")).toBe(before);

    const reason = "INC-311: the ticket system was retired; HR closed bob's ticket by hand";
    const closed = await run(tree.cwd, [
      "journal",
      "close-delivery",
      "--delivery",
      id.toUpperCase(),
      "--reason",
      reason,
    ]);
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(ExitCode.ok);
    const closure = await lastEntry(tree, "delivery-closed");
    expect(closure).toEqual({
      type: "delivery-closed",
      at: "2026-06-01T12:00:00.000Z",
      actor: "github:sec-oncall",
      webhook: "tickets",
      userId: "bob",
      delivery: id,
      closes: owed["seq"],
      reason,
      seq: (owed["seq"] as number) + 1,
      prevHash: owed["hash"],
      hash: expect.any(String) as unknown,
    });
    expect(closed.stdout).toBe(
      `Closed by hand the owed delivery ${id} of webhook tickets for bob (last attempt rejected (HTTP 410), journal #${String(owed["seq"])}): ` +
        `journal #${String(closure["seq"])}, by github:sec-oncall. No apply sends it again; plans no longer note it.\n`,
    );
    const twice = await run(tree.cwd, ["journal", "close-delivery", "--delivery", id, "--reason", reason]);
    expect(twice.code).toBe(ExitCode.error);
    expect(twice.stderr).toBe(`.gatehouse/journal.jsonl: no webhook delivery ${id} is owed (none is)\n`);

    // Closed: plans no longer note it, and applies neither send it nor exit 1 for it.
    const quietPlan = await run(tree.cwd, ["plan", "--detailed-exitcode"]);
    expect(quietPlan.stdout).not.toContain("Offboarding webhooks");
    expect(quietPlan.code).toBe(ExitCode.ok);
    tickets = 200;
    const quiet = await run(tree.cwd, ["apply", "--yes"]);
    expect(quiet.code).toBe(ExitCode.ok);
    expect(quiet.stdout).not.toContain("Offboarding webhooks");
    expect(server.received).toHaveLength(4);

    // The journal knows the entry: verify passes, changes lists it (text and JSON).
    const verified = await run(tree.cwd, ["journal", "verify"]);
    expect(verified.stdout).toMatch(/entries, hash chain intact\n$/);
    expect(verified.code).toBe(ExitCode.ok);
    const changes = await run(tree.cwd, ["journal", "changes", "--user", "bob"]);
    expect(changes.stdout).toContain("webhook tickets: bob offboarded, REJECTED (HTTP 410, 1 attempt(s))");
    expect(changes.stdout).toContain(
      `2026-06-01T12:00:00.000Z  webhook delivery closed by hand: tickets: bob, delivery ${id}, journal #${String(owed["seq"])}: ${reason}  (journal #${String(closure["seq"])}, by github:sec-oncall)\n`,
    );
    expect(changes.stdout).toContain(" and 3 webhook delivery(ies) and 1 delivery(ies) closed by hand from");
    const changesJson = JSON.parse(
      (await run(tree.cwd, ["journal", "changes", "--user", "bob", "--format", "json"])).stdout,
    ) as { deliveryClosures: unknown[] };
    expect(changesJson.deliveryClosures).toEqual([expect.objectContaining({ delivery: id, reason })]);
    const ofAnn = JSON.parse(
      (await run(tree.cwd, ["journal", "changes", "--user", "ann", "--format", "json"])).stdout,
    ) as { deliveryClosures: unknown[] };
    expect(ofAnn.deliveryClosures).toEqual([]);
    for (const where of [applied, planned, again, closed, changes])
      expect(where.stdout + where.stderr).not.toContain(SECRET);
  });

  it("of a webhook gatehouse.yaml no longer has is noted as sent by nothing, and can be closed", async () => {
    const hr: number[] = [];
    const server = await startWebhookServer((at) =>
      at === "/tickets" ? 404 : queuedAnswers({ "/hr": hr })(at),
    );
    servers.push(server);
    const { tree, applied } = await offboardBob(server, hr);
    expect(applied.code).toBe(ExitCode.error);
    const id = (await lastEntry(tree, "webhook-delivered"))["delivery"] as string;
    await writeFile(path.join(tree.dir, "gatehouse.yaml"), config(server.url, ["hr"]));
    const applyWithout = await run(tree.cwd, ["apply", "--yes"]);
    // Nothing sends it any more: the apply's plan says so, and it is not sent.
    expect(applyWithout.stdout).toContain(
      `note: webhook tickets owes the offboarding of bob since 2026-06-01T12:00Z: delivery ${id}, last attempt rejected (HTTP 404)`,
    );
    expect(applyWithout.stdout).toContain(
      `gatehouse.yaml no longer has webhook tickets, so no apply sends it; \`gatehouse journal close-delivery --delivery ${id} --reason TEXT\` closes it\n`,
    );
    expect(server.received.filter((r) => r.path === "/tickets")).toHaveLength(1);
    const closed = await run(tree.cwd, [
      "journal",
      "close-delivery",
      "--delivery",
      id,
      "--reason",
      "tickets retired",
    ]);
    expect(closed.code).toBe(ExitCode.ok);
    expect((await run(tree.cwd, ["plan"])).stdout).not.toContain("webhook tickets owes");
  });

  it("is not closed on a journal that is not intact: nothing is written", async () => {
    const hr: number[] = [];
    const server = await startWebhookServer((at) =>
      at === "/tickets" ? 400 : queuedAnswers({ "/hr": hr })(at),
    );
    servers.push(server);
    const { tree } = await offboardBob(server, hr);
    const id = (await lastEntry(tree, "webhook-delivered"))["delivery"] as string;
    const text = await readFile(journalFile(tree), "utf8");
    const tampered = text.replace('"changes":', '"changes": 0, "x":');
    expect(tampered).not.toBe(text);
    await writeFile(journalFile(tree), tampered);
    const refused = await run(tree.cwd, ["journal", "close-delivery", "--delivery", id, "--reason", "x"]);
    expect(refused.stderr).toContain("was edited: its content does not match its hash");
    expect(refused.stderr).toContain(".gatehouse/journal.jsonl is not intact, so nothing was recorded");
    expect(refused.code).toBe(ExitCode.error);
    expect(await readFile(journalFile(tree), "utf8")).toBe(tampered);
  });
});

describe("deliverWebhook", () => {
  it.each([
    { status: 408, outcome: "delivered", attempts: 2 },
    { status: 429, outcome: "delivered", attempts: 2 },
    { status: 404, outcome: "rejected", attempts: 1 },
    { status: 401, outcome: "rejected", attempts: 1 },
  ])("after a $status: $outcome in $attempts attempt(s)", async ({ status, outcome, attempts }) => {
    const server = await startWebhookServer(queuedAnswers({ "/x": [status] }));
    servers.push(server);
    const hook = { name: "h", url: `${server.url}/x`, timeoutSeconds: 2 };
    const delivery = await deliverTo(hook);
    expect(delivery).toMatchObject({ outcome, attempts });
    expect(server.received).toHaveLength(attempts);
    if (outcome === "rejected") expect(delivery).toMatchObject({ status, body: "{}" });
  });
});

describe("gatehouse validate", () => {
  it("refuses two webhooks of one name at the second's file:line:col (GH237)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json }\n" +
        "policy:\n  offboarding:\n    webhooks:\n" +
        "      - name: tickets\n        url: http://127.0.0.1:9/a\n" +
        "      - url: http://127.0.0.1:9/b\n        name: tickets\n",
      "users/people.yaml": ACTIVE,
    });
    trees.push(tree);
    const before = await readFile(path.join(tree.dir, "gatehouse.yaml"), "utf8");
    const result = await run(tree.cwd, ["validate"]);
    expect(result.code).toBe(ExitCode.error);
    expect(result.stdout + result.stderr).toContain(
      'access/gatehouse.yaml:9:15 error GH237 policy.offboarding.webhooks: two webhooks are named "tickets" (the first at access/gatehouse.yaml:6:15); names must be unique',
    );
    expect(await readFile(path.join(tree.dir, "gatehouse.yaml"), "utf8")).toBe(before);
  });
});
