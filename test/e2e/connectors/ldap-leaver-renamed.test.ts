/**
 * A leaver whose LDAP entry someone renamed by hand (uid and mail both, with a modrdn and a modify), so
 * that neither the account name nor the e-mail finds it, against a real OpenLDAP slapd through the CLI.
 * gatehouse journals the entry's entryUUID when it creates or changes an account; the plan finds the
 * leaver's entry by it under its new name and offboards it (disabled, out of every group), in additive
 * mode too, where an account in no access file is otherwise left alone with every group of the leaver's.
 * A journal from before ids were kept plans as it did (the renamed account is not found), without failing.
 */
import { describe, expect, it } from "vitest";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rawValues,
  rootSearch,
  startSlapd,
  type Slapd,
} from "../../harness/slapd.ts";
import {
  changeLines,
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  removedAfterEach,
  terminate,
} from "./workspace.ts";
import { DISABLED, MANAGERS_LDIF, uid } from "./ldap-fixtures.ts";
import { withoutIds } from "./journal-edits.ts";

const GROUPS = `ou=groups,${BASE_DN}`;
const VPN = `cn=vpn,${GROUPS}`;
const RENAMED = "b.okafor";
const RENAMED_MAIL = "b.okafor@elsewhere.example";

const keep = removedAfterEach<Slapd>((server) => server.stop());

const RECHECK = ["--offboard-recheck", "0.05"];

/**
 * The small organization applied in additive mode (ben created by gatehouse), then, by hand: a vpn group
 * in the groups OU that no access file names, holding ada and ben, and ada added to team-oncall-write
 * (which the files do not give her, and additive mode keeps).
 */
async function applied(): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd({ ldif: MANAGERS_LDIF });
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server).replace("mode: authoritative", "mode: additive"),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  const first = await repo.run(["apply", "--yes", ...RECHECK]);
  expect(first.code, first.stderr).toBe(0);
  await server.ldapmodify(
    `dn: ${VPN}\nchangetype: add\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ada")}\nmember: ${uid("ben")}\n\n` +
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\nadd: member\nmember: ${uid("ada")}\n`,
  );
  return { server, repo };
}

/** Renames ben's entry and e-mail by hand, and waits for refint to rewrite the member values naming it. */
async function renameBenByHand(server: Slapd): Promise<void> {
  await server.ldapmodify(
    `dn: ${uid("ben")}\nchangetype: modrdn\nnewrdn: uid=${RENAMED}\ndeleteoldrdn: 1\n\n` +
      `dn: ${uid(RENAMED)}\nchangetype: modify\nreplace: mail\nmail: ${RENAMED_MAIL}\n`,
  );
  for (let i = 0; i < 100; i++) {
    if ((await groupsNaming(server, uid("ben"))).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("refint did not rewrite the member values naming ben");
}

/** The cn of every group under the base DN whose member values name `dn`, sorted. */
async function groupsNaming(server: Slapd, dn: string): Promise<string[]> {
  const entries = await rootSearch(server, BASE_DN, `(member=${dn})`, ["cn"]);
  return entries.map((e) => e.values("cn")[0] ?? e.dn).sort();
}

/** Every group's members (DNs, sorted), by DN: what a hand edit or an apply changed in the groups. */
async function allMembers(server: Slapd): Promise<Record<string, string[]>> {
  const entries = await rootSearch(server, GROUPS, "(objectClass=groupOfNames)", ["member"]);
  return Object.fromEntries(entries.map((e) => [e.dn, e.values("member")]));
}

/** Every person's DN, enabled or not. */
async function people(server: Slapd): Promise<string[]> {
  const entries = await rootSearch(server, BASE_DN, "(objectClass=inetOrgPerson)", ["uid"]);
  return entries.map((e) => e.dn).sort();
}

/** The journal's entries. */
async function journal(repo: ConnectorRepo): Promise<Record<string, unknown>[]> {
  return (await repo.read(JOURNAL_FILE))
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("a leaver's LDAP entry renamed by hand (real slapd)", { tags: ["slow"] }, () => {
  it("is found by its entryUUID under its new name and offboarded, in additive mode, and nothing else is removed", async () => {
    const { server, repo } = await applied();
    const [id] = await rawValues(server, uid("ben"), "entryUUID");
    if (id === undefined) throw new Error("no entryUUID");
    // The create journalled the entry's id, and so did the updates of the managers gatehouse adopted.
    const changes = (await journal(repo)).filter((e) => e["type"] === "change");
    const created = changes.find(
      (e) => e["changeId"] === "ldap:user/ben" && (e["change"] as { action?: unknown }).action === "create",
    );
    expect(created?.["accountId"]).toBe(id);
    expect(await groupsNaming(server, uid("ben"))).toEqual([
      "app-ledger-read",
      "dept-eng-read",
      "team-oncall-write",
      "vpn",
    ]);

    await renameBenByHand(server);
    await terminate(repo, "ben");
    const before = await allMembers(server);
    const everyone = await people(server);

    const plan = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(plan.stdout)).toEqual([
      "membership.remove ldap:membership/app-ledger-read/b.okafor user-terminated",
      "membership.remove ldap:membership/dept-eng-read/b.okafor user-terminated",
      "membership.remove ldap:membership/team-oncall-write/b.okafor user-terminated",
      "membership.remove ldap:membership/vpn/b.okafor user-terminated",
      "user.disable ldap:user/b.okafor user-terminated",
    ]);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toContain(`- disable user ${RENAMED}  (user terminated`);
    expect(text.stdout).toContain(
      `account ${RENAMED} in ldap is the entry gatehouse knew as ben's account ben, found by its stable id (${id}) under its new name: renamed by hand, it is treated as ben's`,
    );

    const done = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain(`clean ldap: ${RENAMED} (ben): account disabled, in no group`);
    // Disabled (moved to the disabled OU, its entryUUID the same), in no group at all.
    expect(await rawValues(server, uid(RENAMED, DISABLED), "entryUUID")).toEqual([id]);
    expect(await groupsNaming(server, uid(RENAMED, DISABLED))).toEqual([]);
    expect(await groupsNaming(server, uid(RENAMED))).toEqual([]);
    // Nothing else: every other member value as it was (ada kept in team-oncall-write and vpn), every
    // other person where they were.
    const after = await allMembers(server);
    const others = (members: Record<string, string[]>): Record<string, string[]> =>
      Object.fromEntries(
        Object.entries(members).map(([dn, list]) => [dn, list.filter((m) => m !== uid(RENAMED))]),
      );
    expect(after).toEqual(others(before));
    expect(after[VPN]).toEqual([uid("ada")]);
    expect(await people(server)).toEqual(
      everyone.map((dn) => (dn === uid(RENAMED) ? uid(RENAMED, DISABLED) : dn)).sort(),
    );
    // Converged: once disabled, its id is no longer looked for (the journal fold drops it), and the next
    // plan changes nothing.
    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).not.toContain("stable id");
  });

  it("with a journal from before ids were kept, plans as before: the renamed account is not found, and nothing fails", async () => {
    const { server, repo } = await applied();
    await withoutIds(repo);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    await renameBenByHand(server);
    await terminate(repo, "ben");
    const before = await allMembers(server);

    const plan = await repo.run(["plan", "--format", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(changeLines(plan.stdout).filter((line) => line.includes(RENAMED))).toEqual([]);
    expect(plan.stdout).not.toContain("stable id");
    const done = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(await allMembers(server)).toEqual(before);
    expect(await groupsNaming(server, uid(RENAMED))).toEqual([
      "app-ledger-read",
      "dept-eng-read",
      "team-oncall-write",
      "vpn",
    ]);
  });
});
