import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyPlan, type ApplyOptions, type ChangeResult } from "../../src/apply/apply-plan.ts";
import { ProviderError } from "../../src/errors.ts";
import type { AccessModel } from "../../src/model/access.ts";
import type { Plan } from "../../src/plan/types.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import type { ChangeOutcome, Provider } from "../../src/providers/types.ts";
import {
  briefs,
  group,
  live,
  liveGroup,
  liveUser,
  model,
  NOW,
  planFor,
  providerConfig,
  user,
} from "../builders.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function localDirectory(): Promise<Provider> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-apply-"));
  dirs.push(cwd);
  const config = providerConfig({ settings: { path: path.join(cwd, "directory.json") } });
  return createLocalProvider(config, { env: {}, cwd, now: () => NOW });
}

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const options = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({
  signal: signal(),
  now: () => NOW,
  sleep: () => Promise.resolve(),
  ...extra,
});

/** Plans `accessModel` against what `provider` holds now. */
async function planAgainst(accessModel: AccessModel, provider: Provider): Promise<Plan> {
  return planFor(accessModel, { live: await provider.read(signal()) });
}

const team = model({
  users: [user("alice"), user("bob")],
  groups: [group("g", ["alice"]), group("h", ["bob"])],
});

const outcomes = (results: readonly ChangeResult[]): string[] =>
  results.map((r) => `${r.change.id} ${r.outcome}${r.error ? `: ${r.error}` : ""}`);

describe("applyPlan with the local directory", () => {
  it("applies every change of a plan and converges", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(team, directory);
    const result = await applyPlan(plan, new Map([["directory", directory]]), options());
    expect(result).toMatchObject({ applied: 6, failed: 0, skipped: 0 });
    expect(result.results.map((r) => r.change)).toEqual(plan.changes);
    expect((await planAgainst(team, directory)).changes).toEqual([]);
  });

  it("keeps going after a failed change and skips the memberships of a group whose create failed", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(team, directory);
    // Someone creates g out of band after the plan was made: creating it again fails.
    const outOfBand = plan.changes.filter((c) => c.id === "directory:group/g");
    expect((await directory.apply(outOfBand, signal()))[0]?.status).toBe("applied");

    const seen: ChangeResult[] = [];
    const result = await applyPlan(
      plan,
      new Map([["directory", directory]]),
      options({ onResults: (rs) => void seen.push(...rs) }),
    );
    expect(outcomes(result.results)).toEqual([
      "directory:user/alice applied",
      "directory:user/bob applied",
      'directory:group/g failed: directory: create group: group "g" already exists',
      "directory:group/h applied",
      "directory:membership/g/alice skipped: skipped: creating group/g failed",
      "directory:membership/h/bob applied",
    ]);
    expect(result).toMatchObject({ applied: 4, failed: 1, skipped: 1 });
    expect(seen).toHaveLength(6);

    const rerun = await planAgainst(team, directory);
    expect(briefs(rerun)).toEqual(["membership.add g/alice added-in-config broadens"]);
    expect((await applyPlan(rerun, new Map([["directory", directory]]), options())).failed).toBe(0);
    expect((await planAgainst(team, directory)).changes).toEqual([]);
  });

  it("skips every change once the run is interrupted", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(team, directory);
    const controller = new AbortController();
    controller.abort();
    const result = await applyPlan(plan, new Map([["directory", directory]]), {
      ...options(),
      signal: controller.signal,
    });
    expect(result).toMatchObject({ applied: 0, failed: 0, skipped: 6 });
    expect(result.results.every((r) => r.error === "skipped: apply was interrupted")).toBe(true);
    expect((await directory.read(signal())).users).toEqual([]);
  });
});

/** The real local provider behind a boundary that fails its first `failures` writes. */
function flaky(
  inner: Provider,
  failures: number,
  mode: "transient" | "permanent" | "throw",
): Provider & {
  readonly calls: () => number;
} {
  let calls = 0;
  return {
    ...inner,
    calls: () => calls,
    async apply(changes, abort): Promise<ChangeOutcome[]> {
      calls++;
      if (calls > failures) return inner.apply(changes, abort);
      if (mode === "throw") throw new Error("socket hang up");
      const error = new ProviderError(inner.name, "apply", "503 service unavailable", {
        status: 503,
        isTransient: mode === "transient",
      });
      return changes.map(() => ({ status: "failed", error }));
    },
  };
}

describe("applyPlan retries", () => {
  const one = model({ users: [user("alice")] });

  it("retries transient failures with growing backoff and succeeds", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(one, directory);
    const provider = flaky(directory, 2, "transient");
    const sleeps: number[] = [];
    const result = await applyPlan(
      plan,
      new Map([["directory", provider]]),
      options({
        retries: 3,
        backoffMs: 100,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      }),
    );
    expect(outcomes(result.results)).toEqual(["directory:user/alice applied"]);
    expect(result.results[0]?.attempts).toBe(3);
    expect(provider.calls()).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThan(200);
    expect(sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(sleeps[1]).toBeLessThan(300);
  });

  it("gives up after the last retry and reports the failure", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(one, directory);
    const provider = flaky(directory, 10, "transient");
    const result = await applyPlan(plan, new Map([["directory", provider]]), options({ retries: 2 }));
    expect(outcomes(result.results)).toEqual([
      "directory:user/alice failed: directory: apply: 503 service unavailable",
    ]);
    expect(result.results[0]?.attempts).toBe(3);
    expect(provider.calls()).toBe(3);
    expect((await directory.read(signal())).users).toEqual([]);
  });

  it("stops writing to a provider after three writes in a row fail through their retries, and skips the rest", async () => {
    const many = model({ users: ["a", "b", "c", "d", "e", "f"].map((id) => user(id)) });
    const directory = await localDirectory();
    const plan = await planAgainst(many, directory);
    expect(plan.changes).toHaveLength(6);
    // One write per change, as LDAP does (the local directory takes a whole phase in one write).
    const oneByOne = { ...directory.capabilities, applyWholePhase: false };
    const gone = { ...flaky(directory, 1_000, "transient"), capabilities: oneByOne };
    const result = await applyPlan(plan, new Map([["directory", gone]]), options({ retries: 2 }));
    expect(result).toMatchObject({ applied: 0, failed: 3, skipped: 3 });
    expect(gone.calls()).toBe(3 * 3); // three changes, each tried three times; the other three never
    // The reason once, on the first change skipped; the others say what happened, not the error again.
    expect(result.results.filter((r) => r.outcome === "skipped").map((r) => r.error)).toEqual([
      "skipped: directory failed 3 writes in a row through their retries (last: directory: apply: 503 service unavailable); its remaining changes were not attempted",
      "skipped: not attempted after directory failed 3 writes in a row",
      "skipped: not attempted after directory failed 3 writes in a row",
    ]);

    // A server that answers some writes between failures is not given up on.
    const directory2 = await localDirectory();
    const plan2 = await planAgainst(many, directory2);
    let calls = 0;
    const patchy: Provider = {
      ...directory2,
      capabilities: { ...directory2.capabilities, applyWholePhase: false },
      async apply(changes, abort) {
        calls++;
        if (calls % 3 === 0) return directory2.apply(changes, abort);
        const error = new ProviderError("directory", "apply", "503", { status: 503, isTransient: true });
        return changes.map(() => ({ status: "failed", error }));
      },
    };
    const result2 = await applyPlan(plan2, new Map([["directory", patchy]]), options({ retries: 2 }));
    expect(result2.skipped).toBe(0);
    expect(result2.applied).toBe(6);
  });

  it("counts writes that got no answer toward giving up, though they are not retried, and not refusals", async () => {
    const many = model({ users: ["a", "b", "c", "d", "e", "f"].map((id) => user(id)) });
    const failing = async (error: ProviderError) => {
      const directory = await localDirectory();
      const plan = await planAgainst(many, directory);
      let calls = 0;
      const provider: Provider = {
        ...directory,
        capabilities: { ...directory.capabilities, applyWholePhase: false },
        apply(changes) {
          calls++;
          return Promise.resolve(changes.map(() => ({ status: "failed", error }) as const));
        },
      };
      const result = await applyPlan(plan, new Map([["directory", provider]]), options({ retries: 2 }));
      return { result, calls };
    };
    // A create that may have landed is not sent again (not transient), but no answer means the server may be gone.
    const refused = new ProviderError("directory", "create", "connection failed (ECONNREFUSED)", {
      status: "network",
      isUnanswered: true,
    });
    const gone = await failing(refused);
    expect(gone.calls).toBe(3);
    expect(gone.result).toMatchObject({ applied: 0, failed: 3, skipped: 3 });
    expect(gone.result.results.find((r) => r.outcome === "skipped")?.error).toBe(
      "skipped: directory failed 3 writes in a row with no answer (last: directory: create: connection failed (ECONNREFUSED)); its remaining changes were not attempted",
    );
    // A refusal about the data (a 409) is an answer: every change is still tried.
    const conflict = new ProviderError("directory", "create", "HTTP 409 uniqueness", { status: 409 });
    const answered = await failing(conflict);
    expect(answered.calls).toBe(6);
    expect(answered.result).toMatchObject({ failed: 6, skipped: 0 });
  });

  it("does not retry a permanent failure", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(one, directory);
    const provider = flaky(directory, 1, "permanent");
    const result = await applyPlan(plan, new Map([["directory", provider]]), options({ retries: 3 }));
    expect(result).toMatchObject({ applied: 0, failed: 1 });
    expect(provider.calls()).toBe(1);
  });

  it("turns a thrown error into a failed outcome without retrying it", async () => {
    const directory = await localDirectory();
    const plan = await planAgainst(one, directory);
    const provider = flaky(directory, 1, "throw");
    const result = await applyPlan(plan, new Map([["directory", provider]]), options({ retries: 3 }));
    expect(outcomes(result.results)).toEqual([
      "directory:user/alice failed: directory: apply: socket hang up",
    ]);
    expect(provider.calls()).toBe(1);
  });
});

describe("applyPlan after a rename in place that was made although its change failed", () => {
  // alice's account becomes alice.new (LDAP: a modifyDN); member values name the account, so the plan
  // moves them. The modifyDN is made, and the write of her other attributes after it fails.
  const files = model({
    users: [user("alice", { accounts: { directory: "alice.new" } })],
    groups: [group("g", ["alice"])],
  });
  const plan = planFor(files, {
    live: live([liveUser("alice")], [liveGroup("g", ["alice"])]),
    journalAccounts: new Map([["directory\nalice", ["alice"]]]),
    managed: ["directory:user/alice", "directory:membership/g/alice"],
    capabilities: {
      renameUsers: true,
      userAttributes: [],
      userRenameRewrites: { members: true, manager: false },
    },
  });

  it("still moves the member values: the entry is under its new name, and the groups' values name the former one", async () => {
    expect(
      plan.changes.filter((c) => c.kind !== "group").map((c) => `${c.kind}.${c.action} ${c.id}`),
    ).toEqual([
      "user.update directory:user/alice",
      "membership.remove directory:membership/g/alice",
      "membership.add directory:membership/g/alice.new",
    ]);
    const written: string[] = [];
    const provider: Provider = {
      type: "fake",
      name: "directory",
      capabilities: { nesting: false, maxMembersPerWrite: 100 } as Provider["capabilities"],
      read: () => Promise.reject(new Error("not read")),
      apply: (changes) =>
        Promise.resolve(
          changes.map((c): ChangeOutcome => {
            if (c.kind === "user")
              return {
                status: "failed",
                accountMade: true,
                error: new ProviderError(
                  "directory",
                  "rename user",
                  'the account "alice" was renamed to "alice.new", but writing its other attributes failed',
                ),
              };
            if (c.kind === "membership") written.push(c.id);
            return { status: "applied" };
          }),
        ),
      stats: () => ({ reads: 0, writes: 0 }),
      close: () => Promise.resolve(),
    };
    const result = await applyPlan(plan, new Map([["directory", provider]]), options());
    expect(result).toMatchObject({ failed: 1, skipped: 0 });
    expect(written).toEqual(["directory:membership/g/alice", "directory:membership/g/alice.new"]);
  });
});
