import { describe, expect, it } from "vitest";
import { planBatches } from "../../src/apply/batches.ts";
import type { Change } from "../../src/plan/types.ts";

function create(account: string, manager?: string): Change {
  return {
    id: `d:user/${account}`,
    provider: "d",
    kind: "user",
    action: "create",
    account,
    after: manager === undefined ? { name: account } : { name: account, manager },
    reason: "added-in-config",
    risk: "broadens",
  };
}

const accounts = (phases: Change[][][]): string[][] =>
  phases.map((phase) => phase.flat().map((c) => (c.kind === "user" ? c.account : c.id)));

describe("planBatches", () => {
  it("writes a manager before the people who report to them, when both are created in one run", () => {
    const phases = planBatches(
      [create("bob", "ada"), create("ada", "nora"), create("nora"), create("zed", "outsider")],
      100,
    );
    expect(accounts(phases)).toEqual([["nora", "zed"], ["ada"], ["bob"]]);
  });

  it("keeps a manager cycle in one wave instead of waiting forever", () => {
    const phases = planBatches([create("a", "b"), create("b", "a"), create("c")], 100);
    expect(accounts(phases).flat().sort()).toEqual(["a", "b", "c"]);
    expect(phases.length).toBeLessThanOrEqual(3);
  });
});

describe("planBatches for a provider that takes a whole phase per write", () => {
  it("puts each phase (and each manager wave) in one write", () => {
    const member = (group: string, account: string): Change => ({
      id: `d:membership/${group}/${account}`,
      provider: "d",
      kind: "membership",
      action: "add",
      group,
      member: account,
      memberKind: "user",
      reason: "added-in-config",
      risk: "broadens",
    });
    const phases = planBatches(
      [create("bob", "ada"), create("ada"), create("cy"), member("g1", "ada"), member("g2", "bob")],
      1,
      true,
    );
    expect(phases.map((phase) => phase.map((batch) => batch.length))).toEqual([[2], [1], [2]]);
  });
});

describe("planBatches with member moves (a rename in place whose member values do not follow)", () => {
  const member = (action: "add" | "remove", account: string, move: object = {}): Change => ({
    id: `d:membership/g/${account}`,
    provider: "d",
    kind: "membership",
    action,
    group: "g",
    member: account,
    memberKind: "user",
    reason: "added-in-config",
    risk: "neutral",
    ...move,
  });
  // ann is renamed to zed: between the move's two halves in address order, bob is added.
  const changes = [
    member("remove", "ann", { renamedTo: "zed" }),
    member("add", "bob"),
    member("add", "zed", { renamedFrom: "ann" }),
  ];
  const writes = (max: number): string[][] =>
    planBatches(changes, max)
      .flat()
      .map((batch) => batch.map((c) => (c.kind === "membership" ? c.member : "")));

  it("puts the add and the removal of a move in the same write when the limit would split them", () => {
    expect(writes(2)).toEqual([["ann", "zed"], ["bob"]]);
  });

  it("keeps the two together in one write even with maxMembersPerWrite: 1", () => {
    expect(writes(1)).toEqual([["ann", "zed"], ["bob"]]);
  });
});
