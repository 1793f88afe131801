import { describe, expect, it } from "vitest";
import {
  createIndex,
  forgetGroup,
  indexedGroup,
  indexToLiveState,
  rememberGroup,
  rememberUser,
  type ScimSession,
} from "../../src/providers/scim/session.ts";
import type { ScimGroup } from "../../src/providers/scim/map.ts";

const groupOf = (id: string, displayName: string): ScimGroup => ({
  id,
  displayName,
  memberIds: [],
  groupMemberIds: [],
});

/** Only the index and the name: what indexedGroup reads of a session. */
function sessionWith(groups: readonly ScimGroup[]): ScimSession {
  const index = createIndex();
  for (const g of groups) rememberGroup(index, g);
  return { name: "app", index } as unknown as ScimSession;
}

describe("the SCIM group index and names in another case", () => {
  it("finds a group by its exact name, else by the only name alike", () => {
    const s = sessionWith([groupOf("1", "Team-Ops"), groupOf("2", "web")]);
    expect(indexedGroup(s, "Team-Ops")?.id).toBe("1");
    expect(indexedGroup(s, "team-ops")?.id).toBe("1");
    expect(indexedGroup(s, "WEB")?.id).toBe("2");
    expect(indexedGroup(s, "nope")).toBeUndefined();
  });

  it("takes the exact spelling where two differ only in case, and refuses to guess between them otherwise", () => {
    const s = sessionWith([groupOf("1", "qa-team"), groupOf("2", "QA-Team")]);
    expect(indexedGroup(s, "qa-team")?.id).toBe("1");
    expect(indexedGroup(s, "QA-Team")?.id).toBe("2");
    expect(() => indexedGroup(s, "Qa-Team")).toThrow(/2 SCIM groups match "Qa-Team" when case is ignored/);
  });

  it("keeps the index right through a rename and a delete", () => {
    const s = sessionWith([groupOf("1", "ops"), groupOf("2", "OPS")]);
    rememberGroup(s.index, groupOf("2", "ops-team")); // renamed on the server
    expect(indexedGroup(s, "Ops")?.id).toBe("1"); // only one alike now
    expect(indexedGroup(s, "ops-team")?.id).toBe("2");
    forgetGroup(s.index, groupOf("1", "ops"));
    expect(indexedGroup(s, "ops")).toBeUndefined();
    expect([...s.index.groupsById.keys()]).toEqual(["2"]);
  });
});

describe("the live state of the SCIM index", () => {
  it("notes a group member no listed user holds, in the plan's notes, and never calls that group matched", () => {
    const s = sessionWith([
      { id: "g1", displayName: "admins", memberIds: ["u1", "ghost-9"], groupMemberIds: [] },
    ]);
    rememberUser(s.index, { id: "u1", userName: "ann@example.com", active: true, attributes: {} });
    const live = indexToLiveState(s);
    expect(live.groups).toEqual([{ name: "admins", members: ["ann@example.com"], unmanagedMembers: 1 }]);
    expect(live.unmanaged).toEqual([
      'group "admins" has a member that no user the server lists holds (ghost-9): gatehouse neither shows nor removes it; check the group in the app',
    ]);
  });
});
