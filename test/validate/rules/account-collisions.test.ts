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
});
