/**
 * A live account the files give to one person while the system records it as another person's who is
 * still in the files (LiveUser.personId, SCIM externalId), with no journal record of it: a first
 * deployment, or the first run after `gatehouse import`. It is never handed to the person the files give
 * its name to.
 */
import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, providerConfig, user } from "../builders.ts";
import { dependenciesOf, runAccounts } from "../../src/apply/batches.ts";
import type { ProviderMode } from "../../src/model/access.ts";

const changeLines = (plan: ReturnType<typeof planFor>): string[] =>
  plan.changes.map((c) => `${c.kind}.${c.action} ${c.id.slice(c.id.indexOf(":") + 1)} ${c.reason}`);

// john is new, and the files give him the account jdoe; the system's jdoe is jane's (externalId jane),
// and jane is in the files under the account jane.
const files = model({
  users: [user("john", { accounts: { directory: "jdoe" } }), user("jane")],
  groups: [group("team-a-write", ["john", "jane"]), group("team-b-write", ["john"])],
});
const jdoe = (personId: string | undefined, enabled = true) =>
  liveUser("jdoe", { name: "Jane", enabled, ...(personId === undefined ? {} : { personId }) });
const planWith = (personId: string | undefined, mode: ProviderMode = "authoritative", enabled = true) =>
  planFor(files, {
    mode,
    live: live(
      [jdoe(personId, enabled)],
      [liveGroup("team-a-write", ["jdoe"]), liveGroup("team-b-write", [])],
    ),
  });

describe("an account the system records as another person's in the files", () => {
  it("is neither updated, enabled nor put in groups for the person the files give its name to, and no account is created for them", () => {
    for (const enabled of [true, false]) {
      const plan = planWith("jane", "additive", enabled);
      const lines = changeLines(plan);
      expect(lines.filter((l) => l.includes("/jdoe"))).toEqual([]);
      expect(lines).toContain("user.create user/jane added-in-config");
      expect(plan.notes.map((n) => n.message).filter((m) => m.includes("recorded there"))).toEqual([
        expect.stringMatching(
          /^account jdoe in directory is recorded there as jane's \(its externalId is jane, who is in the access files\), but the files give jdoe to john: gatehouse does not hand it to john/,
        ),
      ]);
    }
  });

  it("in authoritative mode, is disabled as jane's only once jane's own account exists, and leaves the groups the files give john", () => {
    const plan = planWith("jane");
    expect(changeLines(plan).sort()).toEqual(
      [
        "membership.add membership/team-a-write/jane added-in-config",
        "membership.remove membership/team-a-write/jdoe drift",
        "user.create user/jane added-in-config",
        "user.disable user/jdoe not-in-config",
      ].sort(),
    );
    const disable = plan.changes.find((c) => c.action === "disable");
    expect(disable).toMatchObject({
      userId: "jane",
      why: [
        "recorded in directory as the account of jane (its externalId), whose account here is jane; the files give jdoe to someone else, who does not get it: disabled once jane exists (mode: authoritative)",
      ],
    });
    // Both narrowing changes wait for jane's account: if it cannot be made, hers stays as it is.
    const run = runAccounts(plan.changes);
    for (const c of plan.changes.filter((c) => c.risk === "narrows"))
      expect(dependenciesOf(c, run)).toContain("user/jane");
  });

  it("keeps the account as jane's, neither disabled nor taken out of her groups, while jane gets no account of her own here", () => {
    // users: members: jane holds no group here, so gets no account; jdoe is hers, kept in what she holds.
    const files2 = model({
      users: [user("john", { accounts: { directory: "jdoe" } }), user("jane")],
      groups: [group("team-a-write", ["john"])],
      providers: [providerConfig({ users: "members" })],
    });
    const plan = planFor(files2, {
      live: live([jdoe("jane")], [liveGroup("team-a-write", ["jdoe"])]),
    });
    expect(changeLines(plan)).toEqual(["membership.remove membership/team-a-write/jdoe drift"]);
    expect(plan.changes[0]).toMatchObject({
      userId: "jane",
      // jane is in the files: named, with what roles match now, not "not in the access files".
      why: [
        'jane (access/users/people.yaml:1:5) is in the access files, but no member line, role or nested group gives them this group now (now employmentType "employee"); gatehouse did not add it (mode: authoritative)',
      ],
    });
  });

  it("pairs by name, as before, when the externalId names nobody in the files, or the same person, or none", () => {
    for (const personId of ["someone-gone", "john", undefined]) {
      const plan = planWith(personId, "additive");
      expect(
        changeLines(plan)
          .filter((l) => l.includes("jdoe"))
          .sort(),
      ).toEqual([
        "membership.add membership/team-b-write/jdoe added-in-config",
        "user.update user/jdoe added-in-config",
      ]);
    }
  });

  it("pairs by name when the journal knows the account: the journal is not overruled by an externalId", () => {
    const plan = planFor(files, {
      mode: "additive",
      live: live([jdoe("jane")], [liveGroup("team-a-write", ["jdoe"]), liveGroup("team-b-write", [])]),
      managed: ["directory:user/jdoe"],
    });
    expect(
      changeLines(plan)
        .filter((l) => l.includes("jdoe"))
        .sort(),
    ).toEqual(["membership.add membership/team-b-write/jdoe added-in-config", "user.update user/jdoe drift"]);
  });

  it.each(["additive", "authoritative"] as const)(
    "offboards a leaver's account whatever its externalId says (%s): a value any admin can write never spares it",
    (mode) => {
      const leaver = model({
        users: [user("john", { accounts: { directory: "jdoe" }, status: "terminated" }), user("jane")],
        groups: [group("team-a-write", ["jane"])],
      });
      const plan = planFor(leaver, {
        mode,
        live: live(
          [jdoe("jane"), liveUser("jane", { name: "Jane" })],
          [liveGroup("team-a-write", ["jdoe", "jane"])],
        ),
      });
      expect(changeLines(plan).sort()).toEqual([
        "membership.remove membership/team-a-write/jdoe user-terminated",
        "user.disable user/jdoe user-terminated",
      ]);
      expect(plan.changes.find((c) => c.action === "disable")).toMatchObject({ userId: "john" });
    },
  );
});
