import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { grantWindows } from "../../../src/validate/rules/grant-windows.ts";

const CONFIG = configYaml("policy:\n  grants: { maxDuration: 90d, privilegedMaxDuration: 12h }\n");
const USERS = "users:\n  - id: alice\n    name: Alice\n  - id: bob\n    name: Bob\n";

describe("grant-windows (now = 2026-06-01T12:00:00Z)", () => {
  it("reports malformed, too long and past grants at the until value", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS,
      "groups/teams.yaml": `groups:
  - name: team-a
    owners: [alice]
    members:
      - user: bob
        until: 2026-07-01 18:00:00Z
      - user: alice
        until: 2026-12-24T18:00:00Z
  - name: team-admin
    owners: [alice]
    sensitivity: privileged
    members:
      - user: bob
        until: 2026-06-02T12:00:00Z
      - user: alice
        until: 2026-05-31T00:00:00Z
`,
    });
    expect(briefs(result.diagnostics, grantWindows.codes)).toEqual([
      "access/groups/teams.yaml:6:16 error GH220",
      "access/groups/teams.yaml:8:16 error GH221",
      "access/groups/teams.yaml:14:16 error GH221",
      "access/groups/teams.yaml:16:16 warning GH222",
    ]);
    const messages = result.diagnostics.map((d) => d.message);
    expect(messages[2]).toBe(
      'grant of "bob" to "team-admin" runs until 2026-06-02T12:00:00Z, longer than the 12h policy allows for privileged groups; set until to 2026-06-02T00:00:00.000Z or earlier.',
    );
    expect(messages[3]).toBe(
      'grant of "alice" to "team-admin" expired at 2026-05-31T00:00:00Z; the plan removes the membership where a system still holds it, and gatehouse prune deletes the line once none does.',
    );
  });

  it("gives every unreadable until one code and one message, at the value", async () => {
    const bad = [
      "2027-02-30T10:00:00Z", // no such day
      "2027-01-01T24:00:00Z",
      "2027-01-01T10:00Z", // no seconds
      "2026-12-31T23:59:60Z", // a leap second
      "2027-01-01t10:00:00z",
      "2027-01-01 10:00:00Z",
      "2027-01-01", // a day alone
      "2027-01-01T10:00:00", // no time zone
      "2027", // a number, not a string
    ];
    const result = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members:\n" +
        bad
          .map((until) => `      - { user: bob, until: ${until === "2027" ? until : `"${until}"`} }\n`)
          .join(""),
    });
    const untils = result.diagnostics.filter((d) => d.severity === "error");
    expect(
      untils.map(
        (d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.severity} ${d.code} ${d.message}`,
      ),
    ).toEqual(
      bad.map(
        (until, i) =>
          `access/groups/teams.yaml:${String(5 + i)}:29 error GH220 until "${until}" is not an instant: write an ISO 8601 date-time with a time zone (the day, T, the time to the second, then Z or an offset), e.g. 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00.`,
      ),
    );
  });

  it("quotes the policy's longest grant as written", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  grants: { maxDuration: 168h }\n"),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members:\n      - { user: bob, until: 2026-06-09T12:00:00Z }\n",
    });
    expect(result.diagnostics.find((d) => d.code === "GH221")?.message).toBe(
      'grant of "bob" to "team-a" runs until 2026-06-09T12:00:00Z, longer than the 168h policy allows for groups; set until to 2026-06-08T12:00:00.000Z or earlier.',
    );
  });

  it("says an expired grant's membership stays when a role still gives it", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": "users:\n  - id: alice\n    name: Alice\n    department: ENG\n",
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members:\n      - user: alice\n        until: 2026-05-31T00:00:00Z\n",
      "roles/eng.yaml": "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [team-a]\n",
    });
    expect(result.diagnostics.find((d) => d.code === "GH222")?.message).toBe(
      'grant of "alice" to "team-a" expired at 2026-05-31T00:00:00Z; the membership stays through another line, a role or a nested group; delete the line (gatehouse prune does).',
    );
  });

  it("accepts grants within the limits, and any future grant when the policy sets none", async () => {
    const within = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members:\n      - user: bob\n        until: 2026-08-30T12:00:00+02:00\n",
    });
    expect(within.diagnostics).toEqual([]);
    const unlimited = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members:\n      - user: bob\n        until: 2036-01-01T00:00:00Z\n",
    });
    expect(unlimited.diagnostics).toEqual([]);
  });
});
