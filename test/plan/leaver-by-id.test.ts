/**
 * A leaver whose account is missing from the read, while the journal keeps the stable id of the entry
 * gatehouse made for it (ProviderPlanInput.leaverIds: OpenLDAP's entryUUID) and the system says which
 * account holds that id now: renamed by hand (name and e-mail), the account is offboarded as theirs.
 */
import { describe, expect, it } from "vitest";
import { group, live, liveGroup, liveUser, model, planFor, user } from "../builders.ts";
import type { StableIds } from "../../src/plan/context.ts";
import type { ProviderMode } from "../../src/model/access.ts";

const ID = "4abeb46c-7fbf-1041-8943-717b23e5973c";
const changeLines = (plan: ReturnType<typeof planFor>): string[] =>
  plan.changes.map((c) => `${c.kind}.${c.action} ${c.id.slice(c.id.indexOf(":") + 1)} ${c.reason}`).sort();
const messages = (plan: ReturnType<typeof planFor>): string[] => plan.notes.map((n) => n.message);

// ben left; his entry is b.okafor now (another uid, another mail), in team-a-write and a hand-made vpn.
const files = model({
  users: [user("ada"), user("ben", { status: "terminated", endDate: "2026-05-01" }), user("cleo")],
  groups: [group("team-a-write", ["ada", "ben"])],
});
const renamed = liveUser("b.okafor", { name: "Ben", email: "b.okafor@elsewhere.example" });
const state = (...extra: ReturnType<typeof liveUser>[]) =>
  live(
    [liveUser("ada"), renamed, liveUser("cleo"), ...extra],
    [liveGroup("team-a-write", ["ada", "b.okafor"]), liveGroup("vpn", ["ada", "b.okafor"])],
  );
const found = (account: string): StableIds => ({
  sought: new Map([["ben", ID]]),
  holders: new Map([[ID, account]]),
});
const planWith = (leaverIds: StableIds | undefined, mode: ProviderMode = "additive", extra = state()) =>
  planFor(files, { mode, live: extra, ...(leaverIds === undefined ? {} : { leaverIds }) });

describe("a leaver's account found by its entry's stable id under another name", () => {
  it("is disabled and taken out of every group as the leaver's, in additive mode, and nothing else changes", () => {
    const plan = planWith(found("b.okafor"));
    expect(changeLines(plan)).toEqual([
      "membership.remove membership/team-a-write/b.okafor user-terminated",
      "membership.remove membership/vpn/b.okafor user-terminated",
      "user.disable user/b.okafor user-terminated",
    ]);
    expect(plan.changes.map((c) => [c.userId, c.risk])).toEqual([
      ["ben", "narrows"],
      ["ben", "narrows"],
      ["ben", "narrows"],
    ]);
    expect(messages(plan)).toContain(
      `account b.okafor in directory is the entry gatehouse knew as ben's account ben, found by its stable id (${ID}) under its new name: renamed by hand, it is treated as ben's`,
    );
  });

  it("in authoritative mode, is offboarded as the leaver's, not disabled as an account in no access file", () => {
    const plan = planWith(found("b.okafor"), "authoritative");
    expect(changeLines(plan)).toContain("user.disable user/b.okafor user-terminated");
    expect(changeLines(plan)).toContain("membership.remove membership/team-a-write/b.okafor user-terminated");
  });

  it("finds it whatever the case of the name the system gives (names that ignore case)", () => {
    const plan = planFor(files, {
      mode: "additive",
      live: state(),
      leaverIds: found("B.Okafor"),
      capabilities: { caseInsensitiveNames: true },
    });
    expect(changeLines(plan)).toContain("user.disable user/b.okafor user-terminated");
  });

  it("without ids (a journal from before they were kept), plans as before: the renamed account keeps its groups in additive mode", () => {
    for (const leaverIds of [undefined, { sought: new Map(), holders: new Map() }]) {
      const plan = planWith(leaverIds);
      expect(changeLines(plan)).toEqual([]);
      expect(messages(plan).join("\n")).not.toContain("stable id");
    }
  });

  it("where no account holds the id any more (the entry was deleted), does nothing and says nothing", () => {
    const plan = planWith({ sought: new Map([["ben", ID]]), holders: new Map() });
    expect(changeLines(plan)).toEqual([]);
    expect(messages(plan).join("\n")).not.toContain("stable id");
  });

  it("leaves an account the files give to someone else alone, and says whose the files make it", () => {
    const plan = planWith(found("cleo"));
    expect(changeLines(plan)).toEqual([]);
    expect(messages(plan)).toContain(
      `the entry gatehouse knew as ben's account ben (a leaver) is account cleo in directory now, found by its stable id (${ID}), and the access files give that name to cleo: renamed by hand for them? It is not offboarded as ben's; check by hand whose it is`,
    );
  });

  it("says where the entry is when it is outside the scope read, and changes nothing", () => {
    const plan = planWith(found("ben.parked"));
    expect(changeLines(plan)).toEqual([]);
    expect(messages(plan)).toContain(
      `the entry gatehouse knew as ben's account ben (a leaver) is in directory as ben.parked, found by its stable id (${ID}), outside the scope gatehouse reads: renamed or moved by hand? gatehouse can neither disable it nor take it out of groups there. Disable it by hand, or move it back where gatehouse creates accounts`,
    );
  });

  it("says that the lookup failed, and plans as before", () => {
    const plan = planWith({ sought: new Map([["ben", ID]]), error: "connection reset" });
    expect(changeLines(plan)).toEqual([]);
    expect(messages(plan)).toContain(
      `the account ben of ben, a leaver, is not in directory, and looking its entry up by its stable id (${ID}) failed (connection reset): if it was renamed by hand, it was not found, and keeps its access; the next plan looks again`,
    );
  });

  it("is only looked for where nothing else found the leaver's account: the one their e-mail finds is offboarded, as before ids were kept", () => {
    const mailed = liveUser("ben.o", { email: "ben@example.com" });
    const plan = planWith(found("b.okafor"), "additive", state(mailed));
    expect(changeLines(plan).filter((l) => l.startsWith("user."))).toEqual([
      "user.disable user/ben.o user-terminated",
    ]);
  });
});
