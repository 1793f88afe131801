/**
 * A privileged group gatehouse made, renamed by hand in the directory (a modrdn of its cn) and given a
 * member the files do not grant, against a real OpenLDAP slapd through the CLI, in additive mode. The
 * journal keeps the group entry's entryUUID; the plan finds the group by it under its new name and renames
 * it back, so the member nobody granted is named in the privileged group's note, instead of the plan
 * making a second group of the name while the renamed one keeps everyone, unseen. A journal from before
 * ids were kept plans as it did, without failing.
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
  changeLines,
  type ConnectorRepo,
  createConnectorRepo,
  JOURNAL_FILE,
  noteMessages,
  removedAfterEach,
} from "./workspace.ts";
import { withoutIds } from "./journal-edits.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const ADMIN = "team-infra-admin";
const RENAMED = "infra-admins-old";
const uid = (account: string): string => `uid=${account},${PEOPLE}`;
const cn = (group: string): string => `cn=${group},${GROUPS}`;

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** The small organization with a privileged group of ada's, applied in additive mode. */
async function applied(): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd();
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server).replace("mode: authoritative", "mode: additive"),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  await repo.edit(
    "access/groups/groups.yaml",
    "groups:\n",
    `groups:\n  - name: ${ADMIN}\n    description: Root on the infrastructure\n    owners: [eli]\n    sensitivity: privileged\n    members: [ada]\n\n`,
  );
  await repo.commit("a privileged group");
  const first = await repo.run(["apply", "--yes"]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  return { server, repo };
}

/** Renames the group by hand and adds cleo to it, whom the files do not give it. */
async function renameByHand(server: Slapd): Promise<void> {
  await server.ldapmodify(
    `dn: ${cn(ADMIN)}\nchangetype: modrdn\nnewrdn: cn=${RENAMED}\ndeleteoldrdn: 1\n\n` +
      `dn: ${cn(RENAMED)}\nchangetype: modify\nadd: member\nmember: ${uid("cleo")}\n`,
  );
}

/** The groupOfNames entries under the groups OU: DN → members, sorted. */
async function groups(server: Slapd): Promise<Record<string, string[]>> {
  const entries = await rootSearch(server, GROUPS, "(objectClass=groupOfNames)", ["member", "entryUUID"]);
  return Object.fromEntries(entries.map((e) => [e.dn, e.values("member")]));
}

async function idOf(server: Slapd, group: string): Promise<string> {
  const [entry] = await rootSearch(server, GROUPS, `(cn=${group})`, ["entryUUID"]);
  const id = entry?.values("entryUUID")[0];
  if (id === undefined) throw new Error(`no entryUUID for ${group}`);
  return id;
}

describe("a privileged group renamed by hand (real slapd, additive mode)", { tags: ["slow"] }, () => {
  it("is found by its entryUUID, renamed back, and the member nobody granted is named", async () => {
    const { server, repo } = await applied();
    const id = await idOf(server, ADMIN);
    const created = (await repo.read(JOURNAL_FILE))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e["changeId"] === `ldap:group/${ADMIN}`);
    expect(created?.["accountId"]).toBe(id);
    await renameByHand(server);
    const before = await groups(server);

    const plan = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(plan.stdout)).toEqual([`group.update ldap:group/${RENAMED} drift`]);
    expect(plan.stdout).toContain(
      `renamed back from ${RENAMED} to ${ADMIN}: renamed in ldap by hand, it is the entry gatehouse knew as ${ADMIN}, found by its stable id (${id}) under its new name`,
    );
    expect(noteMessages(plan.stdout)).toContain(
      `privileged group ${ADMIN} holds 1 member(s) the access files do not grant, kept because gatehouse did not apply them (mode: additive): cleo. Remove them in ldap, or list them in the files with the owners' approval`,
    );

    const done = await repo.run(["apply", "--yes"]);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    // Renamed back, the same entry, every member kept; no other group changed.
    const after = await groups(server);
    expect(await idOf(server, ADMIN)).toBe(id);
    const { [cn(RENAMED)]: renamedMembers, ...others } = before;
    expect(after).toEqual({ ...others, [cn(ADMIN)]: renamedMembers });
    expect(after[cn(ADMIN)]).toEqual([uid("ada"), uid("cleo")]);
  });

  it("with a journal from before ids were kept, plans as before (a second group of the name), without failing", async () => {
    const { server, repo } = await applied();
    await withoutIds(repo);
    await renameByHand(server);
    const plan = await repo.run(["plan", "--format", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(changeLines(plan.stdout)).toContain(`group.create ldap:group/${ADMIN} added-in-config`);
    expect(plan.stdout).not.toContain("stable id");
  });
});
