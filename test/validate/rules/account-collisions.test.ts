import { describe, expect, it } from "vitest";
import { briefs, validateFiles } from "../../helpers/access-tree.ts";
import { accountCollisions } from "../../../src/validate/rules/account-collisions.ts";

const config = (accountName: "id" | "email"): string =>
  `providers:\n  directory: { type: local, path: .gatehouse/directory.json, accountName: ${accountName} }\n`;

describe("account-collisions", () => {
  it("reports a rehire's old record sharing the e-mail account, and an explicit mapping onto someone's id", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": config("email"),
      "users/people.yaml": `users:
  - id: alice
    name: Alice
    email: alice@example.com
  - id: alice.2019
    name: Alice (old record)
    email: Alice@Example.com
    status: terminated
    endDate: 2020-06-30
  - id: bob
    name: Bob
    email: bob@example.com
    accounts: { directory: carol@example.com }
  - id: carol
    name: Carol
    email: carol@example.com
`,
    });
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([
      "access/users/people.yaml:5:5 error GH227",
      "access/users/people.yaml:14:5 error GH227",
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH227")?.message).toContain(
      'users "alice" and "alice.2019" both map to account "Alice@Example.com" in provider "directory"',
    );
  });

  it("accepts distinct accounts", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": config("id"),
      "users/people.yaml": `users:
  - id: alice
    name: Alice
    accounts: { directory: alice-l }
  - id: bob
    name: Bob
`,
    });
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([]);
  });

  it("warns of an account Active Directory would refuse: a user logon name over 20 characters", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": `providers:
  ad:
    type: ldap
    flavour: activeDirectory
    url: ldaps://dc1.example.com:636
    bindDn: CN=svc,DC=example,DC=com
    passwordEnv: AD_PASSWORD
    baseDn: DC=example,DC=com
  directory: { type: local, path: .gatehouse/directory.json }
`,
      "users/people.yaml": `users:
  - id: frances.berners-lee12345
    name: Frances
  - id: tim.berners-lee.2020
    name: Tim (twenty characters)
  - id: margaret.hamilton.1969
    name: Margaret
    accounts: { ad: mhamilton }
  - id: grace.hopper.retired.1986
    name: Grace
    status: terminated
    endDate: 1986-08-14
`,
    });
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([
      "access/users/people.yaml:2:5 warning GH230",
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH230")?.message).toBe(
      'account "frances.berners-lee12345" of user "frances.berners-lee12345" has 24 characters; Active Directory (provider "ad") refuses a user logon name (sAMAccountName) over 20: give the user a shorter accounts.ad entry.',
    );
  });

  it("refuses an accounts.github entry that is no GitHub login, and warns of a leaver's (trial L5)", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": `providers:\n  github: { type: github, org: acme, tokenEnv: GH_TOKEN }\n`,
      "users/people.yaml": `users:
  - id: ann
    name: Ann
    accounts: { github: "not a login!" }
  - id: bob
    name: Bob
    status: terminated
    endDate: 2026-01-31
    accounts: { github: bob_old }
  - id: cy
    name: Cy
    accounts: { github: cy-dev }
`,
    });
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([
      "access/users/people.yaml:2:5 error GH242",
      "access/users/people.yaml:5:5 warning GH242", // a leaver's: nothing is granted to it
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH242")?.message).toContain(
      'account "not a login!" of user "ann" is not a GitHub login (provider "github")',
    );
  });

  it("refuses a user with no email under accountName: email, who would otherwise be offboarded silently", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": config("email"),
      "users/people.yaml": `users:
  - id: alice
    name: Alice
    email: alice@example.com
  - id: bob
    name: Bob
  - id: carol
    name: Carol
    accounts: { directory: carol@example.com }
  - id: dan
    name: Dan
    status: terminated
`,
      "groups/team.yaml": `groups:
  - name: team
    owners: [alice]
    members: [alice, bob]
`,
    });
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([
      "access/users/people.yaml:5:5 error GH232",
      "access/users/people.yaml:10:5 warning GH232",
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH232")?.message).toContain(
      'user "bob" has no email, and provider "directory" names accounts by e-mail (accountName: email)',
    );
  });

  it("says an account of a person with no email is disabled only where the provider is authoritative", async () => {
    const files = (mode: string) => ({
      "gatehouse.yaml": `providers:\n  directory: { type: local, path: .gatehouse/directory.json, accountName: email, mode: ${mode} }\n`,
      "users/people.yaml":
        "users:\n  - { id: alice, name: Alice, email: alice@example.com }\n  - { id: bob, name: Bob }\n",
      "groups/team.yaml": "groups:\n  - name: team\n    owners: [alice]\n    members: [alice, bob]\n",
    });
    const messageFor = async (mode: string) =>
      (await validateFiles(files(mode))).diagnostics.find((d) => d.code === "GH232")?.message;
    const start =
      'user "bob" has no email, and provider "directory" names accounts by e-mail (accountName: email): they would get no account and none of their groups there, and ';
    expect(await messageFor("authoritative")).toBe(
      `${start}an account they have would be disabled (the provider is authoritative); add the email, or an accounts.directory entry.`,
    );
    expect(await messageFor("additive")).toBe(
      `${start}an account they have would not be known as theirs (the provider is additive: it is left as it is); add the email, or an accounts.directory entry.`,
    );
  });

  it("under users: members, a member of the provider's groups with no email is an error too", async () => {
    const result = await validateFiles({
      "gatehouse.yaml":
        "providers:\n  directory: { type: local, path: .gatehouse/directory.json, accountName: email, users: members }\n",
      "users/people.yaml": `users:
  - id: alice
    name: Alice
    email: alice@example.com
  - id: bob
    name: Bob
  - id: erin
    name: Erin
`,
      "groups/team.yaml": `groups:
  - name: team
    owners: [alice]
    members: [alice, bob]
`,
    });
    // bob holds team (he would silently lose it); erin holds nothing there and needs no account.
    expect(briefs(result.diagnostics, accountCollisions.codes)).toEqual([
      "access/users/people.yaml:5:5 error GH232",
      "access/users/people.yaml:7:5 warning GH232",
    ]);
  });
});
