import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { managerChain } from "../../../src/validate/rules/manager-chain.ts";

describe("manager-chain", () => {
  it("reports a manager cycle once, and a terminated manager of an active user", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": `users:
  - id: carol
    name: Carol
    manager: bob
  - id: bob
    name: Bob
    manager: carol
  - id: dave
    name: Dave
    manager: carol
  - id: erin
    name: Erin
    manager: gone
  - id: gone
    name: Gone
    status: terminated
  - id: frank
    name: Frank
    status: terminated
    manager: gone
`,
    });
    expect(briefs(result.diagnostics, managerChain.codes)).toEqual([
      "access/users/people.yaml:7:14 error GH223",
      "access/users/people.yaml:13:14 warning GH224",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      "managers form a cycle: bob → carol → bob. Fix one of these manager fields.",
    );
  });

  it("reports each of two cycles once, also one reached through a chain, and one person managing themselves", async () => {
    const person = (id: string, manager: string): string =>
      `  - id: ${id}\n    name: ${id}\n    manager: ${manager}\n`;
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n" +
        person("ann", "cy") + // a chain into the cycle bo → cy → dee → bo
        person("dee", "bo") +
        person("cy", "dee") +
        person("bo", "cy") +
        person("eve", "nobody") + // an unknown manager ends the walk: unknown-references reports it
        person("fay", "fay"),
    });
    expect(briefs(result.diagnostics, managerChain.codes)).toEqual([
      "access/users/people.yaml:13:14 error GH223",
      "access/users/people.yaml:19:14 error GH223",
    ]);
    expect(result.diagnostics.filter((d) => d.code === "GH223").map((d) => d.message)).toEqual([
      "managers form a cycle: bo → cy → dee → bo. Fix one of these manager fields.",
      "managers form a cycle: fay → fay. Fix one of these manager fields.",
    ]);
  });

  it("accepts a manager tree of active people", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml":
        "users:\n  - id: ceo\n    name: C\n  - id: vp\n    name: V\n    manager: ceo\n  - id: ic\n    name: I\n    manager: vp\n",
    });
    expect(result.diagnostics).toEqual([]);
  });
});
