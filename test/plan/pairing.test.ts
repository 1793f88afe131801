import { describe, expect, it } from "vitest";
import { briefs, group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

// The planner pairs desired and live accounts by merging sorted lists; systems report them in any order.
describe("pairing desired and live accounts", () => {
  const files = model({
    users: [user("mia"), user("bob", { title: "Lead" }), user("ann")],
    groups: [group("eng", ["mia", "ann", "bob"])],
  });

  it("finds every account whatever order the system reports them in", () => {
    const orders = [
      ["zed", "mia", "ann", "bob"],
      ["bob", "zed", "ann", "mia"],
      ["ann", "bob", "mia", "zed"],
    ];
    const plans = orders.map((accounts) =>
      briefs(
        planFor(files, {
          live: live(
            accounts.map((a) => liveUser(a)),
            [liveGroup("eng", ["zed", "mia", "bob"].filter((a) => accounts.includes(a)).reverse())],
          ),
        }),
      ),
    );
    expect(plans[0]).toEqual([
      "user.disable zed not-in-config narrows",
      "user.update bob added-in-config neutral",
      "membership.add eng/ann added-in-config broadens",
      "membership.remove eng/zed drift narrows",
    ]);
    expect(plans[1]).toEqual(plans[0]);
    expect(plans[2]).toEqual(plans[0]);
  });

  it("treats an account reported twice as one", () => {
    const plan = planFor(files, {
      live: live(
        [liveUser("mia"), liveUser("mia"), liveUser("ann"), liveUser("bob", { title: "Lead" })],
        [liveGroup("eng", ["mia", "ann", "mia", "bob"])],
      ),
    });
    expect(briefs(plan)).toEqual([]);
  });
});
