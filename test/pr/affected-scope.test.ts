/**
 * computeAffected compares only the groups a pull request can change. Where a change in one file changes
 * access given in another (a nested group, a role baseline, a person's dates or status, a grant in a group
 * nested in one owned by someone else), the narrow answer must be the one comparing every group gives.
 */
import { describe, expect, it } from "vitest";
import type { AccessModel } from "../../src/model/access.ts";
import { computeAffected, defaultAdminPaths, type Affected } from "../../src/pr/affected.ts";
import { configYaml, NOW, validateFiles } from "../helpers/access-tree.ts";

type Files = Readonly<Record<string, string>>;

const USERS = `users:
  - { id: carol, name: Carol }
  - { id: bob, name: Bob }
  - { id: alice, name: Alice, department: sales }
  - { id: rachel, name: Rachel }
  - { id: dave, name: Dave, department: eng, endDate: 2026-06-20 }
  - { id: erin, name: Erin, department: eng }
`;

/** `platform` nests `infra` (another file, other owners); the eng role gives `eng-read`. */
const BASE: Files = {
  "gatehouse.yaml": configYaml("policy:\n  admins: [rachel]\n"),
  "users/people.yaml": USERS,
  "groups/platform.yaml": `groups:
  - name: team-platform-write
    owners: [carol]
    members: [bob, { group: team-infra-write }]
  - name: team-quiet-read
    owners: [carol]
    members: [bob]
`,
  "groups/infra.yaml": `groups:
  - name: team-infra-write
    owners: [bob]
    members: [carol]
  - name: dept-eng-read
    owners: [rachel]
    members: []
`,
  "roles/roles.yaml": `roles:
  - name: engineer
    when: { department: [eng] }
    groups: [dept-eng-read]
`,
};

async function modelOf(files: Files): Promise<AccessModel> {
  const tree = await validateFiles(files);
  return tree.model;
}

/** The narrow answer, after checking it is the answer comparing every group and person gives. */
async function affected(head: Files, base: Files = BASE): Promise<Affected> {
  const [b, h] = [await modelOf(base), await modelOf({ ...base, ...head })];
  const input = { base: b, head: h, now: NOW, changedPaths: [], adminPaths: defaultAdminPaths("access") };
  const narrow = computeAffected(input);
  expect(narrow).toEqual(computeAffected({ ...input, everyGroup: true }));
  return narrow;
}

const names = (a: Affected): string[] => a.groups.map((g) => g.name);
const group = (a: Affected, name: string) => a.groups.find((g) => g.name === name);

describe("computeAffected compares only what a pull request can change", () => {
  it("a member added to a nested group is a gain of every group nesting it (another file, other owners)", async () => {
    const a = await affected({
      "groups/infra.yaml": BASE["groups/infra.yaml"]!.replace("members: [carol]", "members: [carol, alice]"),
    });
    expect(names(a)).toEqual(["team-infra-write", "team-platform-write"]);
    expect(group(a, "team-platform-write")?.gains).toEqual(["alice"]);
    expect(group(a, "team-platform-write")?.beneficiaries).toEqual(["alice"]);
  });

  it("a grant in a nested group owned by someone else needs the nesting group's owners too", async () => {
    const a = await affected({
      "groups/infra.yaml": BASE["groups/infra.yaml"]!.replace(
        "members: [carol]",
        "members: [carol, { user: alice, until: 2026-06-05T00:00:00Z }]",
      ),
    });
    expect(group(a, "team-platform-write")?.reasons).toEqual(["alice gains access"]);
    expect(group(a, "team-platform-write")?.existsOnBase).toBe(true);
  });

  it("a group newly nested (its own file unchanged) gives its members to the nesting group", async () => {
    const a = await affected({
      "groups/platform.yaml": BASE["groups/platform.yaml"]!.replace(
        "members: [bob]\n",
        "members: [bob, { group: team-infra-write }]\n",
      ),
    });
    expect(names(a)).toEqual(["team-quiet-read"]);
    expect(group(a, "team-quiet-read")?.gains).toEqual(["carol"]);
  });

  it("a person moved into a role's department gains its baseline group, whose file is unchanged", async () => {
    const a = await affected({
      "users/people.yaml": USERS.replace("Alice, department: sales", "Alice, department: eng"),
    });
    expect(names(a)).toEqual(["dept-eng-read"]);
    expect(group(a, "dept-eng-read")?.gains).toEqual(["alice"]);
  });

  it("a role's condition changed moves its group's members", async () => {
    const a = await affected({
      "roles/roles.yaml": BASE["roles/roles.yaml"]!.replace("[eng]", "[sales]"),
    });
    expect(group(a, "dept-eng-read")?.reasons).toEqual([
      "alice gains access",
      "dave, erin lose access",
      "role engineer changed",
    ]);
  });

  it("a leaving date moved later extends every group the person holds, through nesting and roles", async () => {
    const base: Files = {
      ...BASE,
      "groups/infra.yaml": BASE["groups/infra.yaml"]!.replace("members: [carol]", "members: [carol, dave]"),
    };
    const a = await affected(
      { "users/people.yaml": USERS.replace("endDate: 2026-06-20", "endDate: 2026-09-30") },
      base,
    );
    expect(names(a)).toEqual(["dept-eng-read", "team-infra-write", "team-platform-write"]);
    for (const g of a.groups) {
      expect(g.reasons).toEqual(["dave's endDate moved later (2026-06-20 → 2026-09-30)"]);
      expect(g.beneficiaries).toEqual(["dave"]);
    }
  });

  it("a leaving date in the past is offboarding: no group needs anyone, as when every group is compared", async () => {
    const a = await affected({
      "users/people.yaml": USERS.replace("endDate: 2026-06-20", "endDate: 2026-05-01"),
    });
    expect(a.groups).toEqual([]);
  });

  it("someone on leave coming back gains their groups where policy disables people on leave", async () => {
    const leave = "policy:\n  admins: [rachel]\n  leave: disable\n";
    const base: Files = {
      ...BASE,
      "gatehouse.yaml": configYaml(leave),
      "users/people.yaml": USERS.replace("{ id: bob, name: Bob }", "{ id: bob, name: Bob, status: leave }"),
    };
    const a = await affected({ "users/people.yaml": USERS }, base);
    expect(names(a)).toEqual(["team-platform-write", "team-quiet-read"]);
    expect(group(a, "team-quiet-read")?.gains).toEqual(["bob"]);
  });

  it("a change of the leave policy looks at every group (who holds access changes everywhere)", async () => {
    const users = USERS.replace("{ id: bob, name: Bob }", "{ id: bob, name: Bob, status: leave }");
    const base: Files = {
      ...BASE,
      "gatehouse.yaml": configYaml("policy:\n  admins: [rachel]\n  leave: disable\n"),
      "users/people.yaml": users,
    };
    const a = await affected({ "gatehouse.yaml": BASE["gatehouse.yaml"]! }, base);
    expect(names(a)).toEqual(["team-platform-write", "team-quiet-read"]);
    expect(group(a, "team-quiet-read")?.gains).toEqual(["bob"]);
  });

  it("a person removed from the files is a loss; one added who is listed or matches a role gains", async () => {
    const withoutErin = USERS.replace("  - { id: erin, name: Erin, department: eng }\n", "");
    const removed = await affected({ "users/people.yaml": withoutErin });
    expect(names(removed)).toEqual(["dept-eng-read"]);
    expect(group(removed, "dept-eng-read")?.losses).toEqual(["erin"]);
    const added = await affected(
      { "users/people.yaml": USERS },
      { ...BASE, "users/people.yaml": withoutErin },
    );
    expect(group(added, "dept-eng-read")?.gains).toEqual(["erin"]);
    expect(added.adminReasons).toEqual(["new user erin (accounts are created, or taken over, for them)"]);
  });

  it("lines moved within a file (nothing else changed) change nothing", async () => {
    const a = await affected({
      "users/people.yaml": USERS.replace("users:\n", "users:\n  - { id: zed, name: Zed }\n"),
      "groups/infra.yaml": "\n\n" + BASE["groups/infra.yaml"]!,
    });
    expect(a.groups).toEqual([]);
    expect(a.adminReasons).toEqual(["new user zed (accounts are created, or taken over, for them)"]);
  });

  it("nesting with a cycle (refused by validation) still gives the answer of every group compared", async () => {
    const a = await affected({
      "groups/infra.yaml": BASE["groups/infra.yaml"]!.replace(
        "members: [carol]",
        "members: [carol, alice, { group: team-platform-write }]",
      ),
    });
    expect(names(a)).toContain("team-infra-write");
  });
});
