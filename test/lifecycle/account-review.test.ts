/**
 * reviewAccounts on planner inputs built as the engine builds them: the corners the CLI tests on a local
 * directory do not reach (names that ignore case, renames in place, accounts renamed by hand, invitations).
 */
import { describe, expect, it } from "vitest";
import type { AccountUse } from "../../src/model/account-use.ts";
import type { AccessModel } from "../../src/model/access.ts";
import type { LiveState } from "../../src/model/state.ts";
import { computeDesiredState } from "../../src/desired/desired-state.ts";
import { computeEffectiveMemberships } from "../../src/desired/effective.ts";
import { computePlan, type ProviderPlanInput } from "../../src/plan/compute-plan.ts";
import type { PlannerCapabilities } from "../../src/plan/context.ts";
import {
  reviewAccounts,
  type AccountsReport,
  type SystemAccounts,
} from "../../src/lifecycle/account-review.ts";
import { capabilities, live, liveUser, model, NOW, providerConfig, user } from "../builders.ts";
import { renderAccountsText } from "../../src/render/accounts.ts";

const DAY = 86_400_000;
const ago = (days: number): string => new Date(NOW.getTime() - days * DAY).toISOString();

interface Case {
  readonly model: AccessModel;
  readonly live: LiveState;
  readonly signIns: Readonly<Record<string, AccountUse>>;
  readonly capabilities?: Partial<PlannerCapabilities>;
  readonly journalAccounts?: ReadonlyMap<string, readonly string[]>;
  /** The sign-in read failed with this (then `signIns` is not given to the review). */
  readonly signInsError?: string;
}

/** The one system of `c.model`, planned and reviewed as `gatehouse accounts` does (90 days). */
function review(c: Case): SystemAccounts {
  const [system] = reviewReport(c).systems;
  if (system === undefined) throw new Error("no system reviewed");
  return system;
}

function reviewReport(c: Case): AccountsReport {
  const config = c.model.config.providers[0] ?? providerConfig();
  const caps = capabilities(c.capabilities);
  const desired = computeDesiredState(c.model, config, computeEffectiveMemberships(c.model, NOW), {
    now: NOW,
    nativeNesting: false,
    caseInsensitiveNames: caps.caseInsensitiveNames === true,
    ...(c.journalAccounts === undefined ? {} : { journalAccounts: c.journalAccounts }),
  });
  const input: ProviderPlanInput = {
    name: config.name,
    type: config.type,
    mode: config.mode,
    capabilities: caps,
    desired,
    live: c.live,
    liveDigest: "l".repeat(64),
    readCalls: 1,
  };
  const plan = computePlan({ now: NOW, desiredDigest: "d".repeat(64), providers: [input] });
  return reviewAccounts({
    now: NOW,
    staleAfterMs: 90 * DAY,
    staleAfter: "90d",
    staleAfterFrom: "default",
    users: c.model.users,
    plan,
    journalAccounts: c.journalAccounts ?? new Map(),
    systems: [
      c.signInsError === undefined
        ? { input, signIns: { source: "lastLogin", accounts: new Map(Object.entries(c.signIns)) } }
        : { input, signInsError: c.signInsError },
    ],
  });
}

describe("reviewAccounts", () => {
  it("matches accounts and sign-ins whatever their case where the system ignores it", () => {
    const system = review({
      model: model({ users: [user("ann"), user("bob")] }),
      live: live([liveUser("Ann"), liveUser("BOB")]),
      signIns: { ANN: { lastLogin: ago(100) }, bob: { lastLogin: ago(1) } },
      capabilities: { caseInsensitiveNames: true },
    });
    expect(system.orphaned).toEqual([]);
    expect(system.stale.map((s) => [s.account, s.userId, s.lastLogin])).toEqual([["ann", "ann", ago(100)]]);
  });

  it("leaves out a former account the plan renames to the person's new name, and reports one it disables", () => {
    const journalAccounts = new Map([["directory\nbea", ["bea.old"]]]);
    const base = {
      model: model({ users: [user("bea", { accounts: { directory: "bea.new" } })] }),
      live: live([liveUser("bea.old")]),
      signIns: { "bea.old": { lastLogin: ago(200) } },
      journalAccounts,
    };
    const renamed = review({ ...base, capabilities: { renameUsers: true } });
    expect(renamed.orphaned).toEqual([]);
    expect(renamed.stale).toEqual([]);
    const replaced = review(base);
    expect(replaced.orphaned.map((o) => [o.account, o.kind, o.userId, o.plan])).toEqual([
      ["bea.old", "former-account", "bea", [{ action: "disable", reason: "not-in-config", userId: "bea" }]],
    ]);
  });

  it("takes an account renamed by hand for the person whose entry it holds, as the plan does", () => {
    const system = review({
      model: model({ users: [user("ann")] }),
      live: live([liveUser("ann.x", { otherName: "ann" })]),
      signIns: { "ann.x": { lastLogin: ago(120) } },
      capabilities: { caseInsensitiveNames: true },
    });
    expect(system.orphaned).toEqual([]);
    expect(system.stale.map((s) => [s.account, s.userId])).toEqual([["ann.x", "ann"]]);
  });

  it("still reports orphans where the sign-ins could not be read, and says stale accounts were not checked", () => {
    const report = reviewReport({
      model: model({ users: [user("ann")] }),
      live: live([liveUser("ann"), liveUser("ghost")]),
      signIns: {},
      signInsError: "directory: read sign-ins: connection reset",
    });
    const [system] = report.systems;
    expect(system?.orphaned.map((o) => o.account)).toEqual(["ghost"]);
    expect(system?.stale).toEqual([]);
    expect(system?.signInsError).toBe("directory: read sign-ins: connection reset");
    expect(report.summary).toMatchObject({ orphaned: 1, signInsFailed: 1 });
    expect(renderAccountsText(report)).toContain(
      "directory: its sign-ins could not be read (directory: read sign-ins: connection reset); stale accounts not checked",
    );
  });

  it("counts no pending invitation, and judges no account without a sign-in or a creation time", () => {
    const system = review({
      model: model({ users: [user("ann"), user("bob"), user("cy")] }),
      live: live([
        liveUser("ann"),
        liveUser("bob"),
        liveUser("cy", { pending: true }),
        liveUser("zed", { pending: true }),
      ]),
      signIns: { ann: { lastLogin: ago(3) }, bob: {} },
    });
    expect(system.enabledAccounts).toBe(2);
    expect(system.orphaned).toEqual([]);
    expect(system.stale).toEqual([]);
    expect(system.unjudged).toEqual(["bob"]);
  });

  it("gives, in observe mode, what the plan would do and says that nothing is written", () => {
    const system = review({
      model: model({
        users: [user("ann"), user("cy", { status: "terminated" })],
        providers: [providerConfig({ mode: "observe" })],
      }),
      live: live([liveUser("ann"), liveUser("cy"), liveUser("zed")]),
      signIns: { ann: { lastLogin: ago(1) } },
    });
    expect(system.orphaned.map((o) => [o.account, o.kind, o.plan.map((c) => c.action)])).toEqual([
      ["cy", "leaver", ["disable"]],
      ["zed", "no-person", []],
    ]);
    const text = renderAccountsText({
      formatVersion: 1,
      createdAt: NOW.toISOString(),
      staleAfterMs: 90 * DAY,
      staleAfter: "90d",
      staleAfterFrom: "default",
      systems: [system],
      summary: { orphaned: 2, disabledSignedIn: 0, stale: 0, staleService: 0, signInsFailed: 0 },
    });
    expect(text).toContain(
      "      plan: would disable (user terminated); mode: observe, so nothing is written\n",
    );
    expect(text).toContain("      plan: leaves it (mode: observe: gatehouse writes nothing here)\n");
  });

  it("puts an account the plan disables among the orphaned, whatever the files seem to say", () => {
    // The system records the account as cy's (SCIM externalId) while the files give its name to ann.
    const system = review({
      model: model({ users: [user("ann"), user("cy", { status: "terminated" })] }),
      live: live([liveUser("ann", { personId: "cy" })]),
      signIns: { ann: { lastLogin: ago(1) } },
    });
    expect(system.orphaned.map((o) => [o.account, o.kind, o.plan.map((c) => c.action)])).toEqual([
      ["ann", "leaver", ["disable"]],
    ]);
    expect(system.stale).toEqual([]);
  });
});
