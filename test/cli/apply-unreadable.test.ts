/**
 * `apply` with one system that cannot be read: the others are reconciled (a leaver's offboarding and a
 * grant's end must not wait for an unrelated system that is down), the unreadable one is named with where
 * gatehouse.yaml configures it, and the run exits 1. `plan` still fails as a whole; so does an apply when
 * no system can be read.
 */
import { readFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

/** A port nobody listens on: connections are refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function run(
  tree: AccessTree,
  argv: string[],
  env: Readonly<Record<string, string>> = { SCIM_TOKEN: "t0ken-never-shown" },
): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", ...env });
  const code = await main(argv, io);
  return { code, out: out.join(""), err: err.join("") };
}

async function site(withLocal = true): Promise<AccessTree> {
  const closed = await closedPort();
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n" +
      (withLocal ? "  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" : "") +
      "  saas:\n    type: scim\n    tokenEnv: SCIM_TOKEN\n" +
      `    baseUrl: http://127.0.0.1:${String(closed)}/scim/v2\n    retry: { maxRetries: 0 }\n`,
    "users/people.yaml": "users:\n  - { id: ann, name: Ann, email: ann@example.com }\n",
    "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
  });
  trees.push(tree);
  return tree;
}

describe("apply with a system that cannot be read", () => {
  it("reconciles the others, names the one left out, and exits 1", async () => {
    const tree = await site();
    const applied = await run(tree, ["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.err).toMatch(/^error: saas: /m);
    expect(applied.err).toContain("    see access/gatehouse.yaml:3:3 (provider saas in gatehouse.yaml)\n");
    expect(applied.err).toContain(
      "saas could not be read and is left out of this run; the other systems are reconciled (exit 1)",
    );
    expect(applied.err).not.toContain("t0ken-never-shown");
    expect(applied.err).not.toMatch(/\n\s+at /);
    const app = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
      groups: { name: string; members: string[] }[];
    };
    expect(app.groups).toEqual([expect.objectContaining({ name: "ops", members: ["ann"] })]);
    // The journal records the run of the system it reconciled.
    const journal = await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8");
    expect(journal).toContain('"providers":["app"]');

    // plan is no partial answer: it fails as before.
    const plan = await run(tree, ["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(/^error: saas: /);
  });

  it("leaves out a system whose secret's variable is not set here, as one it cannot read", async () => {
    const tree = await site();
    // A scheduled workflow that does not pass the SCIM app's token: the local system is reconciled.
    const applied = await run(tree, ["apply", "--yes"], {});
    expect(applied.code).toBe(1);
    expect(applied.err).toContain(
      'error: saas: set up: access/gatehouse.yaml:3:3 provider "saas" (scim): environment variable SCIM_TOKEN (tokenEnv) is not set',
    );
    expect(applied.err).toContain("saas could not be read and is left out of this run");
    const app = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
      groups: { name: string; members: string[] }[];
    };
    expect(app.groups).toEqual([expect.objectContaining({ name: "ops", members: ["ann"] })]);
    // plan still fails as a whole, and says why.
    const plan = await run(tree, ["plan"], {});
    expect(plan.code).toBe(1);
    expect(plan.err).toContain("environment variable SCIM_TOKEN (tokenEnv) is not set");
  });

  it("records the systems a run left out, and why, for the auditor: its apply-start and journal run name them", async () => {
    const tree = await site();
    expect((await run(tree, ["apply", "--yes"])).code).toBe(1);
    const starts = async () =>
      (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
        .split("\n")
        .filter((line) => line.includes('"type":"apply-start"'))
        .map((line) => JSON.parse(line) as { seq: number; leftOut?: { provider: string; error?: string }[] });
    const [first] = await starts();
    expect(first?.leftOut).toEqual([{ provider: "saas", error: expect.stringMatching(/^saas: /) as string }]);
    expect(JSON.stringify(first)).not.toContain("t0ken-never-shown");
    const shown = await run(tree, ["journal", "run", String(first?.seq)]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain("  systems: app (authoritative);");
    expect(shown.out).toMatch(
      /^ {2}LEFT OUT: saas, neither read nor changed \(could not be read: saas: .+\); any leaver it offboarded was not offboarded there$/m,
    );

    // Left out on purpose (--provider): named, with no error.
    expect((await run(tree, ["apply", "--yes", "--provider", "app"])).code).toBe(0);
    const second = (await starts()).at(-1);
    expect(second?.leftOut).toEqual([{ provider: "saas" }]);
    const named = await run(tree, ["journal", "run", String(second?.seq)]);
    expect(named.out).toContain("  LEFT OUT: saas, neither read nor changed (not named by --provider)");
  });

  it("fails as a whole when no system can be read", async () => {
    const tree = await site(false);
    const applied = await run(tree, ["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.err).toMatch(/^error: saas: /);
    expect(applied.err).not.toContain("left out of this run");
  });
});
