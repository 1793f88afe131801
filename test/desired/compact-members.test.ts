import { describe, expect, it } from "vitest";
import {
  computeEffectiveMemberships,
  describeProvenance,
  provenanceAt,
  provenanceOf,
} from "../../src/desired/effective.ts";
import { computeDesiredState } from "../../src/desired/desired-state.ts";
import { unionPositions, userIndexOf } from "../../src/desired/user-set.ts";
import { at, entry, group, model, NOW, providerConfig, role, user } from "../builders.ts";

const DAY = 86_400_000;

describe("unionPositions", () => {
  it("merges, sorts and drops repeats", () => {
    expect([...unionPositions([[5, 1, 5], new Int32Array([2, 3]), [], [3, 9]])]).toEqual([1, 2, 3, 5, 9]);
  });
  it("returns an already sorted, unique list as is and an empty list for nothing", () => {
    const only = new Int32Array([1, 4, 7]);
    expect(unionPositions([only, []])).toBe(only);
    expect(unionPositions([new Int32Array([3, 2])])).toEqual(new Int32Array([2, 3]));
    expect(unionPositions([]).length).toBe(0);
  });
  it("gives the sorted distinct positions of long lists (sorted by radix) and of lists holding a negative", () => {
    // Deterministic scattered positions below 100k, many repeated across the lists.
    const scattered = (count: number, step: number): number[] =>
      Array.from({ length: count }, (_, i) => (i * step) % 99_991);
    const lists = [scattered(30_000, 7_919), Int32Array.from(scattered(20_000, 104_729)), scattered(5, 3)];
    const expected = [...new Set(lists.flatMap((l) => [...l]))].sort((a, b) => a - b);
    expect([...unionPositions(lists)]).toEqual(expected);
    expect([...unionPositions([[4, -1, 2], Int32Array.from({ length: 600 }, (_, i) => 600 - i)])]).toEqual([
      -1,
      ...Array.from({ length: 600 }, (_, i) => i + 1),
    ]);
  });
});

/** Nesting, a role baseline, an expired grant and a user listed twice, in one small model. */
function sample() {
  return model({
    users: [
      user("ann", { department: "ENG" }),
      user("bob"),
      user("cid", { department: "ENG" }),
      user("dee", { status: "terminated" }),
      user("eve"),
    ],
    groups: [
      group("inner", ["bob", "ann"], { line: 1 }),
      group(
        "outer",
        ["cid", entry.group("inner", 11), "cid", "dee", entry.user("eve", 14, { until: at(-DAY) })],
        {
          line: 8,
        },
      ),
      group("loop-a", [entry.group("loop-b", 21)], { line: 20 }),
      group("loop-b", [entry.group("loop-a", 31), "bob"], { line: 30 }),
    ],
    roles: [role("engineers", { department: ["ENG"] }, ["outer"], 40)],
  });
}

describe("effective memberships", () => {
  it("hold users by position, with nesting, roles and repeats folded, expired grants aside", () => {
    const m = sample();
    const eff = computeEffectiveMemberships(m, NOW);
    expect([...(eff.get("outer")?.members ?? [])]).toEqual(["ann", "bob", "cid", "dee"]);
    expect([...(eff.get("outer")?.own ?? [])]).toEqual(["ann", "cid", "dee"]);
    expect(eff.get("outer")?.members.has("eve")).toBe(false);
    expect([...(eff.get("outer")?.expired.keys() ?? [])]).toEqual(["eve"]);
    expect(eff.get("outer")?.members.has("nobody")).toBe(false);
    // A cycle is cut, not followed forever.
    expect([...(eff.get("loop-a")?.members ?? [])]).toEqual(["bob"]);
    expect(userIndexOf(m).position.get("cid")).toBe(2);
  });

  it("explain every way in file order: lines (nested ones wrapped), then roles", () => {
    const m = sample();
    const ways = provenanceOf(m, "outer", ["ann", "cid", "eve", "nobody"], NOW);
    expect(ways.get("ann")?.map(describeProvenance)).toEqual([
      `via group inner (access/groups/groups.yaml:11) ← listed at access/groups/groups.yaml:5`,
      "role engineers (department=ENG) at access/roles/roles.yaml:40",
    ]);
    expect(ways.get("cid")?.map(describeProvenance)).toEqual([
      "listed at access/groups/groups.yaml:11",
      "listed at access/groups/groups.yaml:13",
      "role engineers (department=ENG) at access/roles/roles.yaml:40",
    ]);
    expect(ways.get("eve")).toEqual([]);
    expect(ways.get("nobody")).toEqual([]);
  });

  it("explain by position as by user id, a role's ways shared by everyone it gives the group", () => {
    const m = sample();
    const ids = ["cid", "ann", "bob", "eve"];
    const position = userIndexOf(m).position;
    const byPosition = provenanceAt(
      m,
      "outer",
      ids.map((id) => position.get(id) ?? -1),
      NOW,
    );
    const byId = provenanceOf(m, "outer", ids, NOW);
    expect(byPosition).toEqual(ids.map((id) => byId.get(id)));
    // ann and cid match the role by the same department: one object, one text.
    const annRole = byPosition[1]?.at(-1);
    expect(annRole?.kind).toBe("role");
    expect(byPosition[0]?.at(-1)).toBe(annRole);
    expect(provenanceAt(m, "outer", [], NOW)).toEqual([]);
    expect(provenanceAt(m, "no-such-group", [0], NOW)).toEqual([[]]);
  });
});

describe("desired members", () => {
  const m = sample();
  const desired = (nativeNesting: boolean) =>
    computeDesiredState(m, providerConfig({ nesting: nativeNesting }), computeEffectiveMemberships(m, NOW), {
      now: NOW,
      nativeNesting,
    });

  it("leave leavers out and compare with a live list in any order, repeats included", () => {
    const outer = desired(false).groups.get("outer");
    expect([...(outer?.members.accounts() ?? [])]).toEqual(["ann", "bob", "cid"]);
    expect(outer?.members.has("dee")).toBe(false);
    const diff = outer?.members.compare(["zed", "cid", "ann", "cid", "dee"]);
    expect(diff?.missing).toEqual(["bob"]);
    expect(diff?.extra).toEqual(["dee", "zed"]);
    expect(outer?.members.compare([])).toEqual({ missing: ["ann", "bob", "cid"], extra: [] });
  });

  it("diff: compare with the missing described in account order, as describe tells them", () => {
    for (const nesting of [false, true]) {
      const members = desired(nesting).groups.get("outer")?.members;
      for (const live of [[], ["zed", "cid", "dee"], ["ann", "bob", "cid"]]) {
        const diff = members?.diff(live);
        const compared = members?.compare(live);
        expect(diff?.extra).toEqual(compared?.extra);
        expect([...(diff?.missing.keys() ?? [])]).toEqual([...(compared?.missing ?? [])].sort());
        expect([...(diff?.missing ?? [])]).toEqual([
          ...(members?.describe([...(compared?.missing ?? [])].sort()) ?? []),
        ]);
      }
    }
    const all = desired(false).groups.get("outer")?.members.diff([]);
    expect(all?.missing.get("bob")?.provenance.map(describeProvenance)).toEqual([
      "via group inner (access/groups/groups.yaml:11) ← listed at access/groups/groups.yaml:4",
    ]);
  });

  it("with native nesting keep what comes only through a nested group in that group", () => {
    const outer = desired(true).groups.get("outer");
    expect([...(outer?.members.accounts() ?? [])]).toEqual(["ann", "cid"]);
    expect([...(outer?.groupMembers.keys() ?? [])]).toEqual(["inner"]);
    const ann = outer?.members.describe(["ann", "bob"]);
    expect([...(ann?.keys() ?? [])]).toEqual(["ann"]);
    expect(ann?.get("ann")?.provenance.map((p) => p.kind)).toEqual(["role"]);
  });
});

describe("two people sharing one account (GH227 refuses it; the desired state must still not lose it)", () => {
  const shared = { directory: "shared" };
  const m = model({
    users: [user("ann", { accounts: shared }), user("bob", { accounts: shared }), user("cid")],
    groups: [group("only-ann", ["ann"]), group("both", ["ann", "bob", "cid"])],
  });
  const groups = computeDesiredState(m, providerConfig(), computeEffectiveMemberships(m, NOW), {
    now: NOW,
    nativeNesting: false,
  }).groups;

  it("counts the account as desired whichever of them holds the group", () => {
    const onlyAnn = groups.get("only-ann")?.members;
    expect(onlyAnn?.has("shared")).toBe(true);
    expect(onlyAnn?.compare(["shared"])).toEqual({ missing: [], extra: [] });
    expect([...(onlyAnn?.describe(["shared"]).values() ?? [])].map((d) => d.userId)).toEqual(["ann"]);
  });

  it("lists the shared account once when both hold the group", () => {
    expect(groups.get("both")?.members.compare([])).toEqual({ missing: ["cid", "shared"], extra: [] });
    // Described as the first of them, as describe picks.
    const missing = groups.get("both")?.members.diff([]).missing;
    expect([...(missing?.entries() ?? [])].map(([account, d]) => [account, d.userId])).toEqual([
      ["cid", "cid"],
      ["shared", "ann"],
    ]);
    expect(groups.get("both")?.members.describe(["shared"]).get("shared")?.userId).toBe("ann");
  });
});

describe("compare and diff on random groups, small and large (sorted, or read off the account order)", () => {
  // A seeded generator, so that a failure can be run again.
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  // 400 people in an order unlike their account order (some map to an account of another name), a
  // few who left or have not started; groups from 1 to 400 members, so both ways of ordering run.
  const people = Array.from({ length: 400 }, (_, i) => {
    const id = `u${String((i * 7919) % 400).padStart(3, "0")}`;
    const status = i % 37 === 0 ? { status: "terminated" as const } : {};
    const accounts = i % 11 === 0 ? { accounts: { directory: `z-${id}` } } : {};
    return user(id, { ...status, ...accounts });
  });
  const sizes = [1, 3, 10, 24, 25, 26, 60, 200, 399, 400];
  const groups = sizes.map((size, g) =>
    group(
      `g${String(g)}`,
      Array.from({ length: size }, () => people[random(people.length)]?.id ?? ""),
    ),
  );
  const m = model({ users: people, groups });
  const state = computeDesiredState(m, providerConfig(), computeEffectiveMemberships(m, NOW), {
    now: NOW,
    nativeNesting: false,
  });
  const accountOf = (id: string): string | undefined => {
    const u = people.find((p) => p.id === id);
    if (u === undefined || u.status === "terminated") return undefined;
    return u.accounts["directory"] ?? u.id;
  };

  it("gives what sets of account names give", () => {
    for (const [g, spec] of groups.entries()) {
      const wanted = new Set(
        (spec.members ?? []).flatMap((e) => (e.kind === "user" ? [accountOf(e.user) ?? []].flat() : [])),
      );
      const members = state.groups.get(`g${String(g)}`)?.members;
      expect(members?.size).toBe(wanted.size);
      for (let round = 0; round < 5; round++) {
        // Some wanted accounts, some strangers, sorted (as readers give them).
        const live = [
          ...[...wanted].filter(() => random(3) > 0),
          ...Array.from({ length: random(4) }, () => `x${String(random(1000))}`),
        ].sort();
        const have = new Set(live);
        const compared = members?.compare(live);
        expect(compared?.missing).toEqual([...wanted].filter((a) => !have.has(a)).sort());
        expect(compared?.extra).toEqual(live.filter((a) => !wanted.has(a)));
        const diff = members?.diff(live);
        expect([...(diff?.missing.keys() ?? [])]).toEqual(compared?.missing);
        for (const [account, member] of diff?.missing ?? []) expect(accountOf(member.userId)).toBe(account);
      }
    }
  });
});
