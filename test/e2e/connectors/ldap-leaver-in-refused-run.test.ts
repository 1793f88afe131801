/**
 * A leaver is offboarded even when the guard rails refuse the rest of the plan, against a real OpenLDAP
 * slapd: a member someone added by hand to a protected group (drift apply refuses to remove without
 * --force) must not keep every leaver's account open until someone forces the run. The leavers' kill
 * chain is carried out only when it passes the guard rails on its own: a bulk of leavers over
 * maxRemovals, or a protected user leaving, still waits for the override.
 */
import { describe, expect, it } from "vitest";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rootSearch,
  startSlapd,
  type Slapd,
} from "../../harness/slapd.ts";
import {
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  removedAfterEach,
  terminate,
} from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const DISABLED = `ou=disabled,${BASE_DN}`;
const LEDGER = `cn=app-ledger-read,${GROUPS}`;

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** Everyone applied, app-ledger-read protected, and then mallory added to it by hand. */
async function strangerInProtectedGroup(maxRemovals = 10): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd();
  const repo = await createConnectorRepo({
    provider: { name: "ldap", yaml: ldapProviderYaml(server) },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  await repo.edit(
    "access/gatehouse.yaml",
    "guardrails: { maxRemovals: 10 }",
    `guardrails: { maxRemovals: ${String(maxRemovals)}, protectedGroups: [app-ledger-read] }`,
  );
  await repo.commit("protect the ledger");
  expect((await repo.run(["apply", "--yes"])).code).toBe(0);
  await server.ldapmodify(
    `dn: uid=mallory,${PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: mallory\ncn: Mallory\nsn: M\n\n` +
      `dn: ${LEDGER}\nchangetype: modify\nadd: member\nmember: uid=mallory,${PEOPLE}\n`,
  );
  return { server, repo };
}

/** The DNs of the groups that name `dn` as a member. */
async function groupsNaming(server: Slapd, dn: string): Promise<string[]> {
  const entries = await rootSearch(server, GROUPS, `(member=${dn})`, ["dn"]);
  return entries.map((e) => e.dn).sort();
}

describe("a leaver in a plan the guard rails refuse (real slapd)", { tags: ["slow"] }, () => {
  it("is offboarded and checked, while the refused drift waits for --force", async () => {
    const { server, repo } = await strangerInProtectedGroup();
    await terminate(repo, "cleo");
    expect(await groupsNaming(server, `uid=cleo,${PEOPLE}`)).not.toEqual([]);

    const plan = await repo.run(["plan", "--format", "json"]);
    expect(plan.stdout).toContain("apply still offboards the 1 leaver(s) here");

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("membership remove narrows protected group app-ledger-read");
    expect(applied.stderr).toContain("only the offboarding of its 1 leaver(s)");
    // cleo's account is disabled (moved to ou=disabled) and no group names her any more, checked.
    expect(await rootSearch(server, DISABLED, "(uid=cleo)", ["uid"])).toHaveLength(1);
    expect(await groupsNaming(server, `uid=cleo,${DISABLED}`)).toEqual([]);
    expect(await groupsNaming(server, `uid=cleo,${PEOPLE}`)).toEqual([]);
    expect(applied.stdout).toContain("clean ldap: cleo: account disabled, in no group");
    const journal = (await repo.read(JOURNAL_FILE))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(journal.filter((e) => e["type"] === "offboard-verified").at(-1)).toMatchObject({
      account: "cleo",
      clean: true,
    });
    // The run's apply-start says the rest of the plan was refused, and by what.
    expect(journal.filter((e) => e["type"] === "apply-start").at(-1)).toMatchObject({
      changes: 3,
      refused: [expect.stringContaining("membership remove narrows protected group app-ledger-read")],
    });
    // Nothing else of the plan: mallory keeps her account and the protected group until someone forces it.
    expect(await rootSearch(server, PEOPLE, "(uid=mallory)", ["uid"])).toHaveLength(1);
    expect(await groupsNaming(server, `uid=mallory,${PEOPLE}`)).toEqual([LEDGER]);
    // An auditor reading the journal sees it: what was refused, and why, of mallory and of the ledger.
    const changes = await repo.run(["journal", "changes", "--user", "mallory"]);
    expect(changes.code).toBe(0);
    expect(changes.stdout).toMatch(
      /ldap {2}REFUSED by the guard rails, not applied: ldap:membership\/app-ledger-read\/mallory: membership remove narrows protected group app-ledger-read; re-run with --force if intended {2}\(journal #\d+, run #\d+, commit [0-9a-f]{12}, by .*; it made only 3 change\(s\)/,
    );
    const access = await repo.run(["journal", "access", "app-ledger-read", "--at", "2026-11-25T12:00:00Z"]);
    expect(access.stdout).toContain(
      "  ! ldap:membership/app-ledger-read/mallory: membership remove narrows protected group app-ledger-read; re-run with --force if intended  (the run at ",
    );

    const forced = await repo.run(["apply", "--yes", "--force"]);
    expect(forced.code).toBe(0);
    expect(await groupsNaming(server, `uid=mallory,${PEOPLE}`)).toEqual([]);
  });

  it("waits for the override when the leavers' own removals are over the limit", async () => {
    // cleo holds two memberships (team-oncall-write, dept-eng-read): over maxRemovals 1 on her own.
    const { server, repo } = await strangerInProtectedGroup(1);
    await terminate(repo, "cleo");
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(3);
    expect(applied.stderr).not.toContain("only the offboarding");
    expect(await rootSearch(server, PEOPLE, "(uid=cleo)", ["uid"])).toHaveLength(1);
    expect(await groupsNaming(server, `uid=cleo,${PEOPLE}`)).not.toEqual([]);
  });
});
