/**
 * The CLI end to end against a real OpenLDAP slapd: apply, converge, out-of-band drift made with the
 * ldapmodify binary, and a leaver, all through `main([...], io)` in a temp git repository.
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
import type { Plan } from "../../../src/plan/types.ts";
import { isRecord } from "../../../src/model/json.ts";
import {
  allOutput,
  applyCalls,
  changeLines,
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  journalLength,
  removedAfterEach,
  terminate,
  USERS_FILE,
} from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const DISABLED = `ou=disabled,${BASE_DN}`;

const keep = removedAfterEach<Slapd>((server) => server.stop());

/**
 * ada and eli, the two managers, are already in the directory with the attributes the files give them, so
 * gatehouse adopts them. (On an empty directory the apply engine creates managers before their reports:
 * the first test.)
 */
const MANAGERS = [
  { uid: "ada", cn: "Ada Lovelace", sn: "Lovelace", title: "Engineering Manager", department: "ENG" },
  { uid: "eli", cn: "Eli Moss", sn: "Moss", title: "Controller", department: "FIN" },
]
  .map(
    (m) =>
      `dn: uid=${m.uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${m.uid}\ncn: ${m.cn}\nsn: ${m.sn}\n` +
      `mail: ${m.cn.toLowerCase().replace(" ", ".")}@example.com\ntitle: ${m.title}\n` +
      `departmentNumber: ${m.department}\nemployeeType: employee\n`,
  )
  .join("\n");

async function setup(
  ldif: string = MANAGERS,
  options: { syncprov?: boolean; yaml?: string; contextCsn?: string } = {},
): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd({
    ldif,
    syncprov: options.syncprov ?? false,
    ...(options.contextCsn === undefined ? {} : { contextCsn: options.contextCsn }),
  });
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server, { extra: options.yaml }),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  return { server, repo };
}

async function membersOf(server: Slapd, group: string): Promise<string[]> {
  const [entry] = await rootSearch(server, GROUPS, `(cn=${group})`, ["member"]);
  if (!entry) throw new Error(`group ${group} not found`);
  return entry.values("member");
}

/** DN and entryCSN of every entry: any write to the directory changes this. */
async function snapshot(server: Slapd): Promise<string[]> {
  const entries = await rootSearch(server, BASE_DN, "(objectClass=*)", ["entryCSN"]);
  return entries.map((e) => `${e.dn} ${e.values("entryCSN").join(",")}`).sort();
}

const uid = (account: string, ou = PEOPLE): string => `uid=${account},${ou}`;

/** Where the offboarding check finds access left, it reads again this soon (not the default 10 s). */
const RECHECK = ["--offboard-recheck", "0.2"];
/** What a check line says after that second read. */
const RECHECKED = "as read again 0.2 s after a first read found access left";

/** The "N read call(s)" a plan's text output gives for the ldap provider. */
function planReadCalls(stdout: string): number | undefined {
  const match = /^ldap \(ldap, authoritative\): .*; (\d+) read call\(s\)$/m.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/** The journal's offboard-verified entries. */
async function offboardLines(repo: ConnectorRepo): Promise<unknown[]> {
  const text = await repo.read(JOURNAL_FILE);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry["type"] === "offboard-verified");
}

/** The journal's change entries of user changes of one action ("disable", "create"). */
async function journalChanges(repo: ConnectorRepo, action: string): Promise<Record<string, unknown>[]> {
  const text = await repo.read(JOURNAL_FILE);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(
      (e) =>
        e["type"] === "change" &&
        isRecord(e["change"]) &&
        e["change"]["kind"] === "user" &&
        e["change"]["action"] === action,
    );
}

function expectNoSecret(repo: ConnectorRepo, server: Slapd): void {
  expect(repo.runs.length).toBeGreaterThan(0);
  expect(allOutput(repo)).not.toContain(server.password);
}

describe("gatehouse CLI against OpenLDAP", { tags: ["slow"] }, () => {
  it("creates managers before the people who report to them when both are new", async () => {
    const { server, repo } = await setup("");
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
    expect(applied.code).toBe(0);
    const [ben] = await rootSearch(server, PEOPLE, "(uid=ben)", ["manager"]);
    expect(ben?.values("manager")).toEqual([uid("ada")]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("creates people, groups and a nested group on apply, adopts the managers already there, then plans no changes and a second apply writes nothing", async () => {
    const { server, repo } = await setup();
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stderr).not.toContain("error");
    expect(applied.stdout).toContain("Apply complete: 18 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    const calls = applyCalls(applied.stdout, "ldap");
    expect(calls?.reads).toBeGreaterThan(0);
    // 4 users and 4 groups are added (ada and eli were there), then one modify per group for its members.
    expect(calls?.writes).toBe(12);

    const people = await rootSearch(server, PEOPLE, "(objectClass=inetOrgPerson)", ["uid"]);
    expect(people.map((e) => e.values("uid")[0]).sort()).toEqual([
      "ada",
      "ben",
      "cleo",
      "devi",
      "eli",
      "gatehouse-bot",
    ]);
    expect(await membersOf(server, "team-eng-write")).toEqual(
      [uid("ada"), `cn=team-oncall-write,${GROUPS}`].sort(),
    );
    expect(await membersOf(server, "team-oncall-write")).toEqual([uid("ben"), uid("cleo")]);
    expect(await membersOf(server, "app-ledger-read")).toEqual([uid("ben"), uid("devi"), uid("eli")]);
    expect(await membersOf(server, "dept-eng-read")).toEqual([uid("ada"), uid("ben"), uid("cleo")]);
    const [ben] = await rootSearch(server, PEOPLE, "(uid=ben)", ["manager", "cn", "departmentNumber"]);
    expect(ben?.values("manager")).toEqual([uid("ada")]);
    expect(ben?.values("departmentNumber")).toEqual(["ENG"]);

    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);

    const before = await snapshot(server);
    const entries = await journalLength(repo);
    const second = await repo.run(["apply", "--yes"]);
    expect(second.stdout).toContain("No changes.");
    expect(second.stdout).not.toContain("Apply complete");
    expect(second.code).toBe(0);
    expect(await snapshot(server)).toEqual(before);
    // Only the record of a run that found nothing to change: its apply-start and apply-end.
    expect(await journalLength(repo)).toBe(entries + 2);
    expectNoSecret(repo, server);
  });

  it("names, in journal access of a group, the people who hold it through the group nested in it in slapd", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // slapd holds the nesting as a member value (the nested group's DN), and ben and cleo in the nested group.
    expect(await membersOf(server, "team-eng-write")).toContain(`cn=team-oncall-write,${GROUPS}`);
    const answer = await repo.run([
      "journal",
      "access",
      "team-eng-write",
      "--at",
      "2026-11-25T12:00:00Z",
      "--format",
      "json",
    ]);
    expect(answer.code).toBe(0);
    const [group] = (
      JSON.parse(answer.stdout) as {
        groups: {
          members: { member: string }[];
          through: { member: string; via: { group: string }[] }[];
          nested: unknown[];
        }[];
      }
    ).groups;
    expect(group?.members.map((m) => m.member)).toEqual(["ada", "team-oncall-write"]);
    expect(group?.through.map((t) => [t.member, t.via.map((v) => v.group)])).toEqual([
      ["ben", ["team-oncall-write"]],
      ["cleo", ["team-oncall-write"]],
    ]);
    expect(group?.nested).toEqual([{ group: "team-oncall-write", within: [], isKnown: true }]);
  });

  it("imports people without employeeType (or with it in another case) into files whose plan leaves them alone", async () => {
    const others = [
      `dn: uid=gus,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: gus\ncn: Gus Grey\nsn: Grey\n`,
      `dn: uid=hal,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: hal\ncn: Hal Hill\nsn: Hill\nemployeeType: Contractor\n`,
    ].join("\n");
    const { server, repo } = await setup(`${MANAGERS}\n${others}`);
    const types = async (): Promise<string[]> =>
      (await rootSearch(server, PEOPLE, "(|(uid=gus)(uid=hal))", ["employeeType"]))
        .map((e) => `${e.dn} ${e.values("employeeType").join(",")}`)
        .sort();
    const before = await types();
    expect(before).toEqual([`${uid("gus")} `, `${uid("hal")} Contractor`]);
    const imported = await repo.run(["import", "--provider", "ldap"]);
    expect(imported.code).toBe(0);
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    // Neither is told an employment type: gus's is absent from the file, hal's matches it.
    const touching = changeLines(planned.stdout).filter((line) => / user\/(gus|hal)\b/.test(line));
    expect(touching).toEqual([]);
    expect(await repo.read("access/imported/ldap.yaml")).toMatch(/id: hal[\s\S]*employmentType: contractor/);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(await types()).toEqual(before);
  });

  it("shows an employeeType outside gatehouse's four as it is, and writes it only where the file states a type", async () => {
    const ivy = `dn: uid=ivy,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ivy\ncn: Ivy Ince\nsn: Ince\nemployeeType: Full-Time\n`;
    const { server, repo } = await setup(`${MANAGERS}\n${ivy}`);
    const type = async (): Promise<string[]> =>
      (await rootSearch(server, PEOPLE, "(uid=ivy)", ["employeeType"]))[0]?.values("employeeType") ?? [];
    expect((await repo.run(["import", "--provider", "ldap"])).code).toBe(0);
    // The files take none of the directory's own types: ivy's is left out, so unmanaged.
    const imported = await repo.read("access/imported/ldap.yaml");
    expect(imported).toMatch(/id: ivy/);
    expect(imported).not.toMatch(/Full-Time/);
    const untouched = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(untouched.stdout).filter((line) => line.includes("user/ivy"))).toEqual([]);

    await repo.edit(
      "access/imported/ldap.yaml",
      "  - id: ivy\n",
      "  - id: ivy\n    employmentType: employee\n",
    );
    await repo.commit("ivy is an employee");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as Plan;
    const update = plan.changes.find((c) => c.id === "ldap:user/ivy");
    expect(update).toMatchObject({
      action: "update",
      fields: [{ field: "employmentType", before: "Full-Time", after: "employee" }],
    });
    expect((await repo.run(["plan"])).stdout).toContain('employmentType "Full-Time" → "employee"');
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(await type()).toEqual(["employee"]);
  });

  it("reverts members changed with ldapmodify as drift, disables the stranger, then converges", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);

    await server.ldapmodify(
      `dn: ${uid("mallory")}\nobjectClass: inetOrgPerson\nuid: mallory\ncn: Mallory Stranger\nsn: Stranger\n`,
      { add: true },
    );
    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\nadd: member\nmember: ${uid("mallory")}\n-\ndelete: member\nmember: ${uid("cleo")}\n-\n`,
    );
    expect(await membersOf(server, "team-oncall-write")).toEqual([uid("ben"), uid("mallory")]);

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(changeLines(planned.stdout)).toEqual(
      [
        // gatehouse added cleo itself (the journal says so), so her return is drift, not a new line.
        "membership.add ldap:membership/team-oncall-write/cleo drift",
        "membership.remove ldap:membership/team-oncall-write/mallory drift",
        "user.disable ldap:user/mallory not-in-config",
      ].sort(),
    );

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 3 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    // One modify carries both member changes of the group; one modDN moves mallory.
    expect(applyCalls(applied.stdout, "ldap")?.writes).toBe(2);
    expect(await membersOf(server, "team-oncall-write")).toEqual([uid("ben"), uid("cleo")]);
    expect(await rootSearch(server, DISABLED, "(uid=mallory)", ["uid"])).toHaveLength(1);

    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("shows a member from outside the people OU as access it does not manage, and exits 2 with --detailed-exitcode", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // An admin puts an account that lives outside the managed OUs into a managed group.
    const outsider = `cn=backup-admin,${BASE_DN}`;
    await server.ldapmodify(
      `dn: ${outsider}
objectClass: organizationalRole
cn: backup-admin
`,
      {
        add: true,
      },
    );
    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}
changetype: modify
add: member
member: ${outsider}
-
`,
    );
    const planned = await repo.run(["plan", "--detailed-exitcode"]);
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain(
      `group team-oncall-write holds 1 member that gatehouse does not manage (not users under ${PEOPLE}): ${outsider}`,
    );
    expect(planned.stdout).toContain("live systems hold access gatehouse does not manage");
    expect(planned.stdout).not.toContain("Live systems match");
    const markdown = await repo.run(["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain(`holds 1 member that gatehouse does not manage`);
    expectNoSecret(repo, server);
  });

  it("neither re-creates nor re-adds a person whose entry was moved out of the people OU by hand, and says where it is", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const parked = `ou=parked,${BASE_DN}`;
    await server.ldapmodify(`dn: ${parked}\nobjectClass: organizationalUnit\nou: parked\n`, { add: true });
    // ada manages ben, cleo and fay; refint follows the move in their manager and in her groups' members.
    await server.ldapmodify(
      `dn: ${uid("ada")}\nchangetype: modrdn\nnewrdn: uid=ada\ndeleteoldrdn: 1\nnewsuperior: ${parked}\n`,
    );
    const before = await snapshot(server);

    const planned = await repo.run(["plan", "--format", "json", "--detailed-exitcode"]);
    // Nothing to change (no create that the directory would hold twice, no adds, no managers pointed
    // at an account outside the scope), but access gatehouse does not manage: exit 2.
    expect(changeLines(planned.stdout)).toEqual([]);
    expect(planned.code).toBe(2);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toContain(
      `account ada (ada) is in ldap outside the scope gatehouse reads, at ${uid("ada", parked)}: moved there by hand?`,
    );
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(await snapshot(server)).toEqual(before);

    // A new hire who reports to ada gets an account all the same, without the manager it cannot point at.
    await repo.edit(
      USERS_FILE,
      "  - id: gatehouse-bot\n",
      "  - id: gus\n    name: Gus Hale\n    email: gus.hale@example.com\n    department: ENG\n    title: Software Engineer\n    manager: ada\n\n  - id: gatehouse-bot\n",
    );
    const hired = await repo.run(["apply", "--yes"]);
    expect(hired.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
    expect(hired.code).toBe(0);
    const [gus] = await rootSearch(server, PEOPLE, "(uid=gus)", ["manager", "title"]);
    expect(gus?.values("title")).toEqual(["Software Engineer"]);
    expect(gus?.values("manager")).toEqual([]);

    // Moved back, it is managed again and nothing is left to do.
    await server.ldapmodify(
      `dn: ${uid("ada", parked)}\nchangetype: modrdn\nnewrdn: uid=ada\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`,
    );
    // ada is managed again, and gus gets his manager.
    const back = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(back.stdout)).toEqual(["user.update ldap:user/gus added-in-config"]);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("never hands ben's account to gus when the journal spells it Ben.Okafor and the files give gus ben.okafor", async () => {
    const { server, repo } = await setup();
    await repo.edit(
      USERS_FILE,
      "accounts: { github: ben-o }",
      "accounts: { github: ben-o, ldap: Ben.Okafor }",
    );
    await repo.commit("ben's uid as it was spelt");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await repo.edit(USERS_FILE, "ldap: Ben.Okafor", "ldap: ben.new");
    await repo.edit(
      USERS_FILE,
      "  - id: cleo\n",
      "  - id: gus\n    name: Gus Ode\n    email: gus.ode@example.com\n    department: FIN\n    startDate: 2026-11-02\n    accounts: { ldap: ben.okafor }\n\n  - id: cleo\n",
    );
    await repo.edit("access/groups/groups.yaml", "      - devi\n", "      - devi\n      - gus\n");
    await repo.commit("gus is given ben.okafor, the uid ben had; ben gets ben.new");

    const [before] = await rootSearch(server, PEOPLE, "(uid=ben.okafor)", ["entryUUID"]);
    const bensEntry = before?.values("entryUUID")[0];
    expect(bensEntry).toBeDefined();
    // OpenLDAP renames in place: ben's entry (journalled as Ben.Okafor) becomes ben.new with its groups,
    // and gus's account of the freed name is made only by the next run, after the member values moved.
    const planned = await repo.run(["plan"]);
    expect(planned.stdout).toContain("rename user ben.okafor to ben.new");
    expect(planned.stdout).toContain("ben.okafor (gus) is created by the next run");
    expect(planned.stdout).not.toMatch(/create .*ben\.okafor/i);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
    const [renamed] = await rootSearch(server, PEOPLE, "(uid=ben.new)", ["entryUUID"]);
    expect(renamed?.values("entryUUID")).toEqual([bensEntry]);
    expect(await rootSearch(server, PEOPLE, "(uid=ben.okafor)", ["uid"])).toEqual([]);

    // The next run gives gus a new entry of that name: never ben's.
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const [gus] = await rootSearch(server, PEOPLE, "(uid=ben.okafor)", ["entryUUID", "cn"]);
    expect(gus?.values("cn")).toEqual(["Gus Ode"]);
    expect(gus?.values("entryUUID")).not.toEqual([bensEntry]);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("moves a terminated person into the disabled OU and out of every group", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await terminate(repo, "ben");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(changeLines(planned.stdout)).toEqual(
      [
        "user.disable ldap:user/ben user-terminated",
        "membership.remove ldap:membership/app-ledger-read/ben user-terminated",
        "membership.remove ldap:membership/dept-eng-read/ben user-terminated",
        "membership.remove ldap:membership/team-oncall-write/ben user-terminated",
      ].sort(),
    );

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 4 applied, 0 failed, 0 skipped");
    // Read back afterwards: disabled (moved), in no group; LDAP cannot revoke sessions, and says so.
    expect(applied.stdout).toContain(
      "Offboarding verified: 1 leaver account(s) read back, 1 with no access left.\n" +
        "  clean ldap: ben: account disabled, in no group, sessions: cannot be revoked or checked here\n",
    );
    expect(applied.code).toBe(0);
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({
        provider: "ldap",
        account: "ben",
        userId: "ben",
        leaving: "status: terminated",
        clean: true,
        accountState: "disabled",
        groups: [],
        sessions: { outcome: "not-possible" },
      }),
    ]);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    // The disable is journalled with ben's entryUUID, which a rename does not change.
    const [moved] = await rootSearch(server, DISABLED, "(uid=ben)", ["entryUUID"]);
    expect(moved?.values("entryUUID")).toHaveLength(1);
    expect(await journalChanges(repo, "disable")).toEqual([
      expect.objectContaining({ changeId: "ldap:user/ben", accountId: moved?.values("entryUUID")[0] }),
    ]);

    expect(await rootSearch(server, PEOPLE, "(uid=ben)", ["uid"])).toEqual([]);
    expect((await rootSearch(server, DISABLED, "(uid=ben)", ["uid"])).map((e) => e.dn)).toEqual([
      uid("ben", DISABLED),
    ]);
    const holding = await rootSearch(
      server,
      GROUPS,
      `(|(member=${uid("ben")})(member=${uid("ben", DISABLED)}))`,
      ["cn"],
    );
    expect(holding.map((e) => e.dn)).toEqual([]);
    expect(await membersOf(server, "team-oncall-write")).toEqual([uid("cleo")]);

    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(after.code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("reports a group given to a leaver while the plan was shown as access left, exits 1, and leaves it for the next plan", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    await terminate(repo, "ben");
    // Someone adds ben to a group by hand after gatehouse read the directory for the plan.
    const applied = await repo.run(["apply", ...RECHECK], {
      atPrompt: () =>
        server.ldapmodify(
          `dn: cn=side,${GROUPS}\nchangetype: add\nobjectClass: groupOfNames\ncn: side\nmember: ${uid("ben")}\n`,
        ),
    });
    expect(applied.stdout).toContain("Apply complete: 4 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(
      "Offboarding verified: 1 leaver account(s) read back, 0 with no access left, 1 NOT clean.\n" +
        `  ACCESS LEFT ldap: ben: account disabled, still in side, sessions: cannot be revoked or checked here, ${RECHECKED}, not settled yet: the system may still be rewriting side\n`,
    );
    expect(applied.stderr).toContain(
      "error: offboarding is not complete for ldap: ben: account disabled, still in side",
    );
    expect(applied.code).toBe(1);
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({
        account: "ben",
        clean: false,
        accountState: "disabled",
        groups: ["side"],
        recheckedAfterMs: 200,
        unsettled: ["side"],
      }),
    ]);
    // The check wrote nothing: ben (moved to the disabled OU, refint followed) is still in side.
    expect(await membersOf(server, "side")).toEqual([uid("ben", DISABLED)]);
    const next = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(next.stdout)).toContain("group.delete ldap:group/side not-in-config");
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("finds a leaver still in a group of another object class inside the groups OU, which gatehouse does not read", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    // A legacy posixGroup beside gatehouse's groupOfNames groups: the read (objectClass=groupOfNames)
    // never sees it, and it grants ben access by his uid.
    const SHELL = `cn=shell-legacy,${GROUPS}`;
    await server.ldapmodify(
      `dn: ${SHELL}\nchangetype: add\nobjectClass: posixGroup\ncn: shell-legacy\ngidNumber: 5001\nmemberUid: ben\n`,
    );
    await terminate(repo, "ben");
    const applied = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(applied.stdout).toContain("Apply complete: 4 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(
      `  ACCESS LEFT ldap: ben: account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, still in groups outside the scope gatehouse reads: ${SHELL}, ${RECHECKED}\n`,
    );
    expect(applied.code).toBe(1);
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({ account: "ben", clean: false, groups: [], groupsOutside: [SHELL] }),
    ]);
    const [shell] = await rootSearch(server, SHELL, "(objectClass=*)", ["memberUid"]);
    expect(shell?.values("memberUid")).toEqual(["ben"]);
    expectNoSecret(repo, server);
  });

  it("finds a leaver still in a group outside the groups OU, which gatehouse neither reads nor manages", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    // VPN access kept in a legacy OU, out of gatehouse's sight.
    const VPN = `cn=vpn,ou=legacy,${BASE_DN}`;
    await server.ldapmodify(
      `dn: ou=legacy,${BASE_DN}\nchangetype: add\nobjectClass: organizationalUnit\nou: legacy\n\n` +
        `dn: ${VPN}\nchangetype: add\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ben")}\n`,
    );
    await terminate(repo, "ben");
    // cleo leaves in the same run and is in no such group: one search covers both, then each is asked.
    await terminate(repo, "cleo");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout).join("\n")).not.toContain("vpn");
    const applied = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(applied.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
    expect(applied.stdout).toContain(
      `  ACCESS LEFT ldap: ben: account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, still in groups outside the scope gatehouse reads: ${VPN}, ${RECHECKED}\n`,
    );
    expect(applied.code).toBe(1);
    // No plan reads the legacy OU: the error says so instead of promising that the next plan shows it.
    expect(applied.stderr).toContain("no plan shows them");
    expect(applied.stderr).not.toContain("the next plan shows what is left");
    // Nothing to change, but the plan does not say the directory matches: the verdict is open.
    const next = (await repo.run(["plan"])).stdout;
    expect(next).toContain("note: offboarding of ben (ldap) left access outside what gatehouse reads");
    expect(next).not.toContain("Live systems match the access files");
    expect(applied.stdout).toContain("  clean ldap: cleo: account disabled, in no group");
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({ account: "ben", clean: false, groups: [], groupsOutside: [VPN] }),
      expect.objectContaining({ account: "cleo", clean: true }),
    ]);
    // Read only: the legacy group still names ben (at his disabled DN, which refint followed).
    const [vpn] = await rootSearch(server, VPN, "(objectClass=*)", ["member"]);
    expect(vpn?.values("member")).toEqual([uid("ben", DISABLED)]);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("checks a leaver left in a group outside the groups OU again in every apply, until it is removed there", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    const VPN = `cn=vpn,ou=legacy,${BASE_DN}`;
    await server.ldapmodify(
      `dn: ou=legacy,${BASE_DN}\nchangetype: add\nobjectClass: organizationalUnit\nou: legacy\n\n` +
        `dn: ${VPN}\nchangetype: add\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ben")}\n`,
    );
    await terminate(repo, "ben");
    const offboarded = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(offboarded.stdout).toContain(`  ACCESS LEFT ldap: ben: account disabled, in no group`);
    expect(offboarded.code).toBe(1);
    const [first] = (await offboardLines(repo)) as Record<string, unknown>[];
    const seq = String(first?.["seq"]);
    const LEFT = `still in groups outside the scope gatehouse reads: ${VPN}`;

    // The plan has nothing to change, and says so without saying that the directory matches the files.
    const planned = await repo.run(["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      `  note: offboarding of ben (ldap) left access outside what gatehouse reads at ${String(first?.["at"]).slice(0, 16)}Z (journal #${seq}): groups outside the scope it reads: ${VPN}; remove it there; the next apply checks again\n`,
    );
    expect(planned.stdout).toContain("ldap (ldap, authoritative): 0 change(s)");
    expect(planned.stdout).not.toContain("Live systems match the access files");
    expect(planned.code).toBe(2);

    // An apply with nothing to change checks ben again: still there, exit 1, a new entry.
    const quiet = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(quiet.stdout).toContain(
      `  ACCESS LEFT ldap: ben: account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, ${LEFT}, re-checking journal #${seq}, which found access left\n`,
    );
    expect(quiet.stderr).toContain("error: offboarding is not complete for ldap: ben");
    expect(quiet.code).toBe(1);
    const [, second] = (await offboardLines(repo)) as Record<string, unknown>[];
    expect(second).toMatchObject({
      clean: false,
      groupsOutside: [VPN],
      recheckOf: first?.["seq"],
      triggeredAt: first?.["triggeredAt"],
    });
    // No read of the directory again for it: the plan's read, then the outside search only (the
    // account's entry, then the groups naming it), and no second read after --offboard-recheck.
    const text = await repo.read(JOURNAL_FILE);
    const end = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .at(-1);
    expect(end).toMatchObject({ type: "apply-end", offboardingCalls: { ldap: { reads: 2, writes: 0 } } });
    expect(quiet.stdout).not.toContain("as read again");

    // Someone removes ben from the legacy group by hand (groupOfNames needs a member: ada stays).
    const [vpn] = await rootSearch(server, VPN, "(objectClass=*)", ["member"]);
    expect(vpn?.values("member")).toEqual([uid("ben", DISABLED)]);
    await server.ldapmodify(
      `dn: ${VPN}\nchangetype: modify\nadd: member\nmember: ${uid("ada")}\n-\ndelete: member\nmember: ${uid("ben", DISABLED)}\n`,
    );
    const closed = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(closed.stdout).toContain(
      `  clean ldap: ben: account disabled, in no group, sessions: cannot be revoked or checked here, re-checking journal #${String(second?.["seq"])}, which found access left\n`,
    );
    expect(closed.code).toBe(0);
    expect(((await offboardLines(repo)) as Record<string, unknown>[]).at(-1)).toMatchObject({
      clean: true,
      recheckOf: second?.["seq"],
      triggeredAt: first?.["triggeredAt"],
    });
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes. Live systems match the access files.");
    expect(after.stdout).not.toContain("offboarding of ben");
    expect(after.code).toBe(0);
    // Closed: the next apply checks nobody.
    const idle = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(idle.stdout).not.toContain("Offboarding verified");
    expect(idle.code).toBe(0);
    expect(await offboardLines(repo)).toHaveLength(3);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("finds a leaver still named by memberUid in a group it reads and manages by member, and leaves the value", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    // An rfc2307bis-style group: gatehouse manages its member values; memberUid (which Linux hosts read
    // through NSS) names ben too. The read maps only member, so removing ben there left him in the group.
    const ONCALL = `cn=team-oncall-write,${GROUPS}`;
    await server.ldapmodify(
      `dn: ${ONCALL}\nchangetype: modify\nadd: objectClass\nobjectClass: extensibleObject\n-\nadd: memberUid\nmemberUid: ben\nmemberUid: cleo\n`,
    );
    await terminate(repo, "ben");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toContain(
      "membership.remove ldap:membership/team-oncall-write/ben user-terminated",
    );
    const applied = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(applied.stdout).toContain("Apply complete: 4 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(
      `  ACCESS LEFT ldap: ben: account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, still named in groups gatehouse reads through an attribute it does not manage: memberUid in ${ONCALL}, ${RECHECKED}\n`,
    );
    expect(applied.code).toBe(1);
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({
        account: "ben",
        clean: false,
        groups: [],
        unreadMemberships: [{ group: ONCALL, attribute: "memberUid" }],
      }),
    ]);
    // Inside the groups OU and of the groups' class: no group outside the scope.
    expect((await offboardLines(repo)).filter((e) => isRecord(e) && "groupsOutside" in e)).toEqual([]);
    // Read only: the plan did not list the memberUid value, so it is still there (cleo's too).
    const [oncall] = await rootSearch(server, ONCALL, "(objectClass=*)", ["member", "memberUid"]);
    expect(oncall?.values("member")).toEqual([uid("cleo")]);
    expect(oncall?.values("memberUid")).toEqual(["ben", "cleo"]);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
    expectNoSecret(repo, server);
  });

  it("searches the whole base for a leaver whose entry was deleted, by the DN and the uid they had", async () => {
    const { server, repo } = await setup();
    expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
    // ben's entry is deleted by hand (refint takes his member values out), then a restored group names him
    // again at his old DN; a legacy posixGroup outside the groups OU names him by uid. Anyone created as
    // ben later gets both.
    const SHELL = `cn=shell,ou=legacy,${BASE_DN}`;
    await server.ldapmodify(`dn: ${uid("ben")}\nchangetype: delete\n`);
    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\nadd: member\nmember: ${uid("ben")}\n\n` +
        `dn: ou=legacy,${BASE_DN}\nchangetype: add\nobjectClass: organizationalUnit\nou: legacy\n\n` +
        `dn: ${SHELL}\nchangetype: add\nobjectClass: posixGroup\ncn: shell\ngidNumber: 5002\nmemberUid: ben\n`,
    );
    await terminate(repo, "ben");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      "membership.remove ldap:membership/team-oncall-write/ben user-terminated",
    ]);
    const applied = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(applied.stdout).toContain("Apply complete: 1 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toContain(
      `  ACCESS LEFT ldap: ben: account gone, in no group gatehouse manages, sessions: cannot be revoked or checked here, still in groups outside the scope gatehouse reads: ${SHELL}, ${RECHECKED}\n`,
    );
    expect(applied.code).toBe(1);
    expect(await offboardLines(repo)).toEqual([
      expect.objectContaining({
        account: "ben",
        clean: false,
        accountState: "absent",
        groupsOutside: [SHELL],
      }),
    ]);
    const [shell] = await rootSearch(server, SHELL, "(objectClass=*)", ["memberUid"]);
    expect(shell?.values("memberUid")).toEqual(["ben"]);
    expectNoSecret(repo, server);
  });

  it("with readCache and syncprov, right after an apply that created people, plans read their groups again until refint's lag has passed", async () => {
    // refintLagSeconds left at its default (15 minutes): refint may still be rewriting references to the
    // DNs the apply created (were they held by entries deleted just before), so every plan inside the lag
    // reads the groups naming them again, and none is shown again from the memo.
    const { repo } = await setup(MANAGERS, { syncprov: true, yaml: "    readCache: true\n" });
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(planReadCalls((await repo.run(["plan", "--detailed-exitcode"])).stdout)).toBe(6);
    for (let i = 0; i < 2; i++) {
      const run = await repo.run(["plan", "--detailed-exitcode"]);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("refint may still rewrite");
      expect(run.stderr).not.toContain("showing it again");
      // contextCSN, whether an entry changed after it, and the groups (one page) read again.
      expect(planReadCalls(run.stdout)).toBe(3);
    }
  });

  it("with readCache and syncprov, a plan with nothing changed makes two read calls, and drift still shows", async () => {
    // refint with no lag to wait out (refintLagSeconds: 0): reads settle once two of them agree.
    const { server, repo } = await setup(MANAGERS, {
      syncprov: true,
      yaml: "    readCache: true\n    refintLagSeconds: 0\n",
    });
    const first = await repo.run(["plan"]);
    expect(first.code).toBe(0);
    // contextCSN, whether syncprov serves it (a Sync Request), then people, the disabled OU and groups:
    // one page each.
    expect(planReadCalls(first.stdout)).toBe(5);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);

    // The apply changed the directory: contextCSN differs, so this plan lists (3) and reads again what
    // changed (a scope of one page is read whole: 2).
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain("No changes.");
    expect(planReadCalls(after.stdout)).toBe(6);
    // The groups it read again name people the apply created (DNs new since the snapshot, which may have
    // changed hands in between): read once more under the same contextCSN, then settled.
    const settling = await repo.run(["plan", "--detailed-exitcode"]);
    expect(settling.stderr).toContain("refint may still rewrite");
    expect(planReadCalls(settling.stdout)).toBe(3);
    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
    // contextCSN, and whether any entry changed after it.
    expect(planReadCalls(again.stdout)).toBe(2);
    expect(again.stderr).toContain("ldap: contextCSN unchanged: nothing changed since the last read");

    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\ndelete: member\nmember: ${uid("cleo")}\n-\n`,
    );
    const drift = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(drift.stdout)).toEqual([
      "membership.add ldap:membership/team-oncall-write/cleo drift",
    ]);
    expect(drift.stderr).toContain("ldap: incremental read: 1 of 10 entries new or changed, 0 gone");
    expect(allOutput(repo)).not.toContain("reading everything");
    expectNoSecret(repo, server);
  });

  it("with readCache and syncprov, a plan with nothing changed is shown again for the same two searches; drift computes it anew", async () => {
    const { server, repo } = await setup(MANAGERS, {
      syncprov: true,
      yaml: "    readCache: true\n    refintLagSeconds: 0\n",
    });
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await repo.run(["plan"]); // lists, and reads again what the apply changed
    await repo.run(["plan"]); // contextCSN unchanged, nothing names a DN outside: settled under it
    const reused = "showing it again";
    const plans: { stderr: string; plan: Plan }[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await repo.run(["plan", "--format", "json"]);
      expect(run.code).toBe(0);
      plans.push({ stderr: run.stderr, plan: JSON.parse(run.stdout) as Plan });
    }
    const [computed, again] = plans;
    if (computed === undefined || again === undefined) throw new Error("no plans");
    // The first is computed: its read starts from the stamp the memo asked for (two searches in all).
    expect(computed.stderr).not.toContain(reused);
    expect(computed.plan.providers[0]?.readCalls).toBe(2);
    expect(again.stderr).toContain(reused);
    expect(again.plan.providers[0]?.readCalls).toBe(2);
    const comparable = (p: Plan): unknown => ({ ...p, createdAt: "", providers: [] });
    expect(comparable(again.plan)).toEqual(comparable(computed.plan));

    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\ndelete: member\nmember: ${uid("cleo")}\n-\n`,
    );
    const drift = await repo.run(["plan", "--format", "json"]);
    expect(drift.stderr).not.toContain(reused);
    expect(changeLines(drift.stdout)).toEqual([
      "membership.add ldap:membership/team-oncall-write/cleo drift",
    ]);
    expectNoSecret(repo, server);
  });

  it("with a contextCSN that syncprov no longer keeps, never shows a plan again, and sees a group deleted by hand", async () => {
    // contextCSN left ahead of every entry (syncprov switched off, or a replica whose clock ran ahead):
    // no write moves it, and a delete leaves no entry to find, so only listing every read sees that.
    const { server, repo } = await setup(MANAGERS, {
      yaml: "    readCache: true\n",
      contextCsn: "20990101000000.000000Z#000000#000#000000",
    });
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const run = await repo.run(["plan", "--detailed-exitcode"]);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain("showing it again");
    }
    await server.ldapmodify(`dn: cn=team-oncall-write,${GROUPS}\nchangetype: delete\n`);
    const after = await repo.run(["plan", "--format", "json"]);
    expect(after.stderr).not.toContain("showing it again");
    expect(changeLines(after.stdout)).toContain("group.create ldap:group/team-oncall-write added-in-config");
    expect(allOutput(repo)).toContain("syncprov does not serve it");
  });
});
