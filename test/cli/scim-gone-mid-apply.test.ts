/**
 * A SCIM server that goes away in the middle of an apply: the apply says why once, then one short line
 * per change it did not make, and the journal still records every change.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.ts";
import { startScimServer, type ScimServer } from "../harness/scim-server.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

const open: { server: ScimServer; proxy: FaultProxy; tree: AccessTree }[] = [];
afterEach(async () => {
  for (const { server, proxy, tree } of open.splice(0)) {
    await tree.remove();
    await proxy.close().catch(() => undefined);
    await server.close();
  }
});

const PEOPLE = 12;

/** Twelve people to create, p00 to p11, through `proxy`. */
function peopleTree(proxy: FaultProxy): Promise<AccessTree> {
  const people = Array.from({ length: PEOPLE }, (_, i) => {
    const id = `p${String(i).padStart(2, "0")}`;
    return `  - { id: ${id}, name: Person ${String(i)}, email: ${id}@example.com }`;
  });
  return writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  saas:\n    type: scim\n    users: all\n    accountName: email\n    tokenEnv: SCIM_TOKEN\n" +
      `    baseUrl: ${proxy.baseUrl}\n    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 }\n`,
    "users/people.yaml": `users:\n${people.join("\n")}\n`,
  });
}

interface JournalLine {
  readonly type: string;
  readonly outcome?: string;
  readonly error?: string;
  readonly change?: { readonly id?: string };
}

async function journalOf(tree: AccessTree): Promise<JournalLine[]> {
  return (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as JournalLine);
}

describe("apply to a SCIM server that stops answering", { tags: ["slow"] }, () => {
  it("prints the cause once and a short line for each change skipped, and journals every change", async () => {
    const server = await startScimServer();
    // The server is reached through a proxy that goes away (its port refuses connections: ECONNREFUSED)
    // when the third account is created.
    let creates = 0;
    const proxy: FaultProxy = await startFaultProxy(server.baseUrl, {
      beforeHandling: async (method, url) => {
        if (method === "POST" && url.pathname.endsWith("/Users") && ++creates === 3) await proxy.close();
      },
    });
    const tree = await peopleTree(proxy);
    open.push({ server, proxy, tree });
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", SCIM_TOKEN: server.token });
    expect(await main(["apply", "--yes"], io)).toBe(1);

    const lines = out.join("").split("\n");
    const progress = lines.filter((l) => /^\[\d+\/12\] /.test(l));
    expect(progress).toHaveLength(PEOPLE);
    const skipped = progress.filter((l) => l.includes("] skipped "));
    expect(skipped.length).toBeGreaterThan(3);
    // Why: on each write that failed (one short line each, not the error of the one before it too),
    // and once for the changes skipped, on the first of them.
    const failed = progress.filter((l) => l.includes("] failed "));
    expect(failed.length).toBeGreaterThan(0);
    for (const line of failed) expect(line.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(skipped[0]).toContain("saas failed 3 writes in a row through their retries (last: ");
    expect(skipped[0]?.match(/ECONNREFUSED/g)).toHaveLength(1);
    for (const line of skipped.slice(1))
      expect(line).toMatch(
        /^\[\d+\/12\] skipped saas: create user p\d\d@example\.com — skipped: not attempted after saas failed 3 writes in a row$/,
      );
    expect(err.join("")).toBe("");

    // The journal has every change, the skipped ones too, each with its reason.
    const journal = await journalOf(tree);
    const changes = journal.filter((e) => e.type === "change");
    expect(changes).toHaveLength(PEOPLE);
    const journalled = changes.filter((e) => e.outcome === "skipped");
    expect(journalled).toHaveLength(skipped.length);
    for (const entry of journalled) expect(entry.error).toMatch(/^skipped: /);
    expect(journal.at(-1)).toMatchObject({ type: "apply-end", skipped: skipped.length });
  });
  it("gives up once when creates get no answer while reads still do, and records as applied only what was made", async () => {
    const server = await startScimServer();
    // Past the second, every POST /Users has its connection cut before it reaches the server (nothing
    // lands); the look-ups in between are answered. A create is never repeated blindly, so none of these
    // failures is transient: each must still count toward giving up on the server.
    let creates = 0;
    const isCreate = (method: string, path: string): boolean => method === "POST" && path.endsWith("/Users");
    const proxy: FaultProxy = await startFaultProxy(server.baseUrl, {
      beforeHandling: (method, url) => {
        if (isCreate(method, url.pathname) && ++creates > 2)
          proxy.inject({ fault: { kind: "cut-before-forward" }, times: 1, match: isCreate });
        return Promise.resolve();
      },
    });
    const tree = await peopleTree(proxy);
    open.push({ server, proxy, tree });
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", SCIM_TOKEN: server.token });
    expect(await main(["apply", "--yes"], io)).toBe(1);

    const progress = out
      .join("")
      .split("\n")
      .filter((l) => /^\[\d+\/12\] /.test(l));
    expect(progress.filter((l) => l.includes("] applied "))).toHaveLength(2);
    // Three creates fail, each with its own cause; then the apply gives up on saas, once.
    const failed = progress.filter((l) => l.includes("] failed "));
    expect(failed).toHaveLength(3);
    for (const line of failed)
      expect(line).toMatch(/: connection to 127\.0\.0\.1:\d+ failed .*\(POST \/Users\)$/);
    const skipped = progress.filter((l) => l.includes("] skipped "));
    expect(skipped).toHaveLength(PEOPLE - 5);
    expect(skipped[0]).toMatch(
      /skipped: saas failed 3 writes in a row with no answer \(last: saas: create user "p\d\d@example\.com": connection to 127\.0\.0\.1:\d+ failed .*\); its remaining changes were not attempted$/,
    );
    for (const line of skipped.slice(1))
      expect(line).toMatch(
        /^\[\d+\/12\] skipped saas: create user p\d\d@example\.com — skipped: not attempted after saas failed 3 writes in a row$/,
      );
    expect(err.join("")).toBe("");
    // Nothing was sent after giving up: two creates that landed, then two tries of each of the three.
    expect(creates).toBe(2 + 3 * 2);

    // Only what the server holds is recorded as applied; the next run plans the rest.
    const res = await fetch(`${server.baseUrl}/Users?count=100`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    const held = ((await res.json()) as { Resources: { userName: string }[] }).Resources.map(
      (u) => u.userName,
    );
    const applied = (await journalOf(tree)).filter((e) => e.type === "change" && e.outcome === "applied");
    expect(applied.map((e) => e.change?.id?.replace("saas:user/", "")).sort()).toEqual(held.sort());
    expect(held).toHaveLength(2);
  });
});
