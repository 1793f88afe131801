import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

/**
 * A leaver's entry renamed by hand (eva.weber -> eva.w; the directory's referential integrity rewrote the
 * reports' manager to the new name), which gatehouse then offboarded as hers: the journal knows eva.w as
 * her account. The reports' manager names that account, which is hers: a plan must not point it at
 * eva.weber, a name no account has (DNs: the write would leave a dangling manager on every report).
 */
describe("a leaver's account renamed by hand, once the journal knows it as hers", () => {
  const people = [
    user("eva.weber", { status: "terminated" }),
    user("finn", { manager: "eva.weber" }),
    user("gia", { manager: "eva.weber" }),
  ];
  const state = live(
    [
      liveUser("eva.w", { otherName: "eva.weber", enabled: false }),
      liveUser("finn", { manager: "eva.w" }),
      liveUser("gia", { manager: "eva.w" }),
    ],
    [liveGroup("staff", ["finn", "gia"])],
  );
  const wanted = model({ users: people, groups: [group("staff", ["finn", "gia"])] });

  it("leaves the reports' manager as it is, before and after the journal knows the account", () => {
    for (const journalAccounts of [undefined, new Map([["directory\neva.weber", ["eva.weber", "eva.w"]]])]) {
      const plan = planFor(wanted, {
        mode: "authoritative",
        live: state,
        capabilities: { userAttributes: ["manager"], userRenameRewrites: { members: true, manager: true } },
        ...(journalAccounts === undefined ? {} : { journalAccounts }),
      });
      const managers = plan.changes.filter(
        (c) => c.kind === "user" && c.action === "update" && c.fields.some((f) => f.field === "manager"),
      );
      expect(managers).toEqual([]);
    }
  });
});
