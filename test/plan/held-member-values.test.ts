/**
 * An account the plan creates under a name a group already holds as a member value (a memberUid left
 * from an earlier account of the name, or a local directory's stale member): the person is in that group
 * the moment the account exists, which the files do not grant. The plan must say so (found in an LDAP
 * trial, where the create line said nothing).
 */
import { describe, expect, it } from "vitest";
import { liveGroup, live, liveUser, model, planFor, user, group } from "../builders.ts";

describe("a new account whose name a group holds already", () => {
  it("says on the create that the account is at once in the groups holding the name it does not manage", () => {
    const plan = planFor(
      model({ users: [user("ann"), user("olduser")], groups: [group("staff", ["ann"])] }),
      {
        live: live(
          [liveUser("ann")],
          [
            liveGroup("staff", ["ann"]),
            { name: "finance", members: [], unmanagedMembers: 1, unmanagedNames: ["olduser"] },
          ],
        ),
      },
    );
    const create = plan.changes.find((c) => c.kind === "user" && c.action === "create");
    expect(create?.id).toBe("directory:user/olduser");
    expect(create?.why).toEqual([
      "olduser is at once a member of finance: directory holds that member value already (left from an earlier account of the name; gatehouse does not manage it), which the access files do not grant here: remove it in directory before applying",
    ]);
  });

  it("notes it where additive mode keeps a member value the files do not grant", () => {
    const plan = planFor(
      model({ users: [user("ann"), user("olduser")], groups: [group("finance", ["ann"])] }),
      { live: live([liveUser("ann")], [liveGroup("finance", ["ann", "olduser"])]), mode: "additive" },
    );
    expect(plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual(["create directory:user/olduser"]);
    expect(plan.notes.map((n) => n.message)).toContain(
      "olduser, whose account this plan creates, is at once a member of finance: directory holds that member value already (left from an earlier account of the name), which the access files do not grant and additive mode keeps; remove it in directory before applying, or set mode: authoritative",
    );
  });
});
