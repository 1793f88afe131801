/**
 * A run killed after it took a leaver's access away but before its offboarding check (a lost runner,
 * kill -9, the journal failing) checked nothing and told no webhook. The journal's fold keeps each
 * leaver account a run disabled or deleted open (unchecked) until a check of it is recorded, so the
 * next apply checks it, on its plan's read, and tells the webhooks as of the killed run's start.
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/audit/journal-entry.ts";
import { JournalError } from "../../src/audit/journal.ts";
import { closeProviders, preparePlan } from "../../src/engine/prepare-plan.ts";
import { runApply } from "../../src/engine/run-apply.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { opsWithWebhook, type WebhookServer } from "../helpers/webhook-server.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const trees: AccessTree[] = [];
const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const run = (cwd: string, argv: readonly string[]) => runCliIn(cwd, argv, NOW);

const parse = (line: string): JournalEntry => JSON.parse(line) as JournalEntry;

/** ann and bob in ops, with a webhook told of each leaver; `people`: the users file. */
async function teamWithWebhook(people: string): Promise<{ tree: AccessTree; server: WebhookServer }> {
  const site = await opsWithWebhook(people);
  servers.push(site.server);
  trees.push(site.tree);
  return site;
}

describe("a run killed between a leaver's offboarding and its check", () => {
  it("leaves the leaver's accounts to the next apply, which checks them and tells the webhooks", async () => {
    const { tree, server } = await teamWithWebhook(
      "users:\n  - { id: ann, name: Ann Lee, email: ann@example.com }\n" +
        "  - { id: bob, name: Bob Ray, email: bob@example.com, endDate: 2026-05-29 }\n",
    );
    const people = path.join(tree.dir, "users/people.yaml");
    const text = await readFile(people, "utf8");
    await writeFile(people, text.replace(", endDate: 2026-05-29", ""));
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    await writeFile(people, text);

    // bob leaves: the run disables him and takes him out of ops, checks, and tells the webhook. Then the
    // journal is cut back to how a run killed right after its changes left it: no check, no delivery.
    expect((await run(tree.cwd, ["apply", "--yes", "--offboard-recheck", "0"])).code).toBe(0);
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const killedRun = lines.map(parse).findLast((e) => e.type === "apply-start");
    const firstCheck = lines.findIndex((l) => parse(l).type === "offboard-verified");
    expect(killedRun).toBeDefined();
    expect(firstCheck).toBeGreaterThan(0);
    const disable = lines
      .slice(0, firstCheck)
      .map(parse)
      .find((e) => e.type === "change" && e.change.kind === "user" && e.change.action === "disable");
    expect(disable).toBeDefined();
    await writeFile(journal, lines.slice(0, firstCheck).join("\n") + "\n");
    const cache = path.join(tree.cwd, ".gatehouse/cache");
    for (const name of await readdir(cache))
      if (/^journal-[0-9a-f]{16}\.json$/.test(name)) await rm(path.join(cache, name));
    server.received.length = 0;

    // A plan says the account was never checked; nothing is left to change.
    const plan = await run(tree.cwd, ["plan"]);
    expect(plan.stdout).toContain(
      `offboarding of bob (app) at 2026-06-01T12:00Z (journal #${String(disable?.seq)}) was never checked: its run ended before its check; the next apply checks it`,
    );

    const next = await run(tree.cwd, ["apply", "--yes"]);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(new RegExp(`clean app: bob: .*re-checking journal #${String(disable?.seq)}`));
    expect(next.stdout).toMatch(/Offboarding webhooks: 1 delivery\(ies\), 1 delivered\./);
    expect(server.received).toHaveLength(1);
    const told = JSON.parse(server.received[0]?.body ?? "") as Record<string, unknown>;
    expect(told).toMatchObject({ event: "user.offboarded", userId: "bob", triggeredAt: killedRun?.at });
    expect(told["accounts"]).toEqual([
      { system: "app", account: "bob", check: "clean", accountState: "disabled" },
    ]);
    const after = (await readFile(journal, "utf8")).trimEnd().split("\n").map(parse);
    expect(after.filter((e) => e.type === "offboard-verified")).toMatchObject([
      { account: "bob", clean: true, recheckOf: disable?.seq },
    ]);
    // Checked: closed. The next plan notes nothing, and the next apply tells nobody again.
    expect((await run(tree.cwd, ["plan"])).stdout).not.toContain("never checked");
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    expect(server.received).toHaveLength(1);
  });

  it("opens nothing after a run that checked its leavers", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
      "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
    });
    trees.push(tree);
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      people,
      (await readFile(people, "utf8")).replace("name: Bob", "name: Bob, endDate: 2026-05-29"),
    );
    const leaving = await run(tree.cwd, ["apply", "--yes", "--allow-removals", "2"]);
    expect(leaving.code).toBe(0);
    expect(leaving.stdout).toMatch(/clean app: bob/);
    const plan = await run(tree.cwd, ["plan"]);
    expect(plan.stdout).not.toContain("offboarding of bob");
  });
});

describe("a run whose journal failed between a leaver's offboarding and its check", () => {
  it("leaves the leaver's accounts to the next apply, which checks them and tells the webhooks", async () => {
    const { tree, server } = await teamWithWebhook(
      "users:\n  - { id: ann, name: Ann Lee }\n  - { id: bob, name: Bob Ray }\n",
    );
    expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      people,
      (await readFile(people, "utf8")).replace("name: Bob Ray", "name: Bob Ray, endDate: 2026-05-29"),
    );

    // The run's first results cannot be journalled (a folder stands where the journal was): they and
    // its end are set aside beside it, and no check is made.
    const journal = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    const prepared = await preparePlan({ cwd: tree.cwd, dir: "access", now: NOW, env: {} });
    try {
      const cut = runApply(prepared.plan, prepared.tree.model.config.policy, prepared.providers, {
        journalPath: journal,
        actor: "test",
        now: () => NOW,
        signal: AbortSignal.timeout(20_000),
        onResults: () => {
          if (existsSync(`${journal}.moved`)) return;
          renameSync(journal, `${journal}.moved`);
          mkdirSync(journal);
        },
      });
      await expect(cut).rejects.toBeInstanceOf(JournalError);
    } finally {
      await closeProviders(prepared.providers);
    }
    await rm(journal, { recursive: true });
    await rename(`${journal}.moved`, journal);
    expect(server.received).toHaveLength(0);

    const next = await run(tree.cwd, ["apply", "--yes"]);
    expect(next.stdout).toMatch(/clean app: bob: .*re-checking journal #\d+/);
    expect(next.stdout).toMatch(/Offboarding webhooks: 1 delivery\(ies\), 1 delivered\./);
    expect(next.code).toBe(0);
    expect(server.received).toHaveLength(1);
    expect(JSON.parse(server.received[0]?.body ?? "")).toMatchObject({
      event: "user.offboarded",
      userId: "bob",
    });
    expect((await run(tree.cwd, ["plan"])).stdout).not.toContain("offboarding of bob");
  });
});
