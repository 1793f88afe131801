/** What the offboarding check makes of a live state read back, and which accounts it checks. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { adviceAfterCheck, describeCheck } from "../../src/apply/describe-check.ts";
import {
  checkLeavers,
  leaverAccountsOf,
  verifyOffboarding,
  type LeaverAccount,
  type OffboardCheck,
} from "../../src/apply/offboard-verify.ts";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { describeEntryProblem, sealEntry } from "../../src/audit/journal-entry.ts";
import { appendJournalEntries, verifyJournal } from "../../src/audit/journal.ts";
import type { Capabilities, Provider } from "../../src/providers/types.ts";
import type { Change } from "../../src/plan/types.ts";
import { live, liveGroup, liveUser } from "../builders.ts";

const CAPS: Capabilities = {
  nesting: false,
  disable: "disable",
  revokeSessions: false,
  maxMembersPerWrite: 1,
  userAttributes: [],
  createUsers: true,
  groupDescription: true,
};
const X = { provider: "p", account: "xavier", userId: "xavier" };

/** checkLeavers of one leaver (no revocations, no groups outside the scope). */
function checkLeaver(
  state: ReturnType<typeof live>,
  leaver: LeaverAccount,
  caps: Capabilities,
): OffboardCheck {
  const [check] = checkLeavers(state, [leaver], caps);
  if (check === undefined) throw new Error("checkLeavers returned no check");
  return check;
}

describe("checkLeaver", () => {
  it("is clean for a disabled account in no group, and for one that is gone", () => {
    const disabled = checkLeaver(live([liveUser("xavier", { enabled: false })], [liveGroup("ops")]), X, CAPS);
    expect(disabled).toMatchObject({ clean: true, accountState: "disabled", groups: [] });
    expect(checkLeaver(live([], [liveGroup("ops", ["ann"])]), X, CAPS)).toMatchObject({
      clean: true,
      accountState: "absent",
      sessions: { outcome: "not-possible" },
    });
  });

  it("finds an enabled account, a pending invitation, a group (as member or maintainer), open sessions", () => {
    expect(checkLeaver(live([liveUser("xavier")]), X, CAPS)).toMatchObject({
      clean: false,
      accountState: "enabled",
    });
    expect(checkLeaver(live([liveUser("xavier", { pending: true })]), X, CAPS)).toMatchObject({
      clean: false,
      accountState: "pending",
    });
    const groups = [liveGroup("b", ["xavier"]), liveGroup("a", [], { maintainers: ["xavier"] })];
    expect(checkLeaver(live([], groups), X, CAPS)).toMatchObject({ clean: false, groups: ["a", "b"] });
    const open = liveUser("xavier", { enabled: false, sessions: 1, tokens: 0 });
    expect(checkLeaver(live([open]), X, { ...CAPS, revokeSessions: true })).toMatchObject({
      clean: false,
      sessions: { outcome: "left", sessions: 1, tokens: 0 },
    });
  });

  it("says none open where sessions can be revoked, and names the account in another case where names fold", () => {
    const caps = { ...CAPS, revokeSessions: true, caseInsensitiveNames: true };
    const state = live([liveUser("Xavier", { enabled: false, sessions: 0 })], [liveGroup("ops", ["XAVIER"])]);
    expect(checkLeaver(state, X, caps)).toMatchObject({
      clean: false,
      accountState: "disabled",
      groups: ["ops"],
      sessions: { outcome: "none" },
    });
    // Where case matters, those are other accounts.
    expect(checkLeaver(state, X, { ...caps, caseInsensitiveNames: false })).toMatchObject({
      clean: true,
      accountState: "absent",
    });
  });

  it("is not clean while a group outside the scope read holds the account", () => {
    const state = live([liveUser("xavier", { enabled: false })]);
    const outside = new Map([[`${X.provider}\n${X.account}`, { outside: ["cn=vpn,ou=legacy"], unread: [] }]]);
    const [check] = checkLeavers(state, [X], CAPS, new Map(), outside);
    expect(check).toMatchObject({ clean: false, groups: [], groupsOutside: ["cn=vpn,ou=legacy"] });
    expect(check).not.toHaveProperty("unreadMemberships");
  });

  it("is not clean while a group read names the account through an attribute the read does not map", () => {
    const state = live([liveUser("xavier", { enabled: false })], [liveGroup("dev")]);
    const unread = [{ group: "cn=dev,ou=groups", attribute: "memberUid" }];
    const outside = new Map([[`${X.provider}\n${X.account}`, { outside: [], unread }]]);
    const [check] = checkLeavers(state, [X], CAPS, new Map(), outside);
    expect(check).toMatchObject({ clean: false, groups: [], unreadMemberships: unread });
    expect(check).not.toHaveProperty("groupsOutside");
    expect(check && describeCheck(check)).toBe(
      "account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, still named in groups gatehouse reads through an attribute it does not manage: memberUid in cn=dev,ou=groups",
    );
  });

  it("says to remove in the system what no plan shows, and leaves the rest to the next plan", () => {
    const key = `${X.provider}\n${X.account}`;
    const outside = (held: { outside: string[]; unread: { group: string; attribute: string }[] }) =>
      new Map([[key, held]]);
    const disabled = live([liveUser("xavier", { enabled: false })], [liveGroup("dev")]);
    const [onlyOutside] = checkLeavers(
      disabled,
      [X],
      CAPS,
      new Map(),
      outside({ outside: ["cn=vpn"], unread: [] }),
    );
    const [onlyUnread] = checkLeavers(
      disabled,
      [X],
      CAPS,
      new Map(),
      outside({ outside: [], unread: [{ group: "cn=dev", attribute: "memberUid" }] }),
    );
    const stillIn = live([liveUser("xavier", { enabled: false })], [liveGroup("dev", ["xavier"])]);
    const [onlyPlanned] = checkLeavers(stillIn, [X], CAPS);
    const [both] = checkLeavers(stillIn, [X], CAPS, new Map(), outside({ outside: ["cn=vpn"], unread: [] }));
    const elsewhere = { ...live(), elsewhere: [{ account: "xavier", where: "uid=xavier,ou=parked" }] };
    if (!onlyOutside || !onlyUnread || !onlyPlanned || !both) throw new Error("no check");
    const unseen = /no plan shows them .*remove them in the system itself; every apply checks again/;
    expect(adviceAfterCheck(onlyOutside)).toMatch(unseen);
    expect(adviceAfterCheck(onlyOutside)).not.toContain("the next plan shows");
    expect(adviceAfterCheck(onlyUnread)).toMatch(unseen);
    expect(adviceAfterCheck(checkLeaver(elsewhere, X, CAPS))).toMatch(unseen);
    expect(adviceAfterCheck(onlyPlanned)).toBe("the next plan shows what is left");
    expect(adviceAfterCheck(both)).toMatch(
      /^the next plan shows what is left of what gatehouse manages; .*itself; every apply checks again, and plans note it, until a check finds them gone$/,
    );
    expect(adviceAfterCheck(checkLeaver(live([liveUser("xavier")]), X, CAPS))).toBe(
      "the next plan shows what is left",
    );
  });

  it("does not call an account outside the scope read clean", () => {
    const state = { ...live(), elsewhere: [{ account: "xavier", where: "uid=xavier,ou=parked,dc=x" }] };
    expect(checkLeaver(state, X, CAPS)).toMatchObject({
      clean: false,
      elsewhere: "uid=xavier,ou=parked,dc=x",
    });
  });
});

describe("leaverAccountsOf", () => {
  it("takes each leaver's account once per system, from user and membership changes, and no one else's", () => {
    const base = { reason: "user-terminated", risk: "narrows" } as const;
    const changes: Change[] = [
      { ...base, id: "p:user/x", provider: "p", kind: "user", action: "disable", account: "x", userId: "xu" },
      {
        ...base,
        id: "p:membership/ops/x",
        provider: "p",
        kind: "membership",
        action: "remove",
        group: "ops",
        member: "x",
        memberKind: "user",
      },
      {
        ...base,
        id: "q:membership/ops/x",
        provider: "q",
        kind: "membership",
        action: "remove",
        group: "ops",
        member: "x",
        memberKind: "user",
      },
      {
        ...base,
        reason: "removed-from-config",
        id: "p:membership/ops/ann",
        provider: "p",
        kind: "membership",
        action: "remove",
        group: "ops",
        member: "ann",
        memberKind: "user",
      },
    ];
    expect(leaverAccountsOf(changes)).toEqual([
      { provider: "p", account: "x", userId: "xu" },
      { provider: "q", account: "x" },
    ]);
  });
});

describe("offboard-verified journal entries", () => {
  const entry = {
    type: "offboard-verified",
    at: "2026-06-01T12:00:01Z",
    runSeq: 1,
    triggeredAt: "2026-06-01T12:00:00Z",
    provider: "p",
    account: "x",
    clean: true,
    accountState: "disabled",
    groups: [],
    sessions: { outcome: "none" },
  } as const;

  it("are valid entries, and ones with a wrong field are not", () => {
    expect(describeEntryProblem(sealEntry(entry, undefined))).toBeUndefined();
    const bad = (fields: Record<string, unknown>): string | undefined =>
      describeEntryProblem({ ...sealEntry(entry, undefined), ...fields });
    expect(bad({ clean: "yes" })).toBe("clean must be true or false");
    expect(bad({ accountState: "gone" })).toMatch(/accountState/);
    expect(bad({ sessions: { outcome: "revoked" } })).toMatch(/sessions/);
    expect(bad({ triggeredAt: "soon" })).toMatch(/triggeredAt/);
    expect(
      bad({ unreadMemberships: [{ group: "cn=dev,ou=groups", attribute: "memberUid" }] }),
    ).toBeUndefined();
    expect(bad({ unreadMemberships: ["cn=dev,ou=groups"] })).toMatch(/unreadMemberships/);
    expect(bad({ recheckedAfterMs: 10_000, unsettled: ["side"] })).toBeUndefined();
    expect(bad({ recheckedAfterMs: "10 s" })).toMatch(/recheckedAfterMs/);
    expect(bad({ unsettled: "side" })).toMatch(/unsettled/);
    expect(bad({ renamedTo: "x2" })).toBeUndefined();
    expect(bad({ renamedTo: 2 })).toMatch(/renamedTo/);
    // A re-check of an open verdict names the earlier entry by its seq (entries before it lack it).
    expect(bad({ recheckOf: 7 })).toBeUndefined();
    expect(bad({ recheckOf: "7" })).toMatch(/recheckOf/);
    expect(bad({ recheckOf: 0 })).toMatch(/recheckOf/);
  });

  it("pass journal verify as a re-check of an earlier entry, and not when they name themselves or a later one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gatehouse-recheck-"));
    try {
      const file = path.join(dir, "journal.jsonl");
      const start = {
        type: "apply-start",
        at: "2026-06-01T12:00:00Z",
        actor: "ci",
        planDigest: "p",
        desiredDigest: "d",
        providers: ["app"],
        changes: 0,
      } as const;
      // seq 1 start, 2 the first check (an old entry: no recheckOf), 3 a start, 4 its re-check of 2.
      await appendJournalEntries(file, [start, { ...entry, runSeq: 1, clean: false }, start]);
      await appendJournalEntries(file, [{ ...entry, runSeq: 3, recheckOf: 2 }]);
      expect((await verifyJournal(file)).problems).toEqual([]);
      await appendJournalEntries(file, [{ ...entry, runSeq: 3, recheckOf: 5 }]);
      expect((await verifyJournal(file)).problems).toEqual([
        { line: 5, message: "entry seq 5 says it re-checks entry 5, which is not before it" },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("take a change entry's accountId when it is a string", () => {
    const change = {
      type: "change",
      at: "2026-06-01T12:00:01Z",
      runSeq: 1,
      provider: "p",
      changeId: "p:user/x",
      change: {
        id: "p:user/x",
        provider: "p",
        kind: "user",
        action: "disable",
        account: "x",
        reason: "user-terminated",
        risk: "narrows",
      },
      outcome: "applied",
    } as const;
    const sealed = sealEntry(change, undefined);
    expect(
      describeEntryProblem({ ...sealed, accountId: "0c5a7e34-1d1c-103f-8a7c-0b6e3a1f2c3d" }),
    ).toBeUndefined();
    expect(describeEntryProblem({ ...sealed, accountId: 7 })).toBe("accountId must be a string");
  });
});

describe("verifyOffboarding", () => {
  it("reads each system once, and says a system it cannot read back is not verified", async () => {
    let reads = 0;
    const system = (name: string, fail: boolean): Provider => ({
      name,
      type: "test",
      capabilities: CAPS,
      read: () => {
        reads++;
        return fail ? Promise.reject(new Error("connection refused")) : Promise.resolve(live());
      },
      apply: () => Promise.resolve([]),
      stats: () => ({ reads: 0, writes: 0 }),
      close: () => Promise.resolve(),
    });
    const result = (provider: string, account: string): ChangeResult => ({
      change: {
        id: `${provider}:user/${account}`,
        provider,
        kind: "user",
        action: "disable",
        account,
        reason: "user-terminated",
        risk: "narrows",
      },
      outcome: "applied",
      at: "2026-06-01T12:00:00Z",
      attempts: 1,
    });
    const providers = new Map([
      ["up", system("up", false)],
      ["down", system("down", true)],
    ]);
    const checks = await verifyOffboarding(
      [result("up", "x"), result("up", "y"), result("down", "x")],
      providers,
      AbortSignal.timeout(5_000),
    );
    expect(reads).toBe(2);
    expect(checks).toEqual([
      expect.objectContaining({ provider: "up", account: "x", clean: true }),
      expect.objectContaining({ provider: "up", account: "y", clean: true }),
      { provider: "down", account: "x", clean: false, error: "reading down back failed: connection refused" },
    ]);
  });

  describe("with open verdicts", () => {
    /** A system whose groups outside the scope read hold `outside`; it counts reads and searches. */
    function directory(outside: ReadonlyMap<string, readonly string[]>, caps: Capabilities = CAPS) {
      const calls = { reads: 0, searches: [] as string[][] };
      const provider: Provider = {
        name: "dir",
        type: "test",
        capabilities: caps,
        read: () => {
          calls.reads++;
          return Promise.resolve(
            live([liveUser("Ben", { enabled: false }), liveUser("x", { enabled: false })]),
          );
        },
        groupsOutsideHolding: (accounts) => {
          calls.searches.push([...accounts]);
          return Promise.resolve(
            new Map(accounts.map((a) => [a, { outside: [...(outside.get(a) ?? [])], unread: [] }])),
          );
        },
        apply: () => Promise.resolve([]),
        stats: () => ({ reads: 0, writes: 0 }),
        close: () => Promise.resolve(),
      };
      return { provider, calls };
    }
    const earlier = (account: string, seq: number): LeaverAccount => ({
      provider: "dir",
      account,
      userId: account.toLowerCase(),
      recheckOf: seq,
      triggeredAt: "2026-05-01T09:00:00Z",
      leaving: "status: terminated",
    });
    const disabled = (account: string): ChangeResult => ({
      change: {
        id: `dir:user/${account}`,
        provider: "dir",
        kind: "user",
        action: "disable",
        account,
        reason: "user-terminated",
        risk: "narrows",
      },
      outcome: "applied",
      at: "2026-06-01T12:00:00Z",
      attempts: 1,
    });
    // No wait: a second read, were one made, would show in the reads counted.
    const never = (): Promise<void> => Promise.resolve();

    it("checks them on the plan's read where the run changed nothing there: the outside search only", async () => {
      const { provider, calls } = directory(new Map([["Ben", ["cn=vpn,ou=legacy"]]]));
      const planRead = live([liveUser("Ben", { enabled: false })], [liveGroup("side", ["Ben"])]);
      const checks = await verifyOffboarding(
        [],
        new Map([["dir", provider]]),
        AbortSignal.timeout(5_000),
        { afterMs: 10, wait: never },
        new Map([["dir", { leavers: [earlier("Ben", 12)], live: planRead }]]),
      );
      expect(calls).toEqual({ reads: 0, searches: [["Ben"]] });
      expect(checks).toEqual([
        expect.objectContaining({
          account: "Ben",
          recheckOf: 12,
          triggeredAt: "2026-05-01T09:00:00Z",
          clean: false,
          groups: ["side"],
          groupsOutside: ["cn=vpn,ou=legacy"],
        }),
      ]);
    });

    it("checks them on the read back of a system the run changed, in one search, and reads again only for the run's leavers", async () => {
      const { provider, calls } = directory(new Map([["Ben", ["cn=vpn,ou=legacy"]]]));
      const checks = await verifyOffboarding(
        [disabled("x")],
        new Map([["dir", provider]]),
        AbortSignal.timeout(5_000),
        { afterMs: 10, wait: never },
        new Map([["dir", { leavers: [earlier("Ben", 12)], live: live() }]]),
      );
      expect(calls).toEqual({ reads: 1, searches: [["x", "Ben"]] });
      expect(checks).toEqual([
        expect.objectContaining({ account: "x", clean: true }),
        expect.objectContaining({ account: "Ben", recheckOf: 12, clean: false }),
      ]);
      expect(checks[0]).not.toHaveProperty("recheckOf");
    });

    it("marks the run's own check of an account with an open verdict as its re-check, once, whatever the case", async () => {
      const { provider, calls } = directory(new Map(), { ...CAPS, caseInsensitiveNames: true });
      const checks = await verifyOffboarding(
        [disabled("ben")],
        new Map([["dir", provider]]),
        AbortSignal.timeout(5_000),
        { afterMs: 0 },
        new Map([["dir", { leavers: [earlier("Ben", 12)], live: live() }]]),
      );
      expect(calls.searches).toEqual([["ben"]]);
      expect(checks).toEqual([
        expect.objectContaining({
          account: "ben",
          recheckOf: 12,
          triggeredAt: "2026-05-01T09:00:00Z",
          clean: true,
        }),
      ]);
    });
  });
});
