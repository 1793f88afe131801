import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { identityKeys } from "../../../src/validate/rules/identity-keys.ts";

const user = (id: string, extra = ""): string => `  - id: ${id}\n    name: ${id}\n${extra}`;

describe("identity-keys", () => {
  it("warns at the second user with an employeeNumber another user has", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        user("ann", '    employeeNumber: "E1"\n') +
        user("bo", '    employeeNumber: "E2"\n') +
        user("cy", '    employeeNumber: "E1"\n'),
    });
    expect(briefs(result.diagnostics, identityKeys.codes)).toEqual([
      "access/users/people.yaml:8:5 warning GH235",
    ]);
    expect(result.diagnostics[0]?.message).toContain('as "ann" does (access/users/people.yaml:2:5)');
  });

  it("warns where two people still here share an e-mail (one person entered twice), not where a leaver's is reused", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        user("erik", "    email: erik.lund@example.com\n") +
        user("erik.lund", "    email: Erik.Lund@example.com\n") +
        user("gus", "    email: gus@example.com\n    status: terminated\n") +
        user("gus-2", "    email: gus@example.com\n"),
    });
    expect(briefs(result.diagnostics, identityKeys.codes)).toEqual([
      "access/users/people.yaml:5:5 warning GH241",
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH241")?.message).toContain(
      'users "erik" (access/users/people.yaml:2:5) and "erik.lund" have the same email Erik.Lund@example.com',
    );
  });

  it("keeps e-mails and employee numbers apart: one person's number that is another's e-mail is no clash", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        user("ann", "    email: a1@example.com\n") +
        user("bo", '    employeeNumber: "a1@example.com"\n') +
        user("cy", '    email: cy@example.com\n    employeeNumber: "cy@example.com"\n'),
    });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(briefs(result.diagnostics, identityKeys.codes)).toEqual([]);
  });

  it("refuses a former id that is a user now, or that two users list, and accepts one listed once", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        user("ann", "    formerIds: [bo]\n") +
        user("bo") +
        user("cy", "    formerIds: [old-cy]\n") +
        user("dee", "    formerIds: [old-cy, old-dee]\n"),
    });
    expect(briefs(result.diagnostics, identityKeys.codes)).toEqual([
      "access/users/people.yaml:2:5 error GH236",
      "access/users/people.yaml:10:5 error GH236",
    ]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('"bo" is a user in the files (access/users/people.yaml:5:5)'),
      expect.stringContaining('users "cy" (access/users/people.yaml:7:5) and "dee" both list "old-cy"'),
    ]);
  });

  it("says nothing of distinct numbers and former ids", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        user("ann", '    employeeNumber: "E1"\n    formerIds: [annie]\n') +
        user("bo", '    employeeNumber: "E2"\n'),
    });
    expect(result.diagnostics).toEqual([]);
  });
});
