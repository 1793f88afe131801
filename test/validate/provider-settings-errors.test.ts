import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { validateAccessTree } from "../../src/validate/validate-tree.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

it("reports one misspelt key inside a provider's settings once, not every sibling key as unknown", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "gh-provider-settings-"));
  dirs.push(cwd);
  await mkdir(join(cwd, "access"));
  await writeFile(
    join(cwd, "access", "gatehouse.yaml"),
    [
      "providers:",
      "  ldap:",
      "    type: ldap",
      "    url: ldap://127.0.0.1:389",
      "    bindDn: cn=admin,dc=example,dc=com",
      "    passwordEnv: GATEHOUSE_LDAP_PASSWORD",
      "    baseDn: dc=example,dc=com",
      "    groups: { ou: ou=groups, objectClazz: groupOfNames }",
      "",
    ].join("\n"),
  );
  const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
  const schemaErrors = tree.diagnostics.filter((d) => d.code === "GH100");
  expect(schemaErrors.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.message}`)).toEqual([
    `access/gatehouse.yaml:8:30 /providers/ldap/groups: unknown key "objectClazz"; allowed keys: ou, objectClass, emptyMember, gidNumberStart`,
  ]);
});

async function schemaErrorsOf(files: Record<string, string>): Promise<string[]> {
  const cwd = await mkdtemp(join(tmpdir(), "gh-schema-messages-"));
  dirs.push(cwd);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(cwd, "access", rel, ".."), { recursive: true });
    await writeFile(join(cwd, "access", rel), text);
  }
  const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
  return tree.diagnostics
    .filter((d) => d.code === "GH100" || d.code === "GH220") // GH220: an until that is no instant
    .map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.message}`);
}

it("lists a provider type's own keys with the common ones, and names a bad provider name", async () => {
  expect(
    await schemaErrorsOf({
      "gatehouse.yaml": "providers:\n  directory:\n    type: local\n    pth: x.json\n",
    }),
  ).toEqual([
    'access/gatehouse.yaml:4:5 /providers/directory: unknown key "pth"; allowed keys: type, mode, nesting, accountName, users, description, path, lockTimeoutMs',
  ]);
  expect(await schemaErrorsOf({ "gatehouse.yaml": "providers:\n  Dir:\n    type: local\n" })).toEqual([
    'access/gatehouse.yaml:2:3 /providers key "Dir": must match the pattern ^[a-z][a-z0-9_-]*$',
  ]);
});

it("reports a member entry's mistake at the key or value, as the form it was meant to take", async () => {
  const errors = await schemaErrorsOf({
    "gatehouse.yaml": "providers:\n  directory:\n    type: local\n",
    "groups/g.yaml": [
      "groups:",
      "  - name: ops",
      "    owners: [alice]",
      "    members:",
      "      - user: bob",
      "        untill: 2026-12-24T00:00:00Z",
      "      - user: bob",
      "        until: 2026-12-24",
      "      - usr: bob",
      "      - Bob!",
      "      - 42",
      "",
    ].join("\n"),
  });
  const forms =
    "does not match any allowed form (A group member: a user id (a standing membership), {user, until, reason} (a time-bound grant), or {group} (a nested group).)";
  expect(errors).toEqual([
    'access/groups/g.yaml:6:9 /groups/0/members/0: unknown key "untill"; allowed keys: user, until, reason',
    'access/groups/g.yaml:8:16 until "2026-12-24" is not an instant: write an ISO 8601 date-time with a time zone (the day, T, the time to the second, then Z or an offset), e.g. 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00.',
    `access/groups/g.yaml:9:9 /groups/0/members/2: ${forms}`,
    "access/groups/g.yaml:10:9 /groups/0/members/3: must match the pattern ^[a-z0-9][a-z0-9._-]*$",
    // Neither a user id nor an entry: every form named (not "must be string").
    `access/groups/g.yaml:11:9 /groups/0/members/4: ${forms}`,
  ]);
});

it("says a duration needs a unit where the policy writes a bare number", async () => {
  const errors = await schemaErrorsOf({
    "gatehouse.yaml":
      "providers:\n  directory: { type: local }\npolicy:\n  grants: { maxDuration: 90, privilegedMaxDuration: 24x }\n",
  });
  const duration = "must be a duration: a whole number and a unit, m, h, d or w (12h, 90d)";
  expect(errors).toEqual([
    `access/gatehouse.yaml:4:26 /policy/grants/maxDuration: ${duration}, not 90`,
    `access/gatehouse.yaml:4:53 /policy/grants/privilegedMaxDuration: ${duration}`,
  ]);
  // A whole file's schema's title ("gatehouse group") is no description of a value.
  expect(
    await schemaErrorsOf({
      "gatehouse.yaml": "providers:\n  directory: { type: local }\n",
      "u.yaml": "- a\n",
      "v.yaml": "groups:\n  - 7\n",
    }),
  ).toEqual(["access/u.yaml:1:1 file: must be object", "access/v.yaml:2:5 /groups/0: must be object"]);
});

it("says that YAML merge keys are not read, where a user entry uses one", async () => {
  const errors = await schemaErrorsOf({
    "gatehouse.yaml": "providers:\n  directory:\n    type: local\n",
    "users/u.yaml": [
      "users:",
      "  - id: zed",
      "    name: Zed",
      "    department: &d ENG",
      "  - <<: { department: ENG }",
      "    id: yan",
      "    name: Yan",
      "    title: *d",
      "",
    ].join("\n"),
  });
  expect(errors).toEqual([
    'access/users/u.yaml:5:5 /users/1: unknown key "<<": YAML merge keys (<<: *anchor) are not part of YAML 1.2, which gatehouse reads; write the keys out (an alias of a whole value, key: *anchor, works)',
  ]);
});

it("refuses a baseDn or bindDn that is no DN at the provider, before any connection", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "gh-provider-dn-"));
  dirs.push(cwd);
  await mkdir(join(cwd, "access"));
  const config = (baseDn: string, bindDn = "cn=admin,dc=example,dc=com"): string =>
    [
      "providers:",
      "  ldap:",
      "    type: ldap",
      "    url: ldap://127.0.0.1:389",
      `    bindDn: ${bindDn}`,
      "    passwordEnv: GATEHOUSE_LDAP_PASSWORD",
      `    baseDn: ${baseDn}`,
      "    people: { objectClasses: [inetOrgPerson, posixAccount], gidNumber: 100, loginShell: /bin/sh }",
      "",
    ].join("\n");
  const messages = async (): Promise<string[]> => {
    const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
    return tree.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.message}`);
  };
  await writeFile(join(cwd, "access", "gatehouse.yaml"), config("dc=example,dc=com"));
  expect(await messages()).toEqual([]);
  // validate: the schema's DN shape, at the value.
  await writeFile(join(cwd, "access", "gatehouse.yaml"), config("trial.example"));
  expect(await messages()).toEqual([
    expect.stringMatching(/^access\/gatehouse\.yaml:7:13 \/providers\/ldap\/baseDn: must match the pattern /),
  ]);
  await writeFile(join(cwd, "access", "gatehouse.yaml"), config("dc=example,dc=com", "admin"));
  expect(await messages()).toEqual([
    expect.stringMatching(/^access\/gatehouse\.yaml:5:13 \/providers\/ldap\/bindDn: must match the pattern /),
  ]);
  // plan: the provider's own check (a model built otherwise), at the provider's line, before connecting.
  const settings = { url: "ldap://127.0.0.1:1", bindDn: "cn=x,dc=example,dc=com", passwordEnv: "X" };
  expect(() =>
    createLdapProvider(
      {
        name: "ldap",
        type: "ldap",
        mode: "authoritative",
        nesting: false,
        settings: { ...settings, baseDn: "trial.example" },
        source: { file: "access/gatehouse.yaml", line: 2, column: 3 },
      },
      { env: { X: "secret" }, cwd, now: () => new Date() },
    ),
  ).toThrow(
    'access/gatehouse.yaml:2:3 provider "ldap": setting "baseDn" must be a DN such as "dc=example,dc=com", got "trial.example"',
  );
});

it("refuses a user name or password in a URL of gatehouse.yaml, and never prints the password", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "gh-provider-url-"));
  dirs.push(cwd);
  await mkdir(join(cwd, "access"));
  await writeFile(
    join(cwd, "access", "gatehouse.yaml"),
    [
      "providers:",
      "  app: { type: scim, baseUrl: 'https://admin:hunter2@scim.example.com/v2', tokenEnv: APP_TOKEN }",
      "  gh: { type: github, org: acme, baseUrl: 'https://x:hunter2@ghe.example.com/api/v3' }",
      "  ldap:",
      "    type: ldap",
      "    url: ldaps://cn=admin:hunter2@ldap.example.com",
      "    bindDn: cn=admin,dc=example,dc=com",
      "    passwordEnv: GATEHOUSE_LDAP_PASSWORD",
      "    baseDn: dc=example,dc=com",
      "policy:",
      "  offboarding:",
      "    webhooks:",
      "      - { name: ticket, url: 'https://bot:hunter2@hooks.example.com/offboard' }",
      "      - { name: chat, url: 'https://hooks.example.com/offboard?to=a@b' }",
      "",
    ].join("\n"),
  );
  const tree = await validateAccessTree("access", { cwd, now: new Date("2026-11-25T00:00:00Z") });
  const errors = tree.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${String(d.line)}:${String(d.column)} ${d.message}`);
  expect(errors).toEqual([
    '2:3 provider "app" (scim): "baseUrl" must not hold a user name or password (https://***@scim.example.com/v2): gatehouse sends the bearer token from the environment variable tokenEnv names',
    '3:3 provider "gh": baseUrl must not hold a user name or password (https://***@ghe.example.com/api/v3): gatehouse signs in with the token in GITHUB_TOKEN (tokenEnv)',
    '4:3 provider "ldap": setting "url" must not hold a user name or password (ldaps://***@ldap.example.com): give the bind DN as bindDn and its password in passwordEnv',
    "13:30 /policy/offboarding/webhooks/0/url: must be an http(s) URL without a user name or password (the signing secret goes in secretEnv)",
  ]);
  expect(errors.join("\n")).not.toContain("hunter2");
});
