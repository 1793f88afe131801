import { describe, expect, it } from "vitest";
import { brief, group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";

const insensitive = { caseInsensitiveNames: true, userAttributes: [] };
const exact = { userAttributes: [] };
const bea = user("bea.old");
const cleo = user("cleo");

// The journal keeps what gatehouse wrote as it spelt it then (the files named her Bea.Old); the files and
// the live system spell her bea.old now.
const ADDED_AS_BEA = "directory:membership/team-ops/Bea.Old";

describe("the journal's record of what gatehouse manages, where the system ignores case", () => {
  it("knows a membership it added under Bea.Old that went missing live as drift", () => {
    const files = model({ users: [bea], groups: [group("team-ops", ["bea.old"])] });
    const options = { live: live([liveUser("bea.old")], [liveGroup("team-ops")]), managed: [ADDED_AS_BEA] };
    expect(planFor(files, { ...options, capabilities: insensitive }).changes.map(brief)).toEqual([
      "membership.add team-ops/bea.old drift broadens",
    ]);
    // Where case matters, Bea.Old is someone else.
    expect(planFor(files, { ...options, capabilities: exact }).changes.map(brief)).toEqual([
      "membership.add team-ops/bea.old added-in-config broadens",
    ]);
  });

  it("removes in additive mode a membership it added under Bea.Old that left the files", () => {
    const files = model({ users: [bea, cleo], groups: [group("team-ops", ["cleo"])] });
    const options = {
      mode: "additive" as const,
      live: live([liveUser("bea.old"), liveUser("cleo")], [liveGroup("team-ops", ["bea.old", "cleo"])]),
      managed: [ADDED_AS_BEA],
    };
    expect(planFor(files, { ...options, capabilities: insensitive }).changes.map(brief)).toEqual([
      "membership.remove team-ops/bea.old removed-from-config narrows",
    ]);
    expect(planFor(files, { ...options, capabilities: exact }).changes.map(brief)).toEqual([]);
  });

  it("knows an account and a group it created under other capitals as removed-from-config", () => {
    const files = model({ users: [cleo], groups: [] });
    const plan = planFor(files, {
      mode: "authoritative",
      capabilities: insensitive,
      live: live([liveUser("cleo"), liveUser("mallory")], [liveGroup("gone", ["cleo"])]),
      managed: ["directory:user/Mallory", "directory:group/Gone"],
    });
    expect(plan.changes.map(brief)).toEqual(
      expect.arrayContaining([
        "user.disable mallory removed-from-config narrows",
        "group.delete gone removed-from-config narrows",
      ]),
    );
  });

  it("knows an account it disabled under other capitals as disabled by gatehouse, not by hand", () => {
    const files = model({ users: [bea], groups: [] });
    const plan = planFor(files, {
      capabilities: insensitive,
      live: live([liveUser("bea.old", { enabled: false })]),
      // Created as bea.old; disabled while the files spelt it Bea.Old.
      managed: ["directory:user/bea.old"],
      disabledByGatehouse: ["directory:user/Bea.Old"],
    });
    expect(plan.changes.map(brief)).toEqual(["user.enable bea.old added-in-config broadens"]);
  });
});
