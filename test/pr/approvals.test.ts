import { describe, expect, it } from "vitest";
import type { AccessModel } from "../../src/model/access.ts";
import type { Group, User } from "../../src/model/access.ts";
import { computeAffected, defaultAdminPaths, GROUP_FIELDS, USER_FIELDS } from "../../src/pr/affected.ts";
import { evaluateApprovals, type Review } from "../../src/pr/approvals.ts";
import { describeGate, renderGateMarkdown } from "../../src/pr/render-gate.ts";
import { configYaml, NOW, validateFiles } from "../helpers/access-tree.ts";

const HEAD = "b".repeat(40);
const OLD = "a".repeat(40);

/** GitHub accounts: login → numeric id (the pins). */
const IDS = new Map([
  ["carol-gh", 101],
  ["bob-gh", 102],
  ["alice-gh", 103],
  ["rachel-gh", 104],
  ["mallory", 666],
]);

const USERS = `users:
  - { id: carol, name: Carol, accounts: { github: carol-gh } }
  - { id: bob, name: Bob, accounts: { github: bob-gh } }
  - { id: alice, name: Alice, accounts: { github: alice-gh } }
  - { id: rachel, name: Rachel, accounts: { github: rachel-gh } }
  - { id: dave, name: Dave }
`;

function groups(
  opts: { platformOwners?: string; platformMembers?: string; prodMembers?: string } = {},
): string {
  return `groups:
  - name: team-platform-write
    owners: [${opts.platformOwners ?? "carol"}]
    members: [${opts.platformMembers ?? "bob"}]
  - name: app-prod-admin
    owners: [carol, bob, rachel]
    sensitivity: privileged
    members: [${opts.prodMembers ?? "carol"}]
`;
}

async function model(
  groupYaml: string,
  policy = "policy:\n  admins: [rachel]\n",
  users = USERS,
): Promise<AccessModel> {
  const tree = await validateFiles({
    "gatehouse.yaml": configYaml(policy),
    "users/people.yaml": users,
    "groups/groups.yaml": groupYaml,
  });
  expect(tree.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return tree.model;
}

const approve = (login: string, sha = HEAD, state = "APPROVED"): Review => ({
  id: Math.floor(Math.random() * 1e9),
  login,
  userId: IDS.get(login) ?? 999,
  state,
  commitId: sha,
});

async function gate(
  baseYaml: string,
  headYaml: string,
  reviews: readonly Review[],
  opts: { author?: string; changed?: string[]; ids?: Map<string, number> } = {},
) {
  const base = await model(baseYaml);
  const head = await model(headYaml);
  const affected = computeAffected({
    base,
    head,
    now: NOW,
    changedPaths: opts.changed ?? ["access/groups/groups.yaml"],
    adminPaths: defaultAdminPaths("access"),
  });
  const author = opts.author ?? "alice-gh";
  return evaluateApprovals({
    now: NOW,
    affected,
    baseModel: base,
    reviews,
    author: { login: author, id: IDS.get(author) ?? 999 },
    headSha: HEAD,
    policy: base.config.policy,
    idsByLogin: opts.ids ?? IDS,
  });
}

const ADD_ALICE = groups({ platformMembers: "bob, alice" });

/** What changes between two models, at NOW, with no files outside access/ changed. */
function affectedBetween(base: AccessModel, head: AccessModel) {
  return computeAffected({ base, head, now: NOW, changedPaths: [], adminPaths: defaultAdminPaths("access") });
}

describe("evaluateApprovals", () => {
  it("passes when an owner on the base branch approves the head commit", async () => {
    const result = await gate(groups(), ADD_ALICE, [approve("carol-gh")]);
    expect(result.isOk).toBe(true);
    expect(result.requirements).toMatchObject([
      { subject: "team-platform-write", required: 1, approvedBy: ["carol-gh"], isOk: true },
    ]);
    expect(result.requirements[0]?.reasons).toContain("alice gains access");
  });

  it("refuses a self-approval: the author never counts, even as an owner", async () => {
    const result = await gate(groups(), groups({ platformMembers: "bob, dave" }), [approve("carol-gh")], {
      author: "carol-gh",
    });
    expect(result.isOk).toBe(false);
    const [req] = result.requirements;
    expect(req?.approvedBy).toEqual([]);
    expect(req?.rejected).toEqual([
      { login: "carol-gh", why: "the author cannot approve their own pull request" },
    ]);
    expect(req?.approvers).toContainEqual(
      expect.objectContaining({ userId: "carol", problem: "is the author" }),
    );
  });

  it("refuses a pull request that makes its author an owner and self-approves", async () => {
    const head = groups({ platformOwners: "carol, alice", platformMembers: "bob, alice" });
    const result = await gate(groups(), head, [approve("alice-gh")]);
    expect(result.isOk).toBe(false);
    const [req] = result.requirements;
    expect(req?.reasons).toEqual(expect.arrayContaining(["owners changed (+alice)", "alice gains access"]));
    expect(req?.stillMay).toEqual(["carol-gh"]);
    expect(req?.rejected[0]?.why).toBe("the author cannot approve their own pull request");
  });

  it("never counts the approval of an owner for their own access, nor of a grant of theirs extended", async () => {
    // bob owns the privileged group and is added to it; carol and rachel are its other owners.
    const result = await gate(groups(), groups({ prodMembers: "carol, bob" }), [
      approve("bob-gh"),
      approve("carol-gh"),
    ]);
    expect(result.isOk).toBe(false);
    const [req] = result.requirements;
    expect(req?.approvedBy).toEqual(["carol-gh"]);
    expect(req?.rejected).toEqual([
      { login: "bob-gh", why: "gains access through this pull request (nobody approves their own access)" },
    ]);
    expect(req?.stillMay).toEqual(["rachel-gh"]);

    // carol's grant in team-platform-write extended: carol, its only owner, cannot approve it, so the
    // admins decide (rachel).
    const grant = (until: string): string =>
      groups({ platformMembers: `bob, { user: carol, until: ${until}, reason: OPS-1 }` });
    const extended = await gate(grant("2026-07-01T00:00:00Z"), grant("2026-08-01T00:00:00Z"), [
      approve("carol-gh"),
    ]);
    expect(extended.isOk).toBe(false);
    expect(extended.requirements.map((r) => r.subject)).toEqual(["admins"]);
    expect(extended.requirements[0]?.reasons[0]).toContain(
      "team-platform-write: 0 of its owners can approve",
    );
    const byAdmin = await gate(grant("2026-07-01T00:00:00Z"), grant("2026-08-01T00:00:00Z"), [
      approve("rachel-gh"),
    ]);
    expect(byAdmin.isOk).toBe(true);
  });

  it("refuses an approval by someone who does not own the group", async () => {
    const result = await gate(groups(), ADD_ALICE, [approve("bob-gh")]);
    expect(result.isOk).toBe(false);
    expect(result.requirements[0]?.rejected).toEqual([
      { login: "bob-gh", why: "not an owner of team-platform-write on the base branch" },
    ]);
  });

  it("does not count an approval given before a new push", async () => {
    const result = await gate(groups(), ADD_ALICE, [approve("carol-gh", OLD)]);
    expect(result.isOk).toBe(false);
    expect(result.requirements[0]?.rejected[0]?.why).toMatch(
      /^approved aaaaaaa, not the head bbbbbbb: approve again/,
    );
    expect(result.requirements[0]?.stillMay).toEqual(["carol-gh"]);
    const again = await gate(groups(), ADD_ALICE, [approve("carol-gh", OLD), approve("carol-gh")]);
    expect(again.isOk).toBe(true);
  });

  it("lets a later request for changes undo an approval", async () => {
    const result = await gate(groups(), ADD_ALICE, [
      approve("carol-gh"),
      approve("carol-gh", HEAD, "CHANGES_REQUESTED"),
    ]);
    expect(result.isOk).toBe(false);
  });

  it("requires two distinct owners for a privileged group", async () => {
    const head = groups({ prodMembers: "carol, alice" });
    const one = await gate(groups(), head, [approve("carol-gh"), approve("carol-gh")]);
    expect(one.requirements).toMatchObject([
      { subject: "app-prod-admin", required: 2, approvedBy: ["carol-gh"], isOk: false },
    ]);
    expect(one.requirements[0]?.stillMay).toEqual(["bob-gh", "rachel-gh"]);
    const two = await gate(groups(), head, [approve("carol-gh"), approve("bob-gh")]);
    expect(two.isOk).toBe(true);
  });

  it("matches reviewers by account id: a renamed or re-registered login cannot approve", async () => {
    // carol-gh was renamed away; mallory (account 666) registered the freed login and approves.
    const impostor: Review = { id: 1, login: "carol-gh", userId: 666, state: "APPROVED", commitId: HEAD };
    const refused = await gate(groups(), ADD_ALICE, [impostor]);
    expect(refused.isOk).toBe(false);
    expect(refused.requirements[0]?.rejected[0]?.why).toBe(
      "login carol-gh is account 666, but it is pinned to account 101 (renamed or re-registered)",
    );
    // Carol herself, now called carol-new, still approves with her account id.
    const renamed: Review = { id: 2, login: "carol-new", userId: 101, state: "APPROVED", commitId: HEAD };
    expect((await gate(groups(), ADD_ALICE, [renamed])).isOk).toBe(true);
  });

  it("sends changes to gatehouse.yaml, schemas and workflows to the admins of the base branch", async () => {
    const result = await gate(groups(), groups(), [approve("carol-gh")], {
      changed: ["access/gatehouse.yaml", ".github/workflows/plan.yml", "README.md"],
    });
    expect(result.requirements).toMatchObject([
      {
        subject: "admins",
        kind: "admins",
        reasons: ["access/gatehouse.yaml changed", ".github/workflows/plan.yml changed"],
      },
    ]);
    expect(result.isOk).toBe(false);
    expect(
      (await gate(groups(), groups(), [approve("rachel-gh")], { changed: ["schemas/x.json"] })).isOk,
    ).toBe(true);
  });

  it("tells to add admins, not owners, when too few admins can approve a settings change", async () => {
    // dave, the only admin, has no GitHub account: nobody can approve a change to gatehouse.yaml.
    const base = await model(groups(), "policy:\n  admins: [dave]\n");
    const result = evaluateApprovals({
      now: NOW,
      affected: computeAffected({
        base,
        head: base,
        now: NOW,
        changedPaths: ["access/gatehouse.yaml"],
        adminPaths: defaultAdminPaths("access"),
      }),
      baseModel: base,
      reviews: [approve("carol-gh")],
      author: { login: "alice-gh", id: 103 },
      headSha: HEAD,
      policy: base.config.policy,
      idsByLogin: IDS,
    });
    expect(result.isOk).toBe(false);
    const md = renderGateMarkdown(result);
    expect(md).toContain(
      "- gatehouse settings (admins): only 0 eligible approver(s) for 1 required approvals; add admins with a GitHub account (policy.admins, accounts.github) on the base branch first",
    );
    expect(md).not.toContain("add owners");
  });

  it("sends gatehouse.yml (the other name the loader takes) to the admins too", async () => {
    const result = await gate(groups(), groups(), [], { changed: ["access/gatehouse.yml"] });
    expect(result.requirements).toMatchObject([
      { subject: "admins", reasons: ["access/gatehouse.yml changed"], isOk: false },
    ]);
  });

  it("treats a new former name as taking over a live group: the group's owners and the admins approve", async () => {
    const head = groups().replace(
      "  - name: team-platform-write\n",
      "  - name: team-platform-write\n    formerNames: [org-admins]\n",
    );
    const result = await gate(groups(), head, [approve("carol-gh")], { author: "bob-gh" });
    expect(result.requirements).toMatchObject([
      { subject: "team-platform-write", reasons: ["formerNames changed (+org-admins)"], isOk: true },
      {
        subject: "admins",
        reasons: ["group team-platform-write takes over the live group(s) org-admins (formerNames)"],
        isOk: false,
      },
    ]);
    expect(result.isOk).toBe(false);
    expect(
      (await gate(groups(), head, [approve("carol-gh"), approve("rachel-gh")], { author: "bob-gh" })).isOk,
    ).toBe(true);
  });

  it("sends a new group to the admins, and needs no approval when no access is granted", async () => {
    const head = groups() + "  - name: team-new-write\n    owners: [alice]\n    members: [alice]\n";
    const result = await gate(groups(), head, [approve("alice-gh")], { author: "bob-gh" });
    expect(result.requirements).toMatchObject([
      { subject: "admins", reasons: ["team-new-write: new group"], isOk: false },
    ]);
    const none = await gate(groups(), groups(), [], { changed: ["README.md"] });
    expect(none).toMatchObject({ isOk: true, requirements: [] });
    expect(describeGate(none)).toBe("no approval needed: grants no access");
  });

  it("treats an owner without a pinned account as unable to approve: with none left, the admins decide", async () => {
    const result = await gate(groups(), ADD_ALICE, [approve("carol-gh")], {
      ids: new Map([
        ["bob-gh", 102],
        ["rachel-gh", 104],
      ]),
    });
    expect(result.isOk).toBe(false);
    expect(result.requirements).toMatchObject([
      {
        subject: "admins",
        reasons: ["team-platform-write: 0 of its owners can approve, 1 needed (alice gains access)"],
        stillMay: ["rachel-gh"],
      },
    ]);
  });

  it("does not count an owner who has left, and goes to the admins when no owner is left", async () => {
    const leftUsers = USERS.replace(
      "{ id: carol, name: Carol,",
      "{ id: carol, name: Carol, endDate: 2026-01-31,",
    );
    const base = await model(groups({ platformOwners: "carol" }), "policy:\n  admins: [rachel]\n", leftUsers);
    const head = await model(
      groups({ platformOwners: "carol", platformMembers: "bob, alice" }),
      "policy:\n  admins: [rachel]\n",
      leftUsers,
    );
    const affected = affectedBetween(base, head);
    const result = evaluateApprovals({
      now: NOW,
      affected,
      baseModel: base,
      reviews: [approve("carol-gh"), approve("rachel-gh")],
      author: { login: "alice-gh", id: 103 },
      headSha: HEAD,
      policy: base.config.policy,
      idsByLogin: IDS,
    });
    expect(result.requirements.map((r) => r.subject)).toEqual(["admins"]);
    expect(result.requirements[0]?.approvedBy).toEqual(["rachel-gh"]);
    expect(result.isOk).toBe(true);
  });

  it("does not count an admin who has left", async () => {
    // carol, the only owner, has left too: the admins decide, and rachel, the only admin, has left.
    const leftUsers = USERS.replace(
      "{ id: rachel, name: Rachel,",
      "{ id: rachel, name: Rachel, status: terminated,",
    ).replace("{ id: carol, name: Carol,", "{ id: carol, name: Carol, endDate: 2026-01-31,");
    const base = await model(groups({ platformOwners: "carol" }), "policy:\n  admins: [rachel]\n", leftUsers);
    const head = await model(
      groups({ platformOwners: "carol", platformMembers: "bob, alice" }),
      "policy:\n  admins: [rachel]\n",
      leftUsers,
    );
    const result = evaluateApprovals({
      now: NOW,
      affected: affectedBetween(base, head),
      baseModel: base,
      reviews: [approve("rachel-gh")],
      author: { login: "alice-gh", id: 103 },
      headSha: HEAD,
      policy: base.config.policy,
      idsByLogin: IDS,
    });
    expect(result.isOk).toBe(false);
    expect(result.requirements).toMatchObject([
      {
        subject: "admins",
        approvedBy: [],
        approvers: [{ userId: "rachel", login: "rachel-gh", problem: "has left (terminated)" }],
      },
    ]);
  });

  it("renders a table per group with who may still approve", async () => {
    const result = await gate(
      groups(),
      groups({ platformMembers: "bob, alice", prodMembers: "carol, dave" }),
      [approve("carol-gh"), approve("bob-gh", OLD)],
    );
    const md = renderGateMarkdown(result);
    expect(md).toContain(
      "| ❌ | `app-prod-admin` | dave gains access | 2 | @carol-gh | @bob-gh, @rachel-gh |",
    );
    expect(md).toContain("| ✅ | `team-platform-write` | alice gains access | 1 | @carol-gh | — |");
    expect(md).toContain("approval by @bob-gh not counted: approved aaaaaaa, not the head bbbbbbb");
    expect(describeGate(result)).toBe("1 of 2 need approval; app-prod-admin: bob-gh, rachel-gh");
  });
});

describe("lifecycle in the approval gate", () => {
  const ADMINS = "policy:\n  admins: [rachel]\n";
  const LEAVE_DISABLES = "policy:\n  admins: [rachel]\n  leave: disable\n";
  const people = (bob: string): string =>
    USERS.replace("{ id: bob, name: Bob,", `{ id: bob, name: Bob,${bob}`);

  async function affectedBy(baseBob: string, headBob: string, policy = ADMINS) {
    const base = await model(groups(), policy, people(baseBob));
    const head = await model(groups(), policy, people(headBob));
    return computeAffected({
      base,
      head,
      now: NOW,
      changedPaths: ["access/users/people.yaml"],
      adminPaths: defaultAdminPaths("access"),
    });
  }

  it("takes reactivating a leaver as gaining their access back: owners and admins approve", async () => {
    const affected = await affectedBy(" status: terminated,", "");
    expect(affected.groups).toMatchObject([
      { name: "team-platform-write", gains: ["bob"], reasons: ["bob gains access"] },
    ]);
    expect(affected.adminReasons).toEqual([
      "user bob is no longer terminated (their accounts are enabled again)",
    ]);
  });

  it("takes an end date that passed and is moved into the future as reactivation too", async () => {
    const affected = await affectedBy(" endDate: 2026-01-31,", " endDate: 2027-12-31,");
    expect(affected.groups[0]?.gains).toEqual(["bob"]);
    expect(affected.adminReasons).toHaveLength(1);
  });

  it("asks the owners when an end date moves later, or a start date earlier, before either comes", async () => {
    const later = await affectedBy(" endDate: 2026-10-31,", " endDate: 2027-12-31,");
    expect(later.groups).toMatchObject([
      {
        name: "team-platform-write",
        gains: [],
        reasons: ["bob's endDate moved later (2026-10-31 → 2027-12-31)"],
      },
    ]);
    const removed = await affectedBy(" endDate: 2026-10-31,", "");
    expect(removed.groups[0]?.reasons).toEqual(["bob's endDate moved later (2026-10-31 → none)"]);
    const sooner = await affectedBy(" startDate: 2026-09-01,", " startDate: 2026-07-01,");
    expect(sooner.groups[0]?.reasons).toEqual(["bob's startDate moved earlier (2026-09-01 → 2026-07-01)"]);
    expect([...later.adminReasons, ...removed.adminReasons, ...sooner.adminReasons]).toEqual([]);
  });

  it("lets offboarding through without approvals: terminating, an earlier end date, going on leave", async () => {
    expect(await affectedBy("", " status: terminated,")).toEqual({ groups: [], adminReasons: [] });
    expect(await affectedBy(" endDate: 2026-10-31,", " endDate: 2026-07-31,")).toEqual({
      groups: [],
      adminReasons: [],
    });
    expect(await affectedBy("", " status: leave,", LEAVE_DISABLES)).toEqual({ groups: [], adminReasons: [] });
  });

  it("takes a return from leave as gaining access where policy disables people on leave", async () => {
    const disabling = await affectedBy(" status: leave,", "", LEAVE_DISABLES);
    expect(disabling.groups[0]).toMatchObject({ name: "team-platform-write", gains: ["bob"] });
    expect(await affectedBy(" status: leave,", "")).toEqual({ groups: [], adminReasons: [] });
  });

  it("still asks the owners for a joiner who starts later", async () => {
    const base = await model(groups(), ADMINS);
    const head = await model(
      groups({ platformMembers: "bob, erin" }),
      ADMINS,
      USERS + "  - { id: erin, name: Erin, startDate: 2026-09-01 }\n",
    );
    const affected = affectedBetween(base, head);
    expect(affected.groups[0]).toMatchObject({ name: "team-platform-write", gains: ["erin"] });
  });
});

describe("identities in the approval gate", () => {
  async function withConfig(config: string, users: string): Promise<AccessModel> {
    const tree = await validateFiles({
      "gatehouse.yaml": config,
      "users/people.yaml": users,
      "groups/groups.yaml": groups(),
    });
    expect(tree.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return tree.model;
  }
  const affected = affectedBetween;

  it("needs the admins when an email that names the account changes", async () => {
    const byEmail =
      "providers:\n  app: { type: local, path: .gatehouse/app.json, accountName: email }\npolicy:\n  admins: [rachel]\n";
    const bobAt = (email: string) =>
      USERS.replace("{ id: bob, name: Bob,", `{ id: bob, name: Bob, email: ${email},`);
    // Under accountName: email everyone needs an e-mail (GH232).
    const everyoneAt = (email: string) =>
      bobAt(email).replace(
        /\{ id: (carol|alice|rachel|dave), name: (\w+)/g,
        "{ id: $1, name: $2, email: $1@example.com",
      );
    const base = await withConfig(byEmail, everyoneAt("bob@example.com"));
    const head = await withConfig(byEmail, everyoneAt("mallory@evil.example"));
    expect(affected(base, head).adminReasons).toEqual(["accounts of user bob changed"]);
    // Where the id names the account, an e-mail is only an attribute.
    const byId = configYaml("policy:\n  admins: [rachel]\n");
    const plainBase = await withConfig(byId, bobAt("bob@example.com"));
    const plainHead = await withConfig(byId, bobAt("bob.b@example.com"));
    expect(affected(plainBase, plainHead).adminReasons).toEqual([]);
  });

  it("needs the admins for a new person, whatever groups they join, but not for one added as a leaver", async () => {
    const config = configYaml("policy:\n  admins: [rachel]\n");
    const base = await withConfig(config, USERS);
    const head = await withConfig(config, USERS + "  - { id: old.admin, name: Old Admin }\n");
    expect(affected(base, head).adminReasons).toEqual([
      "new user old.admin (accounts are created, or taken over, for them)",
    ]);
    const leaver = await withConfig(
      config,
      USERS + "  - { id: old.admin, name: Old Admin, status: terminated }\n",
    );
    expect(affected(base, leaver).adminReasons).toEqual([]);
  });
});

describe("every field of a user and of a group has an approver", () => {
  const at = { file: "x.yaml", line: 1, column: 1 };
  /** A changed value for each field (a new field needs one here, and a decision in affected.ts). */
  const userValues: Record<keyof User, unknown> = {
    id: "bob2",
    name: "Robert",
    email: "robert@example.com",
    department: "sales",
    title: "Boss",
    manager: "carol",
    employmentType: "contractor",
    isEmploymentTypeDefault: true,
    status: "terminated",
    startDate: "2099-01-01",
    endDate: "2000-01-01",
    accounts: { github: "mallory" },
    employeeNumber: "E-666",
    formerIds: ["dave"],
    legalHold: true,
    source: { ...at, line: 9 },
    managerSource: at,
    startDateSource: at,
  };
  const groupValues: Record<keyof Group, unknown> = {
    name: "team-platform-write",
    description: "changed",
    owners: ["alice"],
    sensitivity: "privileged",
    providers: ["none"],
    formerNames: ["old-platform"],
    // Due within a week (a review due later needs nobody to open: review-gate.test.ts).
    review: { due: NOW.toISOString().slice(0, 10), pending: ["bob"] },
    members: [{ kind: "user", user: "alice", source: at }],
    detailedMembers: [0],
    source: { ...at, line: 9 },
    ownerSources: [at],
    providerSources: [at],
  };

  it("asks the admins for identity and admin fields of an existing user", async () => {
    const files = await model(groups());
    const unlinked = files.users.get("bob");
    if (!unlinked) throw new Error("no bob");
    // Linked to an HR record already: another number is a change (a first one is not, below).
    const bob: User = { ...unlinked, employeeNumber: "E-1" };
    const base: AccessModel = { ...files, users: new Map(files.users).set("bob", bob) };
    for (const [field, decision] of Object.entries(USER_FIELDS)) {
      if (field === "id") continue; // another id is another person (a new user: admins, tested above)
      const changed = { ...bob, [field]: userValues[field as keyof User] };
      const head: AccessModel = { ...base, users: new Map(base.users).set("bob", changed) };
      const { adminReasons } = affectedBetween(base, head);
      if (decision === "identity" && field !== "email")
        expect(adminReasons, field).toContain("accounts of user bob changed");
      else if (decision === "admins") expect(adminReasons, field).toContain(`${field} of user bob changed`);
      else expect(adminReasons, field).toEqual([]);
    }
    // A first employee number links the person to their HR record (hr sync does that): nobody approves.
    expect(affectedBetween(files, base).adminReasons).toEqual([]);
    expect(affectedBetween(base, files).adminReasons).toEqual(["employeeNumber of user bob changed"]);
  });

  it("asks a group's owners for every field that decides access", async () => {
    const base = await model(groups());
    const group = base.groups.get("team-platform-write");
    if (!group) throw new Error("no group");
    for (const [field, decision] of Object.entries(GROUP_FIELDS)) {
      if (field === "name") continue; // another name is another group (new group / group removed)
      const changed = { ...group, [field]: groupValues[field as keyof Group] };
      const head: AccessModel = {
        ...base,
        groups: new Map(base.groups).set("team-platform-write", changed),
      };
      const reasons = affectedBetween(base, head).groups.find((g) => g.name === "team-platform-write");
      if (decision === "owners") expect(reasons?.reasons.length ?? 0, field).toBeGreaterThan(0);
      else expect(reasons, field).toBeUndefined();
    }
  });
});
