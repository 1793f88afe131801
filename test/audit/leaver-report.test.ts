/**
 * leaversOffboarded over a journal written by gatehouse's own appender: a check that found access left
 * and its re-check, a verdict closed by hand, webhook deliveries failed then delivered, a fire drill's
 * canary (no leaver) and a person offboarded twice (rehired, then leaving again).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { isLate, leaversOffboarded, selectLeavers } from "../../src/audit/leaver-report.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const start = (at: string): NewJournalEntry => ({
  type: "apply-start",
  at,
  actor: "github:ops-bot",
  commit: "0123456789abcdef0123456789abcdef01234567",
  planDigest: "p",
  desiredDigest: "d",
  providers: ["app", "ldap"],
  changes: 2,
});
const end = (runSeq: number, at: string): NewJournalEntry => ({
  type: "apply-end",
  at,
  runSeq,
  applied: 2,
  failed: 0,
  durationMs: 1000,
  calls: {},
});
function check(
  runSeq: number,
  at: string,
  provider: string,
  userId: string,
  clean: boolean,
  extra: Record<string, unknown> = {},
): NewJournalEntry {
  return {
    type: "offboard-verified",
    at,
    runSeq,
    triggeredAt: "2026-03-02T08:00:00.000Z",
    provider,
    account: userId,
    userId,
    leaving: "endDate 2026-03-01 has passed",
    clean,
    ...(clean ? { accountState: "disabled" } : { accountState: "disabled", groups: ["ops"] }),
    ...extra,
  };
}

async function journal(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-leavers-"));
  dirs.push(dir);
  const file = join(dir, "journal.jsonl");
  // Run 1 (seq 1) at 08:00 the day after dee's and gil's last day.
  await appendJournalEntries(file, [
    start("2026-03-02T08:00:00.000Z"),
    check(1, "2026-03-02T08:00:02.000Z", "app", "dee", true), // seq 2
    check(1, "2026-03-02T08:00:03.000Z", "ldap", "dee", false), // seq 3: ops left (refint still at work)
    check(1, "2026-03-02T08:00:04.000Z", "ldap", "gil", false), // seq 4
    end(1, "2026-03-02T08:00:05.000Z"), // seq 5
    {
      type: "webhook-delivered",
      at: "2026-03-02T08:00:06.000Z",
      runSeq: 1,
      triggeredAt: "2026-03-02T08:00:00.000Z",
      webhook: "hr",
      userId: "dee",
      delivery: "d-1",
      outcome: "failed",
      attempts: 3,
      status: 503,
      body: "{}",
    }, // seq 6
  ]);
  // Run 2 (seq 7), an hour later: dee's LDAP re-check is clean, the webhook goes through; gil's still not.
  await appendJournalEntries(file, [
    start("2026-03-02T09:00:00.000Z"),
    check(7, "2026-03-02T09:00:01.000Z", "ldap", "dee", true, { recheckOf: 3 }), // seq 8
    check(7, "2026-03-02T09:00:02.000Z", "ldap", "gil", false, { recheckOf: 4 }), // seq 9
    end(7, "2026-03-02T09:00:03.000Z"),
    {
      type: "webhook-delivered",
      at: "2026-03-02T09:00:04.000Z",
      runSeq: 7,
      triggeredAt: "2026-03-02T08:00:00.000Z",
      webhook: "hr",
      userId: "dee",
      delivery: "d-1",
      outcome: "delivered",
      attempts: 1,
      status: 200,
      retryOf: 6,
    },
    // gil's account is in a group an admin keeps by hand: closed by hand.
    {
      type: "verdict-closed",
      at: "2026-03-03T10:00:00.000Z",
      actor: "ann@example.com",
      provider: "ldap",
      account: "gil",
      userId: "gil",
      closes: 9,
      reason: "INC-9: ops is emptied by hand",
    },
    // ivy's LDAP account could not be read back, and nobody closed it.
    check(7, "2026-03-02T09:00:05.000Z", "ldap", "ivy", false, {
      triggeredAt: "2026-03-02T09:00:00.000Z",
      groups: undefined,
      error: "LDAP read timed out",
    }),
    // A fire drill's canary is no leaver.
    start("2026-03-04T10:00:00.000Z"),
    check(14, "2026-03-04T10:00:01.000Z", "app", "canary", true, {
      drill: true,
      triggeredAt: "2026-03-04T10:00:00.000Z",
    }),
    end(14, "2026-03-04T10:00:02.000Z"),
    // hal was dismissed (no last day), and leaves again after a rehire with a last day of 2026-03-10,
    // offboarded 30 hours after its end.
    start("2026-03-05T10:00:00.000Z"),
    check(17, "2026-03-05T10:00:01.000Z", "app", "hal", true, {
      triggeredAt: "2026-03-05T10:00:00.000Z",
      leaving: "status: terminated",
    }),
    end(17, "2026-03-05T10:00:02.000Z"),
    start("2026-03-12T06:00:00.000Z"),
    check(20, "2026-03-12T06:00:01.000Z", "app", "hal", true, {
      triggeredAt: "2026-03-12T06:00:00.000Z",
      leaving: "endDate 2026-03-10 has passed",
    }),
    end(20, "2026-03-12T06:00:02.000Z"),
  ]);
  return file;
}

describe("leaversOffboarded", () => {
  it("follows each leaver's checks to their outcome: re-checked clean, closed by hand, and webhooks", async () => {
    const file = await journal();
    const all = await leaversOffboarded(file);
    expect(all.map((r) => [r.userId, r.leaving, r.outcome])).toEqual([
      ["dee", "endDate 2026-03-01 has passed", "clean"],
      ["gil", "endDate 2026-03-01 has passed", "closed-by-hand"],
      ["ivy", "endDate 2026-03-01 has passed", "access-left"],
      ["hal", "status: terminated", "clean"],
      ["hal", "endDate 2026-03-10 has passed", "clean"],
    ]);
    const [dee, gil, , hal1, hal2] = all;
    expect(dee?.systems.map((s) => [s.provider, s.outcome, s.cleanAt, s.checks.map((c) => c.clean)])).toEqual(
      [
        ["app", "clean", "2026-03-02T08:00:02.000Z", [true]],
        ["ldap", "clean", "2026-03-02T09:00:01.000Z", [false, true]],
      ],
    );
    expect(dee?.systems[1]?.checks[0]?.groupsLeft).toEqual(["ops"]);
    // Clean everywhere once the last system was: the LDAP re-check.
    expect(dee?.cleanAt).toBe("2026-03-02T09:00:01.000Z");
    expect(dee?.webhooks).toEqual([
      { webhook: "hr", delivery: "d-1", outcome: "delivered", at: "2026-03-02T09:00:04.000Z", attempts: 4 },
    ]);
    expect(dee && isLate(dee)).toBe(false);
    expect(dee?.afterLastDayMs).toBe(8 * 3_600_000);
    expect(gil?.systems[0]).toMatchObject({
      outcome: "closed-by-hand",
      closed: { actor: "ann@example.com", reason: "INC-9: ops is emptied by hand" },
    });
    expect(gil).not.toHaveProperty("cleanAt");
    expect(hal1).not.toHaveProperty("lastDay");
    expect(hal2).toMatchObject({ lastDay: "2026-03-10", afterLastDayMs: 30 * 3_600_000 });
    expect(hal2 && isLate(hal2)).toBe(true);

    expect(selectLeavers(all, { user: "hal" }).length).toBe(2);
    const march5 = selectLeavers(all, {
      since: new Date("2026-03-03T00:00:00Z"),
      until: new Date("2026-03-06T00:00:00Z"),
    });
    expect(march5.map((r) => r.userId)).toEqual(["hal"]);
  });

  it("shows what was left and who closed it, and access left with nobody closing it, in the text", async () => {
    const file = await journal();
    const run = await runCliIn(dirname(file), [
      "journal",
      "leavers",
      "--journal",
      file,
      "--until",
      "2026-03-02",
    ]);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toContain(
      "  ldap/dee: access left (ops) at 2026-03-02T08:00:03.000Z, then re-checked: clean at 2026-03-02T09:00:01.000Z",
    );
    expect(run.stdout).toContain(
      "  ldap/gil: access left (ops) at 2026-03-02T08:00:04.000Z, then re-checked: access left (ops) at 2026-03-02T09:00:02.000Z; " +
        "closed by hand at 2026-03-03T10:00:00.000Z by ann@example.com: INC-9: ops is emptied by hand",
    );
    expect(run.stdout).toContain(
      "  webhook hr (delivery d-1): delivered at 2026-03-02T09:00:04.000Z after 4 attempt(s)\n",
    );
    expect(run.stdout).toContain(", by github:ops-bot, commit 0123456789ab");
    expect(run.stdout).not.toContain("canary");
    expect(run.stdout).toContain(
      "  ldap/ivy: not checked (LDAP read timed out) at 2026-03-02T09:00:05.000Z; ACCESS LEFT: no later check found it clean\n  verdict: ACCESS LEFT in ldap\n",
    );
    expect(run.stdout).toContain(
      ": 3 (0 late, more than a day after the end of their last day; 1 with access left)",
    );
  });
});
