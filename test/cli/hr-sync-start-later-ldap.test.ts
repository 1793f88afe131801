/**
 * A start date the HR export moves past today for someone who had started, against a real OpenLDAP slapd
 * through the CLI: `hr sync` says they lose all access, the plan disables the account and removes every
 * membership naming that start date as why (not "no member line, role or nested group gives them this
 * group", which sent the reader looking for a role change that never happened), apply carries out exactly
 * that, and a plan for the new start day gives everything back.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rootSearch,
  startSlapd,
  type Slapd,
} from "../harness/slapd.ts";
import { NOW, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";

const servers: Slapd[] = [];
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const USERS = `users:
  - id: lena
    name: Lena Schäfer
    email: lena.schaefer@acme.de
    department: GF
    employeeNumber: "1001"
    startDate: 2018-04-01
  - id: jurgen
    name: Jürgen Groß
    email: juergen.gross@acme.de
    department: IT
    manager: lena
    employeeNumber: "1002"
    startDate: 2019-01-01
  - id: wei
    name: 王伟
    email: wei.wang@acme.de
    department: IT
    manager: jurgen
    employeeNumber: "1004"
    startDate: 2021-03-01
`;

const GROUPS = `groups:
  - name: dept-it-read
    owners: [jurgen]
    members: []
  - name: team-infra-admin
    owners: [jurgen]
    members:
      - wei
`;

const ROLES = "roles:\n  - name: it\n    when: { department: IT }\n    groups: [dept-it-read]\n";

/** The export HR sends, wei's start date given by `weiStarts` (a position's start, mapped by mistake). */
const exportWith = (weiStarts: string): string =>
  "employeeNumber,name,email,department,manager,startDate\n" +
  "1001,Lena Schäfer,lena.schaefer@acme.de,GF,,2018-04-01\n" +
  "1002,Jürgen Groß,juergen.gross@acme.de,IT,1001,2019-01-01\n" +
  `1004,王伟,wei.wang@acme.de,IT,1002,${weiStarts}\n`;

async function setUp(): Promise<{
  server: Slapd;
  run: (argv: string[], now?: Date) => Promise<{ code: number; out: string }>;
}> {
  const server = await startSlapd();
  servers.push(server);
  const tree = await writeAccessTree({
    "gatehouse.yaml": `providers:\n  ldap:\n${ldapProviderYaml(server)}`,
    "users/people.yaml": USERS,
    "groups/groups.yaml": GROUPS,
    "roles/roles.yaml": ROLES,
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, "export.csv"), exportWith("2026-07-01"));
  const run = async (argv: string[], now = NOW): Promise<{ code: number; out: string }> => {
    const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", [PASSWORD_ENV]: server.password });
    const code = await main(argv, { ...io, now: () => now });
    return { code, out: out.join("") + err.join("") };
  };
  return { server, run };
}

/** The cn of every group whose member values name `account` anywhere under the base DN, sorted. */
async function groupsOf(server: Slapd, account: string): Promise<string[]> {
  const dns = (await rootSearch(server, BASE_DN, `(uid=${account})`, ["uid"])).map((e) => e.dn);
  const names: string[] = [];
  for (const dn of dns)
    for (const e of await rootSearch(server, BASE_DN, `(member=${dn})`, ["cn"]))
      names.push(e.values("cn")[0] ?? "");
  return names.sort();
}

describe("hr sync, plan and apply: a start date moved past today, on a real slapd", () => {
  it("names the start date as why the account is disabled and every membership goes, applies that, and gives it back on the day", async () => {
    const { server, run } = await setUp();
    expect((await run(["apply", "--yes"])).code).toBe(0);
    expect(await groupsOf(server, "wei")).toEqual(["dept-it-read", "team-infra-admin"]);

    // One person of three: within the leavers' limit, and said plainly.
    const synced = await run(["hr", "sync", "export.csv"]);
    expect(synced.code).toBe(0);
    expect(synced.out).toContain(
      "  ~ wei (1004)  access/users/people.yaml:15:5  (loses all access: had started, and gets none until the new startDate 2026-07-01)\n      startDate: 2021-03-01 → 2026-07-01\n",
    );

    const plan = await run(["plan"]);
    expect(plan.code).toBe(0);
    const why =
      "wei (access/users/people.yaml:15:5) has not started: no access until their startDate 2026-07-01";
    expect(plan.out).toContain("  - disable user wei  (not started yet, access/users/people.yaml:15:5)");
    expect(plan.out).toContain(`  - remove wei from dept-it-read  (removed from config) — ${why}\n`);
    expect(plan.out).toContain(`  - remove wei from team-infra-admin  (removed from config) — ${why}\n`);
    expect(plan.out).not.toContain("no member line, role or nested group");

    const applied = await run(["apply", "--yes", "--allow-removals", "3"]);
    expect(applied.code, applied.out).toBe(0);
    expect(await groupsOf(server, "wei")).toEqual([]);
    expect((await rootSearch(server, BASE_DN, "(uid=wei)", ["uid"])).map((e) => e.dn)).toEqual([
      `uid=wei,ou=disabled,${BASE_DN}`,
    ]);
    expect((await run(["plan"])).out).toContain("No changes.");

    // On the new start day everything comes back, as for any joiner.
    const onTheDay = await run(["plan"], new Date("2026-07-01T06:00:00Z"));
    expect(onTheDay.out).toContain("  + enable user wei");
    expect(onTheDay.out).toContain("  + add wei to dept-it-read  (role baseline");
    expect(onTheDay.out).toContain("  + add wei to team-infra-admin  (added in config");
  });
});
