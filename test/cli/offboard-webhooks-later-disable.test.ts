/**
 * policy.offboarding.webhooks when a leaver's disable fails in one system: the first apply tells the
 * webhooks what it did (the account it disabled, and the one it could not, with access left), and the
 * apply that disables that account later, whose check re-checks the open verdict, tells them again: an
 * account of theirs was disabled and checked in that run.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireFileLock, releaseFileLock } from "../../src/io/file-lock.ts";
import type { AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { opsWithWebhook, type WebhookServer } from "../helpers/webhook-server.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const LATER = new Date("2026-06-02T12:00:00Z");
const LATEST = new Date("2026-06-03T12:00:00Z");
const trees: AccessTree[] = [];
const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const run = (cwd: string, argv: readonly string[]) => runCliIn(cwd, argv, NOW);

/** bob leaves while the wiki directory is locked: disabled in app, not in the wiki, and the webhook told so. */
async function bobLeftInTheWikiAfterAFailedDisable(): Promise<{ tree: AccessTree; server: WebhookServer }> {
  const { tree, server } = await opsWithWebhook(
    "users:\n  - { id: ann, name: Ann Lee, email: ann@example.com }\n" +
      "  - { id: bob, name: Bob Ray, email: bob@example.com, endDate: 2026-05-29 }\n",
    "  wiki: { type: local, path: .gatehouse/wiki.json, mode: authoritative, lockTimeoutMs: 200 }\n",
  );
  servers.push(server);
  trees.push(tree);
  const people = path.join(tree.dir, "users/people.yaml");
  const text = await readFile(people, "utf8");
  await writeFile(people, text.replace(", endDate: 2026-05-29", ""));
  expect((await run(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  await writeFile(people, text);

  // bob leaves while another process holds the wiki directory: its writes fail (the lock times out).
  const lock = await acquireFileLock(path.join(tree.cwd, ".gatehouse/wiki.json"));
  const first = await (async () => {
    try {
      return await run(tree.cwd, ["apply", "--yes", "--offboard-recheck", "0"]);
    } finally {
      await releaseFileLock(lock);
    }
  })();
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(/failed wiki: disable user bob/);
  expect(server.received).toHaveLength(1);
  const told = JSON.parse(server.received[0]?.body ?? "") as Record<string, unknown>;
  expect(told["accounts"]).toEqual([
    { system: "app", account: "bob", check: "clean", accountState: "disabled" },
    { system: "wiki", account: "bob", check: "access-left", accountState: "enabled" },
  ]);

  return { tree, server };
}

describe("offboarding webhooks after a disable that failed", () => {
  it("tells the webhooks again when a later apply disables the account and re-checks its verdict", async () => {
    const { tree, server } = await bobLeftInTheWikiAfterAFailedDisable();
    // The next apply disables bob in the wiki; its check re-checks the verdict the first one left open.
    const second = await run(tree.cwd, ["apply", "--yes"]);
    expect(second.stdout).toMatch(/applied wiki: disable user bob/);
    expect(second.stdout).toMatch(/clean wiki: bob: .*re-checking journal #\d+/);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Offboarding webhooks: 1 delivery\(ies\), 1 delivered\./);
    expect(server.received).toHaveLength(2);
    const later = JSON.parse(server.received[1]?.body ?? "") as Record<string, unknown>;
    expect(later).toMatchObject({ event: "user.offboarded", userId: "bob" });
    expect(later["accounts"]).toEqual([
      { system: "wiki", account: "bob", check: "clean", accountState: "disabled" },
    ]);
    expect(server.received[1]?.headers["x-gatehouse-delivery"]).not.toBe(
      server.received[0]?.headers["x-gatehouse-delivery"],
    );
  });

  it("tells the webhooks once an open verdict's re-check finds clean what the earlier check did not", async () => {
    const { tree, server } = await bobLeftInTheWikiAfterAFailedDisable();
    const wiki = path.join(tree.cwd, ".gatehouse/wiki.json");

    // Still locked at the next apply: the re-check finds access left again; the webhooks are not told twice.
    const lock = await acquireFileLock(wiki);
    const again = await (async () => {
      try {
        return await runCliIn(tree.cwd, ["apply", "--yes", "--offboard-recheck", "0"], LATER);
      } finally {
        await releaseFileLock(lock);
      }
    })();
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/ACCESS LEFT wiki: bob: .*re-checking journal #\d+/);
    expect(server.received).toHaveLength(1);

    // An administrator disables bob in the wiki by hand and takes him out of ops: the next apply changes
    // nothing of his there, and its re-check of the verdict finds it done.
    const directory = JSON.parse(await readFile(wiki, "utf8")) as {
      users: { account: string; enabled: boolean }[];
      groups: { name: string; members: string[] }[];
    };
    for (const user of directory.users) if (user.account === "bob") user.enabled = false;
    for (const group of directory.groups) group.members = group.members.filter((m) => m !== "bob");
    await writeFile(wiki, JSON.stringify(directory, null, 2));
    const settled = await runCliIn(tree.cwd, ["apply", "--yes"], LATEST);
    expect(settled.code, settled.stdout).toBe(0);
    expect(settled.stdout).not.toMatch(/applied wiki: disable user bob/);
    expect(settled.stdout).toMatch(/clean wiki: bob: .*re-checking journal #\d+/);
    expect(settled.stdout).toMatch(/Offboarding webhooks: 1 delivery\(ies\), 1 delivered\./);
    expect(server.received).toHaveLength(2);
    const done = JSON.parse(server.received[1]?.body ?? "") as Record<string, unknown>;
    // Triggered by the first run's offboarding, as the first delivery was; checked now.
    const first = JSON.parse(server.received[0]?.body ?? "") as Record<string, unknown>;
    expect(done).toMatchObject({
      event: "user.offboarded",
      userId: "bob",
      triggeredAt: first["triggeredAt"],
    });
    expect(String(done["checkedAt"])).toMatch(/^2026-06-03T/);
    expect(done["accounts"]).toEqual([
      { system: "wiki", account: "bob", check: "clean", accountState: "disabled" },
    ]);

    // The verdict is closed: nothing more to tell.
    const quiet = await runCliIn(tree.cwd, ["apply", "--yes"], LATEST);
    expect(quiet.code).toBe(0);
    expect(server.received).toHaveLength(2);
  });
});
