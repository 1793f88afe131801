import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

/** LiveState.namesTaken: an account name another account's userPrincipalName already claims (AD). */
describe("account names another account claims (LiveState.namesTaken)", () => {
  const WHERE = "CN=Tina Other,OU=People,DC=example,DC=com";
  const state = {
    ...live([liveUser("tother"), liveUser("alice")], [liveGroup("staff", ["alice"])]),
    namesTaken: [
      {
        account: "Tina.Klein",
        claim: "userPrincipalName Tina.Klein@example.com",
        holder: "tother",
        where: WHERE,
      },
    ],
  };
  const wanted = model({
    users: [user("alice"), user("tother"), user("tina.klein")],
    groups: [group("staff", ["alice", "tina.klein"])],
  });
  const brief = (changes: readonly { kind: string; action: string; id: string }[]): string[] =>
    changes.map((c) => `${c.kind}.${c.action} ${c.id}`);

  it("creates no account under it, adds it to no group, and names the person and the account holding it", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: state,
      capabilities: { userAttributes: [], caseInsensitiveNames: true },
    });
    expect(brief(plan.changes)).toEqual([]);
    expect(plan.notes.map((n) => `${n.kind}: ${n.message}`)).toEqual([
      `unmanaged: account tina.klein (tina.klein) cannot be created in directory: its userPrincipalName Tina.Klein@example.com is already used by account tother (${WHERE}). Give tina.klein another account name in the files (accounts: { directory: <name> }), or change that account's userPrincipalName in directory`,
    ]);
  });

  it("creates it as before when no entry claims it", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: { ...state, namesTaken: [] },
      capabilities: { userAttributes: [], caseInsensitiveNames: true },
    });
    expect(brief(plan.changes)).toEqual([
      "user.create directory:user/tina.klein",
      "membership.add directory:membership/staff/tina.klein",
    ]);
  });
});

/** LiveState.cannotCreate: an account the system would refuse for a reason of its settings (AD: no such OU). */
describe("accounts the system would refuse to create (LiveState.cannotCreate)", () => {
  const wanted = model({
    users: [user("alice"), user("dan", { department: "Engineering" })],
    groups: [group("staff", ["alice", "dan"])],
  });
  const WHY =
    "the OU of department Engineering (people.ouByDepartment), OU=Eng,OU=People,DC=example,DC=com, does not exist. Create that OU in directory, or map the department to one that exists";
  const state = live([liveUser("alice")], [liveGroup("staff", ["alice"])]);

  it("creates no account, adds it to no group, and says why", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: { ...state, cannotCreate: [{ account: "DAN", why: WHY }] },
      capabilities: { userAttributes: [], caseInsensitiveNames: true },
    });
    expect(plan.changes).toEqual([]);
    expect(plan.notes.map((n) => `${n.kind}: ${n.message}`)).toEqual([
      `unmanaged: account dan (dan) cannot be created in directory: ${WHY}`,
    ]);
  });

  it("creates it as before when nothing is said against it", () => {
    const plan = planFor(wanted, {
      mode: "authoritative",
      live: state,
      capabilities: { userAttributes: [], caseInsensitiveNames: true },
    });
    expect(plan.changes.map((c) => `${c.kind}.${c.action} ${c.id}`)).toEqual([
      "user.create directory:user/dan",
      "membership.add directory:membership/staff/dan",
    ]);
  });
});
