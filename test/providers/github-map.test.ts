import { describe, expect, it } from "vitest";
import {
  describeFailedInvitation,
  directTeamMembers,
  mapTeam,
  mapUsers,
  slugForTeamName,
} from "../../src/providers/github/map.ts";

describe("github map: users", () => {
  it("lists members as enabled and invitees as pending, lower-cased and sorted", () => {
    const users = mapUsers(
      [
        { login: "Bob", id: 2 },
        { login: "alice", id: 1 },
      ],
      [
        { id: 10, login: "Dave", team_count: 0 },
        { id: 11, login: null, team_count: 0 },
        { id: 12, login: "bob", team_count: 0 },
      ],
    );
    expect(users).toEqual([
      { account: "alice", enabled: true },
      { account: "bob", enabled: true },
      { account: "dave", enabled: false, pending: true },
    ]);
  });
});

describe("github map: teams", () => {
  it("keeps direct members and maintainers, dropping members inherited from child teams", () => {
    const direct = directTeamMembers(
      [
        { login: "alice", id: 1, role: "maintainer", inherited: false },
        { login: "bob", id: 2, role: "member", inherited: false },
        { login: "carol", id: 3, role: "member", inherited: true },
      ],
      new Set(),
    );
    expect(direct).toEqual({ members: ["alice", "bob"], maintainers: ["alice"] });
  });

  it("treats members of child teams as inherited when GitHub omits the inherited flag", () => {
    const direct = directTeamMembers(
      [
        { login: "alice", id: 1 },
        { login: "carol", id: 3 },
      ],
      new Set(["carol"]),
    );
    // carol may be a direct member too: GitHub cannot say, so she is kept as uncertain (trial H3).
    expect(direct).toEqual({ members: ["alice"], maintainers: [], uncertain: ["carol"] });
  });

  it("takes a maintainer who is also in a child team as direct, unless an org owner (trial M5)", () => {
    const direct = directTeamMembers(
      [
        { login: "lead", id: 1 },
        { login: "owner", id: 2 },
      ],
      new Set(["lead", "owner"]),
      new Set(["lead", "owner"]),
      new Set(["owner"]),
    );
    expect(direct).toEqual({ members: ["lead"], maintainers: ["lead"], uncertain: ["owner"] });
  });

  it("maps a team to a group named by its slug, with child teams only when nesting", () => {
    const team = {
      id: 7,
      slug: "team-a-write",
      name: "team-a-write",
      description: "A",
      privacy: "closed",
      parent: null,
    };
    const members = { members: ["alice"], maintainers: [] };
    expect(mapTeam(team, members, ["team-b-read"], ["erin"], true)).toEqual({
      name: "team-a-write",
      description: "A",
      members: ["alice", "erin"],
      maintainers: [],
      groupMembers: ["team-b-read"],
      privacy: "closed",
    });
    expect(mapTeam({ ...team, description: null }, members, ["team-b-read"], [], false)).toEqual({
      name: "team-a-write",
      members: ["alice"],
      maintainers: [],
      privacy: "closed",
    });
  });

  it.each([
    ["team-platform-write", "team-platform-write"],
    ["Platform Team", "platform-team"],
    ["  SRE / On-call!! ", "sre-on-call"],
    ["team_ops_read", "team_ops_read"],
    ["team.ops", "team-ops"],
  ])("slugs team name %j as %j, like GitHub", (name, slug) => {
    expect(slugForTeamName(name)).toBe(slug);
  });

  it("describes an expired or failed invitation with its time and reason", () => {
    expect(
      describeFailedInvitation({
        id: 1,
        login: "frank",
        team_count: 0,
        failed_at: "2026-01-01T00:00:00Z",
        failed_reason: "Invitation expired",
      }),
    ).toBe("invitation of frank expired at 2026-01-01T00:00:00Z");
    expect(
      describeFailedInvitation({ id: 9, login: null, team_count: 0, failed_reason: "Email bounced" }),
    ).toBe("invitation #9 failed (Email bounced)");
  });
});
