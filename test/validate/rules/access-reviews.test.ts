import { describe, expect, it } from "vitest";
import { brief, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { accessReviews } from "../../../src/validate/rules/access-reviews.ts";

const USERS = `users:
  - { id: carol, name: Carol }
  - { id: alice, name: Alice }
  - { id: bob, name: Bob }
`;

function groups(due: string, pending: string): string {
  return `groups:
  - name: team-a
    owners: [carol]
    review:
      due: ${due}
      pending: [${pending}]
    members:
      - alice
      - { user: bob, until: 2026-09-01T00:00:00Z }
`;
}

const codes = new Set(accessReviews.codes);

async function reviewDiagnostics(text: string, now = new Date("2026-06-01T12:00:00Z")) {
  const result = await validateFiles(
    { "gatehouse.yaml": configYaml(), "users/people.yaml": USERS, "groups/teams.yaml": text },
    now,
  );
  return result.diagnostics.filter((d) => codes.has(d.code) || d.code.startsWith("GH1"));
}

describe("access-reviews", () => {
  it("accepts pending member lines and grants, due in more than a week", async () => {
    expect(await reviewDiagnostics(groups("2026-06-30", "alice, bob"))).toEqual([]);
  });

  it("warns at a pending name that is not a member line or grant of the group", async () => {
    const found = await reviewDiagnostics(groups("2026-06-30", "alice, carol"));
    expect(found.map(brief)).toEqual(["access/groups/teams.yaml:6:24 warning GH233"]);
    expect(found[0]?.message).toBe(
      '"carol" is pending in the review of "team-a" but is not one of its members or grants, so the review cannot revoke it; delete it from pending.',
    );
  });

  it("points out a review due within a week, and one past due, while names are pending", async () => {
    const soon = await reviewDiagnostics(groups("2026-06-05", "bob"));
    expect(soon.map(brief)).toEqual(["access/groups/teams.yaml:5:7 warning GH234"]);
    expect(soon[0]?.message).toContain('the review of "team-a" is due 2026-06-05 with 1 pending');
    const late = await reviewDiagnostics(groups("2026-06-05", "bob"), new Date("2026-06-06T00:00:00Z"));
    expect(late[0]?.message).toContain(
      "was due 2026-06-05 with 1 pending: gatehouse review close revokes them.",
    );
    expect(await reviewDiagnostics(groups("2026-06-05", ""))).toEqual([]);
  });

  it("counts only the pending names review close can revoke, and says nothing of a due review it revokes none of", async () => {
    const after = new Date("2026-06-06T00:00:00Z");
    const mixed = await reviewDiagnostics(groups("2026-06-05", "bob, carol"), after);
    expect(mixed.find((d) => d.code === "GH234")?.message).toContain("was due 2026-06-05 with 1 pending:");
    const none = await reviewDiagnostics(groups("2026-06-05", "carol"), after);
    expect(none.map(brief)).toEqual(["access/groups/teams.yaml:6:17 warning GH233"]);
  });

  it("refuses a due that is not a day, at its place", async () => {
    const found = await reviewDiagnostics(groups("next week", "bob"));
    expect(found.map(brief)).toEqual([
      expect.stringMatching(/^access\/groups\/teams\.yaml:5:\d+ error GH1\d\d$/),
    ]);
  });
});
