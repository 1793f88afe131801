import { describe, expect, it } from "vitest";
import { group, live, liveUser, model, planFor, user } from "../builders.ts";
import type { Change } from "../../src/plan/types.ts";

/**
 * A person whose manager in the files has left (or not started) and has no account in the system: a
 * system that resolves the manager reference (LDAP: the manager's DN) fails the whole create, so the
 * person got no account and none of their groups there, every run (review trial: 8 people of a newly
 * connected OpenLDAP whose manager had left). The plan writes no manager the system will not have.
 */
describe("a manager with no account in the system", () => {
  const people = [
    user("lena", { status: "terminated" }),
    user("nora", { startDate: "2099-01-01" }),
    user("hugo", { manager: "lena" }),
    user("gia", { manager: "nora" }),
    user("omar"),
    user("finn", { manager: "omar" }),
  ];
  const wanted = model({ users: people, groups: [group("staff", ["hugo", "gia", "finn"])] });
  const capabilities = { userAttributes: ["name", "manager"] } as const;
  const creates = (changes: readonly Change[]) =>
    Object.fromEntries(
      changes.flatMap((c) =>
        c.kind === "user" && c.action === "create" ? [[c.account, c.after.manager ?? "-"]] : [],
      ),
    );

  it("creates the account without that manager, and says so; a manager made in the same plan is kept", () => {
    const plan = planFor(wanted, { mode: "authoritative", live: live(), capabilities });
    expect(creates(plan.changes)).toEqual({ hugo: "-", gia: "-", omar: "-", finn: "omar" });
    const notes = plan.notes.map((n) => n.message).filter((m) => m.includes("no account in directory"));
    expect(notes).toEqual([
      "the manager of gia, nora, has no account in directory (a leaver, on leave or not started): gia is created without a manager; set a current manager in the files",
      "the manager of hugo, lena, has no account in directory (a leaver, on leave or not started): hugo is created without a manager; set a current manager in the files",
    ]);
  });

  it("plans no manager update to such a manager, and keeps one the system holds (a leaver's disabled account)", () => {
    const withoutAccount = planFor(wanted, {
      mode: "authoritative",
      live: live([
        liveUser("hugo", { manager: "omar" }),
        liveUser("gia"),
        liveUser("omar"),
        liveUser("finn", { manager: "omar" }),
      ]),
      capabilities,
    });
    expect(withoutAccount.changes.filter((c) => c.kind === "user" && c.action === "update")).toEqual([]);
    const withAccount = planFor(wanted, {
      mode: "authoritative",
      live: live([liveUser("lena", { enabled: false }), liveUser("omar")]),
      capabilities,
    });
    expect(creates(withAccount.changes)).toMatchObject({ hugo: "lena", finn: "omar" });
  });
});
