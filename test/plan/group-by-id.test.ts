/**
 * A group the files name that the read misses, while the journal keeps the stable id of the entry
 * gatehouse made for it (ProviderPlanInput.groupIds: OpenLDAP's entryUUID) and the system says which
 * group holds that id now: renamed by hand, it is renamed back, and its members are judged as the files say.
 */
import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";
import type { StableIds } from "../../src/plan/context.ts";

const ID = "9c678454-7fc1-1041-844d-d7843c5262eb";
const changeLines = (plan: ReturnType<typeof planFor>): string[] =>
  plan.changes.map((c) => `${c.kind}.${c.action} ${c.id.slice(c.id.indexOf(":") + 1)} ${c.reason}`).sort();
const messages = (plan: ReturnType<typeof planFor>): string[] => plan.notes.map((n) => n.message);

// team-infra-admin (privileged, ada only) is infra-old now, and cleo was added to it by hand.
const files = model({
  users: [user("ada"), user("cleo")],
  groups: [
    group("team-infra-admin", ["ada"], { sensitivity: "privileged" }),
    group("team-b-write", ["cleo"]),
  ],
});
const state = live(
  [liveUser("ada"), liveUser("cleo")],
  [liveGroup("infra-old", ["ada", "cleo"]), liveGroup("team-b-write", ["cleo"])],
);
const found = (name: string): StableIds => ({
  sought: new Map([["team-infra-admin", ID]]),
  holders: new Map([[ID, name]]),
});
const planWith = (groupIds: StableIds | undefined) =>
  planFor(files, {
    mode: "additive",
    live: state,
    capabilities: { renameGroups: true, caseInsensitiveNames: true },
    ...(groupIds === undefined ? {} : { groupIds }),
  });

describe("a group found by its entry's stable id under another name", () => {
  it("is renamed back, and the member nobody granted is named in the privileged group's note", () => {
    const plan = planWith(found("Infra-Old"));
    expect(changeLines(plan)).toEqual(["group.update group/infra-old drift"]);
    expect(plan.changes[0]).toMatchObject({
      why: [
        `renamed back from infra-old to team-infra-admin: renamed in directory by hand, it is the entry gatehouse knew as team-infra-admin, found by its stable id (${ID}) under its new name`,
      ],
    });
    expect(messages(plan)).toContain(
      "privileged group team-infra-admin holds 1 member(s) the access files do not grant, kept because gatehouse did not apply them (mode: additive): cleo. Remove them in directory, or list them in the files with the owners' approval",
    );
  });

  it("without ids (a journal from before they were kept), plans as before: a second group of the name", () => {
    const plan = planWith(undefined);
    expect(changeLines(plan)).toContain("group.create group/team-infra-admin added-in-config");
    expect(messages(plan).join("\n")).not.toContain("cleo");
  });

  it("is not taken where the files name the group holding the id", () => {
    const plan = planWith(found("team-b-write"));
    expect(changeLines(plan)).toContain("group.create group/team-infra-admin added-in-config");
    expect(changeLines(plan).filter((l) => l.includes("team-b-write"))).toEqual([]);
  });

  it("says where the entry is when it is outside the scope read", () => {
    const plan = planWith(found("infra-parked"));
    expect(messages(plan)).toContain(
      `the entry gatehouse knew as group team-infra-admin is in directory as infra-parked, found by its stable id (${ID}), outside the scope gatehouse reads: renamed or moved by hand? Its members still hold it, and gatehouse neither reads nor changes them there; move it back, or delete it in directory`,
    );
  });

  it("says that the lookup failed, and plans as before", () => {
    const plan = planWith({ sought: new Map([["team-infra-admin", ID]]), error: "timed out" });
    expect(changeLines(plan)).toContain("group.create group/team-infra-admin added-in-config");
    expect(messages(plan)).toContain(
      `group team-infra-admin is not in directory, and looking its entry up by its stable id (${ID}) failed (timed out): if it was renamed by hand, it was not found, and its members there are not judged against the files; the next plan looks again`,
    );
  });
});
