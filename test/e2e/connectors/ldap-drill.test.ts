/**
 * `gatehouse drill` against a real OpenLDAP slapd, through the CLI: a clean drill moves the canary's
 * entry to the disabled OU and back with its groups; a group outside the groups OU (which gatehouse
 * neither reads nor manages) still naming the canary is access left: exit 1, an `access-left` drill
 * entry, the canary restored all the same, and no verdict left open for later applies.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { foldJournal } from "../../../src/audit/journal-fold.ts";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rawValues,
  startSlapd,
  type Slapd,
} from "../../harness/slapd.ts";
import { type ConnectorRepo, createConnectorRepo, JOURNAL_FILE, removedAfterEach } from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const LEGACY = `ou=legacy,${BASE_DN}`;
const VPN = `cn=vpn,${LEGACY}`;
const uid = (account: string): string => `uid=${account},${PEOPLE}`;
const RECHECK = ["--offboard-recheck", "0.05"];

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** The fixture repository on slapd, applied, with cleo as the drills' canary. */
async function setup(): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd();
  const repo = await createConnectorRepo({
    provider: {
      name: "ldap",
      yaml: ldapProviderYaml(server),
    },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  await repo.edit(
    "access/gatehouse.yaml",
    "  admins: [ada]\n",
    "  admins: [ada]\n  drills: { canaries: [cleo] }\n",
  );
  await repo.commit("cleo is the drills' canary");
  expect((await repo.run(["apply", "--yes", ...RECHECK])).code).toBe(0);
  return { server, repo };
}

async function entries(repo: ConnectorRepo): Promise<Record<string, unknown>[]> {
  return (await repo.read(JOURNAL_FILE))
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The groups under ou=groups whose `member` names cleo's entry. */
async function cleosGroups(server: Slapd): Promise<string[]> {
  const groups = ["team-oncall-write", "dept-eng-read", "team-eng-write", "app-ledger-read"];
  const held: string[] = [];
  for (const group of groups)
    if ((await rawValues(server, `cn=${group},${GROUPS}`, "member")).includes(uid("cleo"))) held.push(group);
  return held;
}

describe("gatehouse drill on OpenLDAP", () => {
  it("offboards cleo to the disabled OU and back into her groups, clean", async () => {
    const { server, repo } = await setup();
    const groups = await cleosGroups(server);
    expect(groups.sort()).toEqual(["dept-eng-read", "team-oncall-write"]);
    const drilled = await repo.run(["drill", ...RECHECK]);
    expect(drilled.stdout).toMatch(
      /: clean\.\n {2}ldap: cleo: disabled after \d+ ms, 2 membership\(s\) removed after/,
    );
    expect(drilled.code).toBe(0);
    expect(await rawValues(server, uid("cleo"), "uid")).toEqual(["cleo"]);
    expect((await cleosGroups(server)).sort()).toEqual(groups);
    expect((await repo.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
  });

  it("reports a group outside gatehouse's scope as access left, exits 1, restores cleo, leaves no verdict open", async () => {
    const { server, repo } = await setup();
    await server.ldapmodify(
      `dn: ${LEGACY}\nchangetype: add\nobjectClass: organizationalUnit\nou: legacy\n\n` +
        `dn: ${VPN}\nchangetype: add\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ada")}\nmember: ${uid("cleo")}\n`,
    );
    const drilled = await repo.run(["drill", ...RECHECK]);
    expect(drilled.code).toBe(1);
    expect(drilled.stdout).toContain(": ACCESS LEFT.\n");
    expect(drilled.stdout).toMatch(
      / {2}ldap: cleo: disabled after \d+ ms, 2 membership\(s\) removed after \d+ ms, NOT clean\n/,
    );
    expect(drilled.stdout).toContain("Restore: the canary has its access back");
    expect(drilled.stderr).toContain("error: the drill of canary cleo found access left after offboarding");
    const all = await entries(repo);
    expect(all.filter((e) => e["type"] === "offboard-verified").at(-1)).toMatchObject({
      account: "cleo",
      clean: false,
      drill: true,
      groupsOutside: [VPN],
    });
    expect(all.at(-1)).toMatchObject({
      type: "drill",
      canary: "cleo",
      outcome: "access-left",
      systems: [{ provider: "ldap", account: "cleo", clean: false, removals: 2, failed: 0 }],
      restore: { outcome: "restored", left: 0 },
    });
    expect(all.at(-1)?.["systems"]).not.toContainEqual(
      expect.objectContaining({ cleanAfterMs: expect.anything() as unknown }),
    );
    // A real leaver's check that found access left stays open until a check finds it gone; a drill's
    // opens nothing (cleo has her access back: a re-check would find it all "left").
    expect((await foldJournal(path.join(repo.cwd, JOURNAL_FILE))).verdicts.size).toBe(0);
    // Cleo is back where the files put her, and a later apply has nothing to say of her.
    expect(await rawValues(server, uid("cleo"), "uid")).toEqual(["cleo"]);
    const applied = await repo.run(["apply", "--yes", ...RECHECK]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).not.toContain("cleo");
    const listed = await repo.run(["journal", "changes", "--user", "cleo"]);
    expect(listed.stdout).toMatch(
      /fire drill of canary cleo: access-left; ldap: cleo disabled \d+ ms, memberships removed \d+ ms, NOT clean; restore restored/,
    );
  });
});
