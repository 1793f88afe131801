/**
 * Open offboarding verdicts against a real OpenLDAP slapd, through the CLI: a re-check finds the leaver's
 * account by its entryUUID (kept with the verdict), not by a name it may no longer have, and calls it
 * gone only once no entry holds that id nor the name.
 */
import { describe, expect, it } from "vitest";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rawValues,
  startSlapd,
  type Slapd,
} from "../../harness/slapd.ts";
import {
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  removedAfterEach,
  type RunResult,
  terminate,
} from "./workspace.ts";
import { DISABLED, MANAGERS_LDIF, uid } from "./ldap-fixtures.ts";

const LEGACY = `ou=legacy,${BASE_DN}`;
const VPN = `cn=vpn,${LEGACY}`;

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** Where a first read-back finds access left, it reads again this soon. */
const RECHECK = ["--offboard-recheck", "0.05"];

async function setup(): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd({ ldif: MANAGERS_LDIF });
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  return { server, repo };
}

/** The journal's offboard-verified entries. */
async function checks(repo: ConnectorRepo): Promise<Record<string, unknown>[]> {
  return (await repo.read(JOURNAL_FILE))
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry["type"] === "offboard-verified");
}

async function lastCheck(repo: ConnectorRepo): Promise<Record<string, unknown>> {
  const last = (await checks(repo)).at(-1);
  if (last === undefined) throw new Error("no offboarding check in the journal");
  return last;
}

/**
 * Everyone applied, then ben leaves while a VPN group outside the groups OU (which gatehouse neither
 * reads nor manages) still names him: the apply's check finds that access left, an open verdict that
 * keeps his entry's entryUUID. Returns that entry and the id.
 */
async function benLeftInVpn(): Promise<{
  server: Slapd;
  repo: ConnectorRepo;
  first: Record<string, unknown>;
  id: string;
}> {
  const { server, repo } = await setup();
  expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
  await server.ldapmodify(
    `dn: ${LEGACY}\nchangetype: add\nobjectClass: organizationalUnit\nou: legacy\n\n` +
      `dn: ${VPN}\nchangetype: add\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ada")}\nmember: ${uid("ben")}\n`,
  );
  await terminate(repo, "ben");
  const applied = await repo.run(["apply", "--yes", ...RECHECK]);
  expect(applied.stdout).toContain("  ACCESS LEFT ldap: ben: account disabled, in no group");
  expect(applied.code).toBe(1);
  const [id] = await rawValues(server, uid("ben", DISABLED), "entryUUID");
  if (id === undefined) throw new Error("no entryUUID");
  const first = await lastCheck(repo);
  expect(first).toMatchObject({ account: "ben", clean: false, groupsOutside: [VPN], accountId: id });
  return { server, repo, first, id };
}

/** Renames the entry of `from` in `ou` to `to` (refint rewrites the member values naming it). */
async function rename(server: Slapd, from: string, to: string, ou = DISABLED): Promise<void> {
  await server.ldapmodify(`dn: ${uid(from, ou)}\nchangetype: modrdn\nnewrdn: uid=${to}\ndeleteoldrdn: 1\n`);
}

const quietApply = (repo: ConnectorRepo): Promise<RunResult> => repo.run(["apply", "--yes", ...RECHECK]);

describe("open verdicts re-checked by entryUUID (real slapd)", { tags: ["slow"] }, () => {
  it("follows an account renamed twice after its check, and closes the verdict only when what it holds is gone", async () => {
    const { server, repo, first, id } = await benLeftInVpn();
    // Renamed by hand after the check: by its old name, nothing would be found (and vpn names ben2 now).
    await rename(server, "ben", "ben2");
    const once = await quietApply(repo);
    expect(once.stdout).toContain(
      `  ACCESS LEFT ldap: ben: renamed since to ben2 (found by the system's stable id), account disabled, in no group gatehouse manages, sessions: cannot be revoked or checked here, still in groups outside the scope gatehouse reads: ${VPN}, re-checking journal #${String(first["seq"])}, which found access left\n`,
    );
    expect(once.code).toBe(1);
    const second = await lastCheck(repo);
    expect(second).toMatchObject({
      account: "ben",
      renamedTo: "ben2",
      accountId: id,
      clean: false,
      groupsOutside: [VPN],
      recheckOf: first["seq"],
      triggeredAt: first["triggeredAt"],
    });
    // And again: the verdict names ben2 now, which no account has either.
    await rename(server, "ben2", "ben3");
    const twice = await quietApply(repo);
    expect(twice.stdout).toContain(
      `  ACCESS LEFT ldap: ben2 (ben): renamed since to ben3 (found by the system's stable id), account disabled`,
    );
    expect(twice.code).toBe(1);
    const third = await lastCheck(repo);
    expect(third).toMatchObject({
      account: "ben2",
      renamedTo: "ben3",
      accountId: id,
      clean: false,
      groupsOutside: [VPN],
      recheckOf: second["seq"],
    });
    const planned = await repo.run(["plan", "--detailed-exitcode"]);
    expect(planned.stdout).toContain(
      `note: offboarding of ben2 (ldap, ben; renamed since to ben3) left access outside what gatehouse reads`,
    );
    expect(planned.code).toBe(2);

    // Someone takes ben3 out of the VPN group: the next check finds nothing left, under his name now.
    await server.ldapmodify(
      `dn: ${VPN}\nchangetype: modify\ndelete: member\nmember: ${uid("ben3", DISABLED)}\n`,
    );
    const closed = await quietApply(repo);
    // Written under the name the verdict found it renamed to, which it still has.
    expect(closed.stdout).toContain(
      `  clean ldap: ben3 (ben): account disabled, in no group, sessions: cannot be revoked or checked here, re-checking journal #${String(third["seq"])}, which found access left\n`,
    );
    expect(closed.code).toBe(0);
    expect(await lastCheck(repo)).toMatchObject({
      account: "ben3",
      clean: true,
      recheckOf: third["seq"],
      accountId: id,
    });
    const after = await repo.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).not.toContain("offboarding of ben");
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
  });

  it("keeps open a verdict of an account moved out of the people OU, and closes it once no entry has its id nor its name", async () => {
    const { server, repo, first, id } = await benLeftInVpn();
    // Out of the VPN group, but moved (same uid) to an OU gatehouse does not read: nothing of it can
    // be seen there, so it is not clean.
    await server.ldapmodify(
      `dn: ${VPN}\nchangetype: modify\ndelete: member\nmember: ${uid("ben", DISABLED)}\n\n` +
        `dn: ${uid("ben", DISABLED)}\nchangetype: modrdn\nnewrdn: uid=ben\ndeleteoldrdn: 1\nnewsuperior: ${LEGACY}\n`,
    );
    const moved = await quietApply(repo);
    expect(moved.stdout).toContain(
      `  ACCESS LEFT ldap: ben: not verified: the account was moved since (found by its stable id ${id}), outside the scope gatehouse reads: it could not be checked; check by hand\n`,
    );
    expect(moved.code).toBe(1);
    const second = await lastCheck(repo);
    expect(second).toMatchObject({ account: "ben", accountId: id, clean: false, recheckOf: first["seq"] });
    expect(second).not.toHaveProperty("renamedTo");
    expect((await repo.run(["plan"])).stdout).toContain(
      "; once checked by hand, `gatehouse journal close-verdict --provider ldap --account ben --reason TEXT` closes it",
    );

    // The entry is deleted: no entry holds its entryUUID, none is named ben, nothing names it. Gone.
    await server.ldapmodify(`dn: ${uid("ben", LEGACY)}\nchangetype: delete\n`);
    const gone = await quietApply(repo);
    expect(gone.stdout).toContain(
      `  clean ldap: ben: account gone, in no group, sessions: cannot be revoked or checked here, re-checking journal #${String(second["seq"])}, which found access left\n`,
    );
    expect(gone.code).toBe(0);
    expect(await lastCheck(repo)).toMatchObject({ clean: true, accountState: "absent", accountId: id });
    expect((await repo.run(["plan"])).stdout).not.toContain("offboarding of ben");
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
  });
});
