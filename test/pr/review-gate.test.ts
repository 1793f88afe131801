/**
 * Access reviews and the approval gate: opening a review gains nobody access and needs nobody's
 * approval; certifying (names leaving `pending`) is a change to the group, which its owners approve.
 */
import { describe, expect, it } from "vitest";
import type { AccessModel } from "../../src/model/access.ts";
import { computeAffected, defaultAdminPaths } from "../../src/pr/affected.ts";
import { evaluateApprovals, type Review } from "../../src/pr/approvals.ts";
import { configYaml, NOW, validateFiles } from "../helpers/access-tree.ts";

const HEAD = "b".repeat(40);
const IDS = new Map([
  ["carol-gh", 101],
  ["alice-gh", 103],
]);
const USERS = `users:
  - { id: carol, name: Carol, accounts: { github: carol-gh } }
  - { id: alice, name: Alice, accounts: { github: alice-gh } }
  - { id: bob, name: Bob }
`;

/** The group with a review block when `review` is given ("due; pending, pending"). */
function group(review?: { due: string; pending: string[] }, members = "alice, bob"): string {
  const block =
    review === undefined
      ? ""
      : `    review:\n      due: ${review.due}\n      pending: [${review.pending.join(", ")}]\n`;
  return `groups:\n  - name: team-platform-write\n    owners: [carol]\n${block}    members: [${members}]\n`;
}

async function model(groups: string): Promise<AccessModel> {
  const tree = await validateFiles({
    "gatehouse.yaml": configYaml("policy:\n  admins: [carol]\n"),
    "users/people.yaml": USERS,
    "groups/groups.yaml": groups,
  });
  expect(tree.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return tree.model;
}

const approve = (login: string): Review => ({
  id: 1,
  login,
  userId: IDS.get(login) ?? 999,
  state: "APPROVED",
  commitId: HEAD,
});

async function gate(baseYaml: string, headYaml: string, reviews: readonly Review[]) {
  const base = await model(baseYaml);
  const affected = computeAffected({
    base,
    head: await model(headYaml),
    now: NOW,
    changedPaths: ["access/groups/groups.yaml"],
    adminPaths: defaultAdminPaths("access"),
  });
  const result = evaluateApprovals({
    now: NOW,
    affected,
    baseModel: base,
    reviews,
    author: { login: "alice-gh", id: 103 },
    headSha: HEAD,
    policy: base.config.policy,
    idsByLogin: IDS,
  });
  return { affected, result };
}

const OPEN = { due: "2026-06-30", pending: ["alice", "bob"] };

describe("access reviews at the approval gate", () => {
  it("lets a pull request that only opens a review through without any approval", async () => {
    const { affected, result } = await gate(group(), group(OPEN), []);
    expect(affected.groups).toEqual([]);
    expect(result.isOk).toBe(true);
  });

  it("needs the owners for a review due within a week (it would revoke before they could look)", async () => {
    const { affected, result } = await gate(group(), group({ due: "2026-06-03", pending: ["alice"] }), []);
    expect(affected.groups[0]?.reasons).toEqual(["review opened due 2026-06-03, less than 7 days away"]);
    expect(result.isOk).toBe(false);
  });

  it("needs an owner of the group to approve names leaving pending: the approval is the certification", async () => {
    const certify = group({ due: "2026-06-30", pending: ["bob"] });
    const unapproved = await gate(group(OPEN), certify, []);
    expect(unapproved.affected.groups[0]?.reasons).toEqual([
      "review: alice re-certified or revoked (no longer pending)",
    ]);
    expect(unapproved.result.isOk).toBe(false);
    const approved = await gate(group(OPEN), certify, [approve("carol-gh")]);
    expect(approved.result.isOk).toBe(true);
    expect(approved.result.requirements).toMatchObject([
      { subject: "team-platform-write", approvedBy: ["carol-gh"], isOk: true },
    ]);
  });

  it("lets names added to the pending list of a review due a week or more away through (hr sync's movers)", async () => {
    const three = "alice, bob, carol";
    const { affected, result } = await gate(
      group(OPEN, three),
      group({ due: "2026-06-30", pending: ["alice", "bob", "carol"] }, three),
      [],
    );
    expect(affected.groups).toEqual([]);
    expect(result.isOk).toBe(true);
  });

  it("needs the owners for any other change to a review: names added with less time, another due day, a block dropped", async () => {
    const three = "alice, bob, carol";
    const soon = { due: "2026-06-05", pending: ["alice"] };
    const cases: [string, string, string[]][] = [
      [
        group(soon, three),
        group({ ...soon, pending: ["alice", "carol"] }, three),
        ["review: carol added to pending, due 2026-06-05, less than 7 days away"],
      ],
      [
        group(OPEN, three),
        group({ due: "2026-07-30", pending: ["alice", "bob", "carol"] }, three),
        ["review: carol added to pending", "review due changed (2026-06-30 → 2026-07-30)"],
      ],
      [group(OPEN), group({ ...OPEN, due: "2026-07-30" }), ["review due changed (2026-06-30 → 2026-07-30)"]],
      [group(OPEN), group(), ["review closed with alice, bob still pending (re-certifies them)"]],
    ];
    for (const [base, head, reasons] of cases) {
      const { affected, result } = await gate(base, head, []);
      expect(affected.groups[0]?.reasons).toEqual(reasons);
      expect(result.isOk).toBe(false);
    }
  });

  it("needs nobody to drop a review with nothing pending, and the owners for what close revokes", async () => {
    const empty = await gate(group({ due: "2026-06-30", pending: [] }), group(), []);
    expect(empty.affected.groups).toEqual([]);
    expect(empty.result.isOk).toBe(true);
    const revoked = await gate(group({ due: "2026-06-30", pending: ["bob"] }), group(undefined, "alice"), []);
    expect(revoked.affected.groups[0]?.reasons).toEqual(["bob loses access"]);
  });
});
