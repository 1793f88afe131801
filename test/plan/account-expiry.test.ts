import { describe, expect, it } from "vitest";
import { group, live, liveUser, model, planFor, user } from "../builders.ts";

/** Capabilities.expiresAccounts: a create carries the person's endDate (Active Directory's accountExpires). */
describe("the end date on a create, for systems that expire accounts themselves", () => {
  const wanted = model({
    users: [user("tina", { endDate: "2999-12-31" }), user("ole")],
    groups: [group("staff", ["tina", "ole"])],
  });
  const creates = (expiresAccounts: boolean) =>
    planFor(wanted, { capabilities: { userAttributes: [], expiresAccounts } })
      .changes.filter((c) => c.kind === "user" && c.action === "create")
      .map((c) => ({
        account: "account" in c ? c.account : "",
        endDate: "endDate" in c ? c.endDate : "none",
      }));

  it("gives the create of a person with an endDate that date", () => {
    expect(creates(true)).toEqual([
      { account: "ole", endDate: "none" },
      { account: "tina", endDate: "2999-12-31" },
    ]);
  });

  it("updates an account that expires on another day, or never, to the person's endDate, and leaves others alone", () => {
    const state = live([
      liveUser("tina", { endDate: "2999-06-30" }),
      liveUser("ole", { endDate: "2030-01-31" }),
      liveUser("kai"),
    ]);
    const people = model({
      users: [user("tina", { endDate: "2999-12-31" }), user("ole"), user("kai", { endDate: "2999-12-31" })],
    });
    const updates = planFor(people, {
      live: state,
      capabilities: { userAttributes: [], expiresAccounts: true },
    })
      .changes.filter((c) => c.kind === "user" && c.action === "update")
      .map((c) => ("fields" in c ? { account: c.account, fields: c.fields } : {}));
    expect(updates).toEqual([
      { account: "kai", fields: [{ field: "endDate", before: null, after: "2999-12-31" }] },
      { account: "tina", fields: [{ field: "endDate", before: "2999-06-30", after: "2999-12-31" }] },
    ]);
    const same = live([
      liveUser("tina", { endDate: "2999-12-31" }),
      liveUser("ole"),
      liveUser("kai", { endDate: "2999-12-31" }),
    ]);
    expect(
      planFor(people, { live: same, capabilities: { userAttributes: [], expiresAccounts: true } }).changes,
    ).toEqual([]);
  });

  it("leaves it out where the system does not expire accounts", () => {
    expect(creates(false)).toEqual([
      { account: "ole", endDate: "none" },
      { account: "tina", endDate: "none" },
    ]);
  });
});
