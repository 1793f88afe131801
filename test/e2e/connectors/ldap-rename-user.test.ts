/**
 * A person's LDAP account renamed in place (`accounts: { ldap: ... }` changes), through the CLI against a
 * real slapd, with and without the refint overlay: the entry keeps its password and other attributes,
 * every group and report follows to the new name because the plan lists those writes, the journal
 * records the rename, and a new name another entry holds fails the rename and writes nothing else.
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
  allOutput,
  changeLines,
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  noteMessages,
  removedAfterEach,
  USERS_FILE,
} from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const uid = (account: string): string => `uid=${account},${PEOPLE}`;

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** ada (who manages ben and cleo) is in the directory already, with a password and a phone number. */
const ADA = `dn: ${uid("ada")}
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
sn: Lovelace
mail: ada.lovelace@example.com
title: Engineering Manager
departmentNumber: ENG
employeeType: employee
userPassword: {SSHA}not-a-real-hash
telephoneNumber: +44 20 7946 0000
`;
const ELI = `dn: ${uid("eli")}
objectClass: inetOrgPerson
uid: eli
cn: Eli Moss
sn: Moss
mail: eli.moss@example.com
title: Controller
departmentNumber: FIN
employeeType: employee
`;

async function setup(
  refint: boolean,
  options: { ldif?: string; people?: string; groups?: string } = {},
): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd({ ldif: options.ldif ?? `${ADA}\n${ELI}`, refint });
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server, { people: options.people, groups: options.groups }),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  return { server, repo };
}

async function membersOf(server: Slapd, group: string): Promise<string[]> {
  const [entry] = await rootSearch(server, GROUPS, `(cn=${group})`, ["member"]);
  return entry?.values("member") ?? [];
}

async function managerOf(server: Slapd, account: string): Promise<string[]> {
  const [entry] = await rootSearch(server, PEOPLE, `(uid=${account})`, ["manager"]);
  return entry?.values("manager") ?? [];
}

/** ada's account becomes ada.lovelace in the files. */
async function renameAda(repo: ConnectorRepo): Promise<void> {
  await repo.edit(
    USERS_FILE,
    "accounts: { github: ada-l }",
    "accounts: { github: ada-l, ldap: ada.lovelace }",
  );
  await repo.commit("ada's LDAP account is ada.lovelace");
}

const RENAME_PLAN = [
  "membership.add ldap:membership/dept-eng-read/ada.lovelace added-in-config",
  "membership.add ldap:membership/team-eng-write/ada.lovelace added-in-config",
  "membership.remove ldap:membership/dept-eng-read/ada added-in-config",
  "membership.remove ldap:membership/team-eng-write/ada added-in-config",
  "user.update ldap:user/ada added-in-config",
  "user.update ldap:user/ben added-in-config",
  "user.update ldap:user/cleo added-in-config",
];

describe.each([
  { refint: true, name: "with refint" },
  { refint: false, name: "without refint" },
])("renaming a person's LDAP account in place, $name", { tags: ["slow"] }, ({ refint }) => {
  it("keeps the entry, moves every group and report to the new name as the plan lists, journals the rename, then plans nothing", async () => {
    const { server, repo } = await setup(refint);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const [before] = await rootSearch(server, PEOPLE, "(uid=ada)", ["entryUUID"]);
    const entryUuid = before?.values("entryUUID");
    expect(entryUuid).toHaveLength(1);
    await renameAda(repo);

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    // One rename; the member values and manager references that name ada's DN are rewritten as listed
    // changes, whatever the server's overlays would do; no create of ada.lovelace, no disable of ada.
    expect(changeLines(planned.stdout)).toEqual(RENAME_PLAN);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toContain(
      "remove ada from team-eng-write (its former name: renamed to ada.lovelace)",
    );

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 7 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);

    // The same entry under its new DN: uid replaced (deleteoldrdn), password and phone number kept.
    const [after] = await rootSearch(server, PEOPLE, "(uid=ada.lovelace)", [
      "entryUUID",
      "uid",
      "userPassword",
      "telephoneNumber",
      "cn",
      "mail",
    ]);
    expect(after?.dn).toBe(uid("ada.lovelace"));
    expect(after?.values("entryUUID")).toEqual(entryUuid);
    expect(after?.values("uid")).toEqual(["ada.lovelace"]);
    expect(after?.values("userPassword")).toEqual(["{SSHA}not-a-real-hash"]);
    expect(after?.values("telephoneNumber")).toEqual(["+44 20 7946 0000"]);
    expect(await rootSearch(server, BASE_DN, "(uid=ada)", ["1.1"])).toEqual([]);

    // Every group that granted ada grants ada.lovelace, and nothing names the old DN.
    expect(await membersOf(server, "team-eng-write")).toEqual(
      [uid("ada.lovelace"), `cn=team-oncall-write,${GROUPS}`].sort(),
    );
    expect(await membersOf(server, "dept-eng-read")).toEqual(
      [uid("ada.lovelace"), uid("ben"), uid("cleo")].sort(),
    );
    expect(
      await rootSearch(server, BASE_DN, `(|(member=${uid("ada")})(manager=${uid("ada")}))`, ["1.1"]),
    ).toEqual([]);
    expect(await managerOf(server, "ben")).toEqual([uid("ada.lovelace")]);
    expect(await managerOf(server, "cleo")).toEqual([uid("ada.lovelace")]);

    // The journal records the rename as applied, with ada's user id.
    const renames = (await repo.read(JOURNAL_FILE))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; outcome?: string; change?: Record<string, unknown> })
      .filter((e) => e.type === "change" && e.change?.["id"] === "ldap:user/ada");
    expect(renames.map((e) => [e.outcome, e.change?.["userId"], e.change?.["fields"]])).toEqual([
      ["applied", "ada", [{ field: "account", before: "ada", after: "ada.lovelace" }]],
    ]);

    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
    expect(allOutput(repo)).not.toContain(server.password);
  });
});

describe("renaming a person's LDAP account to a name another entry holds", { tags: ["slow"] }, () => {
  it("fails the rename naming the entry in the way, skips what depends on it, and takes no access away", async () => {
    const { server, repo } = await setup(false);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await renameAda(repo);
    // Someone makes ada.lovelace elsewhere in the tree while the plan waits at the prompt.
    const applied = await repo.run(["apply"], {
      atPrompt: () =>
        server.ldapmodify(
          `dn: uid=ada.lovelace,${BASE_DN}\nobjectClass: inetOrgPerson\nuid: ada.lovelace\ncn: Someone Else\nsn: Else\n`,
          { add: true },
        ),
    });
    expect(applied.code).not.toBe(0);
    expect(applied.stdout + applied.stderr).toContain(
      `cannot rename the account "ada" to "ada.lovelace": the entry "uid=ada.lovelace,${BASE_DN}" already holds that name`,
    );
    expect(applied.stdout + applied.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/); // no stack trace
    expect(applied.stdout).toContain("1 failed, 6 skipped");
    // ada is as she was: in her groups under her DN, still her reports' manager.
    expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toHaveLength(1);
    expect(await membersOf(server, "team-eng-write")).toEqual(
      [uid("ada"), `cn=team-oncall-write,${GROUPS}`].sort(),
    );
    expect(await membersOf(server, "dept-eng-read")).toEqual([uid("ada"), uid("ben"), uid("cleo")].sort());
    expect(await managerOf(server, "ben")).toEqual([uid("ada")]);
    // The journal does not give ada the name: it records the rename as failed.
    const outcomes = (await repo.read(JOURNAL_FILE))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; outcome?: string; changeId?: string })
      .filter((e) => e.type === "change" && e.changeId === "ldap:user/ada")
      .map((e) => e.outcome);
    expect(outcomes).toEqual(["failed"]);
  });
});

describe(
  "renaming a person's LDAP account where groups name members by account or DNs do not",
  { tags: ["slow"] },
  () => {
    it("moves posixGroup memberUid values to the new name", async () => {
      const { server, repo } = await setup(true, {
        groups: "{ ou: ou=groups, objectClass: posixGroup, gidNumberStart: 20000 }",
      });
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      const memberUids = async (group: string): Promise<string[]> =>
        (await rootSearch(server, GROUPS, `(cn=${group})`, ["memberUid"]))[0]?.values("memberUid") ?? [];
      // posixGroup cannot nest: team-eng-write holds the on-call people itself.
      expect(await memberUids("team-eng-write")).toEqual(["ada", "ben", "cleo"]);
      await renameAda(repo);
      const planned = await repo.run(["plan", "--format", "json"]);
      expect(changeLines(planned.stdout)).toEqual(RENAME_PLAN);
      const applied = await repo.run(["apply", "--yes"]);
      expect(applied.stdout).toContain("Apply complete: 7 applied, 0 failed, 0 skipped");
      expect(await memberUids("team-eng-write")).toEqual(["ada.lovelace", "ben", "cleo"]);
      expect(await memberUids("dept-eng-read")).toEqual(["ada.lovelace", "ben", "cleo"]);
      expect(await rootSearch(server, GROUPS, "(memberUid=ada)", ["1.1"])).toEqual([]);
      const again = await repo.run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toContain("No changes.");
      expect(again.code).toBe(0);
    });

    it("with rdnAttribute: cn, replaces only the account attribute: the DN and every value naming it stay", async () => {
      // On an empty directory gatehouse creates everyone, at cn=<account>.
      const { server, repo } = await setup(false, {
        ldif: "",
        people: "{ ou: ou=people, objectClasses: [inetOrgPerson], rdnAttribute: cn }",
      });
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      const adaDn = `cn=ada,${PEOPLE}`;
      expect(await membersOf(server, "dept-eng-read")).toContain(adaDn);
      await renameAda(repo);
      const planned = await repo.run(["plan", "--format", "json"]);
      // Nothing names ada by her account: the rename is the one change.
      expect(changeLines(planned.stdout)).toEqual(["user.update ldap:user/ada added-in-config"]);
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      const [entry] = await rootSearch(server, PEOPLE, "(uid=ada.lovelace)", ["uid"]);
      expect(entry?.dn).toBe(adaDn);
      expect(entry?.values("uid")).toEqual(["ada.lovelace"]);
      expect(await membersOf(server, "dept-eng-read")).toContain(adaDn);
      const again = await repo.run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toContain("No changes.");
      expect(again.code).toBe(0);
    });

    it("refuses to rename an entry whose DN names the account when the settings say it does not", async () => {
      // ada's entry is uid=ada (made by hand), but gatehouse is told DNs are cn=<account>: the plan moves
      // no member values, so a modifyDN would leave her groups naming the old DN without refint.
      const { server, repo } = await setup(false, {
        people: "{ ou: ou=people, objectClasses: [inetOrgPerson], rdnAttribute: cn }",
      });
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      await renameAda(repo);
      const applied = await repo.run(["apply", "--yes"]);
      expect(applied.code).not.toBe(0);
      expect(applied.stdout + applied.stderr).toContain(
        `its entry "${uid("ada")}" is named by uid, although people.rdnAttribute is cn`,
      );
      expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toHaveLength(1);
      expect(await membersOf(server, "dept-eng-read")).toContain(uid("ada"));
    });
  },
);

describe("an LDAP account name passed on: ana takes ada's former account name", { tags: ["slow"] }, () => {
  it("renames ada's account first, and makes ana's under the old name only in the next run, after ada's groups moved", async () => {
    const { server, repo } = await setup(false);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await repo.edit(
      USERS_FILE,
      "accounts: { github: gatehouse-bot }\n",
      "accounts: { github: gatehouse-bot }\n\n  - id: ana\n    name: Ana Adams\n    email: ana.adams@example.com\n" +
        "    department: OPS\n    title: Operator\n    startDate: 2026-11-02\n    accounts: { github: ana-a, ldap: ada }\n",
    );
    await renameAda(repo);

    const first = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(first.stdout)).toEqual(RENAME_PLAN);
    expect(noteMessages(first.stdout)).toContain(
      "ada (ana) is created by the next run: this one renames the account of that name to ada.lovelace, and the groups that name ada in ldap are moved to the new name first",
    );
    expect((await repo.run(["apply", "--yes"])).stdout).toContain("7 applied, 0 failed, 0 skipped");

    const second = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(second.stdout)).toEqual(["user.create ldap:user/ada added-in-config"]);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const [ana] = await rootSearch(server, PEOPLE, "(uid=ada)", ["cn"]);
    expect(ana?.values("cn")).toEqual(["Ana Adams"]);
    // Nothing of ada's reaches ana through the name: no group or report names uid=ada.
    expect(
      await rootSearch(server, BASE_DN, `(|(member=${uid("ada")})(manager=${uid("ada")}))`, ["1.1"]),
    ).toEqual([]);
    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes.");
    expect(again.code).toBe(0);
  });
});

/** Values of ada's that no move reaches: a POSIX login group outside the groups OU, a report in no file. */
const ADA_LEFTOVERS = `dn: ou=legacy,${BASE_DN}
objectClass: organizationalUnit
ou: legacy

dn: cn=legacy-login,ou=legacy,${BASE_DN}
objectClass: posixGroup
cn: legacy-login
gidNumber: 30001
memberUid: ada
memberUid: eli

dn: ou=external,${BASE_DN}
objectClass: organizationalUnit
ou: external

dn: uid=temp.contractor,ou=external,${BASE_DN}
objectClass: inetOrgPerson
uid: temp.contractor
cn: Temp Contractor
sn: Contractor
manager: ${uid("ada")}
`;

describe(
  "an LDAP account name passed on while values of its former holder still name it",
  { tags: ["slow"] },
  () => {
    it("does not create the name for ana while they do, says what names it, and creates it once they are gone", async () => {
      const { server, repo } = await setup(false, { ldif: `${ADA}\n${ELI}\n${ADA_LEFTOVERS}` });
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      await repo.edit(
        USERS_FILE,
        "accounts: { github: gatehouse-bot }\n",
        "accounts: { github: gatehouse-bot }\n\n  - id: ana\n    name: Ana Adams\n    email: ana.adams@example.com\n" +
          "    department: OPS\n    title: Operator\n    startDate: 2026-11-02\n    accounts: { github: ana-a, ldap: ada }\n",
      );
      await renameAda(repo);
      expect((await repo.run(["apply", "--yes"])).stdout).toContain("7 applied, 0 failed, 0 skipped");

      // The moves covered the groups gatehouse reads; legacy-login and the contractor's manager still name
      // ada, and would grant ana (ada's POSIX logins) the moment an entry uid=ada exists again.
      const held = await repo.run(["plan", "--format", "json"]);
      expect(changeLines(held.stdout)).toEqual([]);
      expect(noteMessages(held.stdout)).toContain(
        `ada (ana) is not created yet: the name was ada's in ldap, and values they left still name it: ` +
          `group cn=legacy-login,ou=legacy,${BASE_DN} (outside the groups gatehouse reads), the manager of uid=temp.contractor,ou=external,${BASE_DN}. ` +
          "Whoever holds ada gets that access with it. Remove ada from there in ldap (or give ana the group in the files, if it is theirs to have); the first run after that makes the account",
      );
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toEqual([]);

      // The admin takes them out; the next run creates ana's account.
      await server.ldapmodify(
        `dn: cn=legacy-login,ou=legacy,${BASE_DN}\nchangetype: modify\ndelete: memberUid\nmemberUid: ada\n\n` +
          `dn: uid=temp.contractor,ou=external,${BASE_DN}\nchangetype: modify\ndelete: manager\n`,
      );
      const next = await repo.run(["plan", "--format", "json"]);
      expect(changeLines(next.stdout)).toEqual(["user.create ldap:user/ada added-in-config"]);
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      const [ana] = await rootSearch(server, PEOPLE, "(uid=ada)", ["cn"]);
      expect(ana?.values("cn")).toEqual(["Ana Adams"]);
    });
  },
);

describe("an LDAP account renamed by hand in the directory", { tags: ["slow"] }, () => {
  it("is kept as the person's (their e-mail on it) rather than disabled and replaced, and offboarded with them", async () => {
    const { server, repo } = await setup(true);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // An admin renames ada's entry (a changed surname, say), keeping her mail.
    await server.ldapmodify(
      `dn: ${uid("ada")}\nchangetype: modrdn\nnewrdn: uid=ada.byron\ndeleteoldrdn: 1\n`,
    );
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    // No create of ada, no disable of ada.byron: a second account for her, and hers locked.
    expect(changeLines(planned.stdout).filter((l) => l.includes("ada"))).toEqual([]);
    expect(noteMessages(planned.stdout)).toContainEqual(
      expect.stringMatching(
        /^account ada\.byron in ldap has the e-mail of ada \(ada\.lovelace@example\.com\), whose account ada is not there: renamed by hand\?/,
      ),
    );
    const first = await repo.run(["apply", "--yes"]);
    expect(first.code).toBe(0);
    const [kept] = await rootSearch(server, PEOPLE, "(uid=ada.byron)", ["uid"]);
    expect(kept?.values("uid")).toEqual(["ada.byron"]);
    expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["uid"])).toEqual([]);

    // ada leaves: the renamed account is hers to offboard.
    await repo.edit(
      USERS_FILE,
      "    email: ada.lovelace@example.com\n",
      "    email: ada.lovelace@example.com\n    status: terminated\n",
    );
    await repo.commit("ada leaves");
    const leaver = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(leaver.stdout).filter((l) => l.includes("ada.byron"))).toEqual(
      expect.arrayContaining([
        "user.disable ldap:user/ada.byron user-terminated",
        "membership.remove ldap:membership/team-eng-write/ada.byron user-terminated",
      ]),
    );
    const applied = await repo.run(["apply", "--yes", "--force"]);
    expect(applied.stdout).toContain("ada.byron");
    expect(await membersOf(server, "team-eng-write")).not.toContain(uid("ada.byron"));
  });
});
