import { describe, expect, it } from "vitest";
import type { OpenVerdict } from "../../src/audit/journal-fold.ts";
import {
  describeOpenVerdict,
  leaverOfVerdict,
  openVerdictNotes,
  openVerdictsOf,
  unconfiguredVerdicts,
} from "../../src/engine/open-verdicts.ts";
import { providerConfig, user } from "../builders.ts";

const NOW = new Date("2026-11-27T17:00:00Z");
const LDAP = providerConfig({ name: "ldap", type: "ldap" });

function verdict(seq: number, account: string, overrides: Partial<OpenVerdict> = {}): OpenVerdict {
  return {
    type: "offboard-verified",
    seq,
    at: "2026-11-27T16:36:12.345Z",
    runSeq: seq - 1,
    triggeredAt: "2026-11-27T16:36:00.000Z",
    provider: "ldap",
    account,
    userId: account,
    clean: false,
    accountState: "disabled",
    groups: [],
    groupsOutside: [`cn=vpn,ou=legacy,dc=example,dc=com`],
    ...overrides,
  };
}

const verdicts = (...list: OpenVerdict[]): Map<string, OpenVerdict> =>
  new Map(list.map((v) => [`${v.provider}\n${v.account}`, v]));

const people = (...list: ReturnType<typeof user>[]) => new Map(list.map((u) => [u.id, u]));

describe("open offboarding verdicts", () => {
  it("stay open while the files make the person a leaver, or no longer hold them at all", () => {
    const open = openVerdictsOf(
      verdicts(verdict(12, "gus"), verdict(8, "dmitri")),
      people(user("dmitri", { status: "terminated" }), user("ann")),
      LDAP,
      {},
      NOW,
    );
    // gus is in no file any more: what was left may still be there.
    expect(open.map((v) => v.account)).toEqual(["dmitri", "gus"]);
  });

  it("close when the person is back: active again, or with an end date still ahead", () => {
    const open = openVerdictsOf(
      verdicts(verdict(8, "dmitri"), verdict(9, "eve"), verdict(10, "fay")),
      people(
        user("dmitri", { status: "active" }),
        user("eve", { endDate: "2027-01-31" }),
        user("fay", { endDate: "2026-11-01" }),
      ),
      LDAP,
      {},
      NOW,
    );
    expect(open.map((v) => v.account)).toEqual(["fay"]);
  });

  it("find the person by account where an entry names no user id, and keep other systems' apart", () => {
    const noUser: { -readonly [K in keyof OpenVerdict]: OpenVerdict[K] } = verdict(8, "D.Ivanov");
    delete noUser.userId;
    const open = openVerdictsOf(
      verdicts(noUser, verdict(9, "ann", { provider: "scim" })),
      people(
        user("dmitri", { accounts: { ldap: "d.ivanov" }, status: "terminated" }),
        user("ann", { status: "terminated" }),
      ),
      LDAP,
      { caseInsensitiveNames: true },
      NOW,
    );
    expect(open).toEqual([noUser]);
  });

  it("stay open where an entry names no user id and the files give its account name to someone active, and say so", () => {
    const noUser: { -readonly [K in keyof OpenVerdict]: OpenVerdict[K] } = verdict(8, "D.Ivanov");
    delete noUser.userId;
    const open = openVerdictsOf(
      verdicts(noUser),
      people(user("dmitri", { accounts: { ldap: "d.ivanov" } })),
      LDAP,
      { caseInsensitiveNames: true },
      NOW,
    );
    // The name changed hands: what the leaver kept did not go with it, and a check by name would look
    // at dmitri's account.
    expect(open).toEqual([{ ...noUser, nameGivenTo: "dmitri" }]);
    const [now] = open;
    if (now === undefined) throw new Error("no verdict");
    expect(leaverOfVerdict(now)).toMatchObject({ verdict: { wasGone: false, nameGivenTo: "dmitri" } });
    expect(describeOpenVerdict(now)).toBe(
      "offboarding of D.Ivanov (ldap) left access outside what gatehouse reads at 2026-11-27T16:36Z (journal #8): groups outside the scope it reads: cn=vpn,ou=legacy,dc=example,dc=com; the files give the account name D.Ivanov to dmitri now, who is no leaver: the name changed hands, what the leaver kept did not go with it; remove it there; the next apply checks again; once checked by hand, `gatehouse journal close-verdict --provider ldap --account D.Ivanov --reason TEXT` closes it",
    );
  });

  it("of a system gatehouse.yaml no longer has are kept apart, and noted as checked by nothing", () => {
    const open = unconfiguredVerdicts(
      verdicts(
        verdict(8, "dmitri", { provider: "old" }),
        verdict(9, "ann", { provider: "old" }),
        verdict(10, "eve"),
      ),
      people(user("ann")),
      new Set(["ldap"]),
      NOW,
    );
    // ann is back in the files: hers closes, as in a configured system.
    expect(open.map((v) => v.account)).toEqual(["dmitri"]);
    expect(openVerdictNotes("old", open, true)).toEqual([
      {
        provider: "old",
        kind: "access-left",
        message:
          "offboarding of dmitri (old) left access at 2026-11-27T16:36Z (journal #8), and gatehouse.yaml no longer has old: no apply checks it again; check by hand, then `gatehouse journal close-verdict --provider old --account dmitri --reason TEXT` closes it",
      },
    ]);
  });

  it("are re-checked as the entry's leaver account, with its trigger time and HR event", () => {
    expect(leaverOfVerdict(verdict(8, "dmitri", { leaving: "status: terminated" }))).toEqual({
      provider: "ldap",
      account: "dmitri",
      userId: "dmitri",
      recheckOf: 8,
      triggeredAt: "2026-11-27T16:36:00.000Z",
      leaving: "status: terminated",
      verdict: { wasGone: false },
    });
  });

  it("are re-checked by the account's stable id where the verdict kept one, and know when it was gone already", () => {
    expect(leaverOfVerdict(verdict(8, "dmitri", { accountId: "uuid-1" }))).toMatchObject({
      accountId: "uuid-1",
      verdict: { wasGone: false },
    });
    expect(leaverOfVerdict(verdict(8, "dmitri", { accountState: "absent" }))).toMatchObject({
      verdict: { wasGone: true },
    });
    // Not checked then (an error), or an account of the name outside the scope: not known to be gone.
    for (const overrides of [
      { accountState: "absent", error: "reading ldap back failed" },
      { accountState: "absent", elsewhere: "uid=dmitri,ou=old,dc=example,dc=com" },
    ] as const)
      expect(leaverOfVerdict(verdict(8, "dmitri", overrides))).toMatchObject({ verdict: { wasGone: false } });
  });

  it("are re-checked under the name the account was found renamed to, not the name it no longer has", () => {
    expect(leaverOfVerdict(verdict(8, "dmitri", { renamedTo: "dmitri.old" }))).toMatchObject({
      account: "dmitri.old",
      recheckOf: 8,
    });
  });

  it("are noted by the plan, one per account and at most twenty", () => {
    expect(describeOpenVerdict(verdict(812, "dmitri"))).toBe(
      "offboarding of dmitri (ldap) left access outside what gatehouse reads at 2026-11-27T16:36Z (journal #812): groups outside the scope it reads: cn=vpn,ou=legacy,dc=example,dc=com; remove it there; the next apply checks again",
    );
    expect(
      describeOpenVerdict(
        verdict(9, "eve", {
          groupsOutside: [],
          unreadMemberships: [{ group: "cn=ops", attribute: "memberUid" }],
          groups: ["ops"],
        }),
      ),
    ).toBe(
      "offboarding of eve (ldap) left access at 2026-11-27T16:36Z (journal #9): member values it does not manage: memberUid in cn=ops; still in ops; remove it there; the next apply checks again",
    );
    // A value in another case (posixGroup memberUid: Eve for eve) is named as it stands.
    expect(
      describeOpenVerdict(
        verdict(10, "eve", {
          groupsOutside: [],
          unreadMemberships: [{ group: "cn=ops", attribute: "memberUid", value: "Eve" }],
        }),
      ),
    ).toContain("member values it does not manage: memberUid: Eve in cn=ops;");
    const many = Array.from({ length: 23 }, (_, i) => verdict(i + 1, `p${String(i)}`));
    const notes = openVerdictNotes("ldap", many);
    expect(notes).toHaveLength(21);
    expect(notes.every((n) => n.kind === "access-left" && n.provider === "ldap")).toBe(true);
    expect(notes.at(-1)?.message).toMatch(/^and 3 more leaver account\(s\)/);
  });
});
