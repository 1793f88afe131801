import { describe, expect, it } from "vitest";
import { AddressSet, splitAt } from "../../src/audit/address-set.ts";
import { groupAddress, membershipAddress, userAddress } from "../../src/plan/addresses.ts";

/** A small deterministic random source, so that a failure names its round. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
}

const GROUPS = ["team-a", "team-a-b", "app.x", "ops"];
const PEOPLE = ["ann", "bob", "zoë", "group:team-a", ""];

function randomAddress(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const provider = pick(["ldap", "gh"]);
  const roll = next();
  if (roll < 0.15) return userAddress(provider, pick(PEOPLE));
  if (roll < 0.25) return groupAddress(provider, pick(GROUPS));
  const member = pick(PEOPLE);
  return member.startsWith("group:")
    ? membershipAddress(provider, pick(GROUPS), member.slice("group:".length), "group")
    : membershipAddress(provider, pick(GROUPS), member, "user");
}

describe("AddressSet", () => {
  it("answers as a set of the same strings through adds, deletes, group and member moves, and survives JSON", () => {
    for (let round = 1; round <= 50; round++) {
      const next = random(round);
      let set = new AddressSet();
      const reference = new Set<string>();
      for (let step = 0; step < 200; step++) {
        // Now and then the set goes through JSON: what follows works on groups not read back yet.
        if (step % 40 === 39) set = AddressSet.fromJSON(JSON.parse(JSON.stringify(set))) ?? new AddressSet();
        const roll = next();
        const address = randomAddress(next);
        if (roll < 0.55) {
          expect(set.add(address)).toBe(!reference.has(address));
          reference.add(address);
        } else if (roll < 0.005 + 0.55) {
          set.clear();
          reference.clear();
        } else if (roll < 0.85) {
          expect(set.delete(address)).toBe(reference.delete(address));
        } else if (roll < 0.92) {
          // An account renamed in place: its memberships in that provider follow, as the fold moves them.
          const provider = next() < 0.5 ? "ldap" : "gh";
          const users = PEOPLE.filter((p) => !p.startsWith("group:"));
          const from = users[Math.floor(next() * users.length)] ?? "";
          const to = users[Math.floor(next() * users.length)] ?? "";
          const start = `${provider}:membership/`;
          set.moveMember(start, from, to);
          for (const a of [...reference]) {
            const at = splitAt(a);
            if (at < 0 || !a.startsWith(start) || a.slice(at) !== from) continue;
            reference.delete(a);
            reference.add(a.slice(0, at) + to);
          }
        } else {
          // A group renamed (or deleted): its memberships follow (or go), as the journal fold moves them.
          const provider = next() < 0.5 ? "ldap" : "gh";
          const from = membershipAddress(
            provider,
            GROUPS[Math.floor(next() * GROUPS.length)] ?? "",
            "",
            "user",
          );
          const to =
            next() < 0.3
              ? undefined
              : membershipAddress(provider, GROUPS[Math.floor(next() * GROUPS.length)] ?? "", "", "user");
          set.moveGroup(from, to);
          for (const a of [...reference]) {
            if (!a.startsWith(from) || splitAt(a) !== from.length) continue;
            reference.delete(a);
            if (to !== undefined) reference.add(to + a.slice(from.length));
          }
        }
        expect(set.has(address)).toBe(reference.has(address));
        expect(set.size).toBe(reference.size);
      }
      expect([...set].sort()).toEqual([...reference].sort());
      const back = AddressSet.fromJSON(JSON.parse(JSON.stringify(set)));
      expect(back && [...back].sort()).toEqual([...reference].sort());
      expect(back?.size).toBe(reference.size);
    }
  });

  it("reads back from JSON only what toJSON could have written", () => {
    const json = { other: [], names: ["ann", "bob"], groups: [["ldap:membership/ops/", [0, 1]]] };
    expect([...(AddressSet.fromJSON(json) ?? [])]).toEqual([
      "ldap:membership/ops/ann",
      "ldap:membership/ops/bob",
    ]);
    // A name twice in one group, a position past the names, a group twice, a prefix that is none.
    for (const groups of [
      [["ldap:membership/ops/", [0, 1, 0]]],
      [["ldap:membership/ops/", [2]]],
      [
        ["ldap:membership/ops/", [0]],
        ["ldap:membership/ops/", [1]],
      ],
      [["ldap:user/", [0]]],
    ])
      expect(AddressSet.fromJSON({ ...json, groups })).toBeUndefined();
    // A name listed twice would make one address count twice.
    for (const groups of [[["ldap:membership/ops/", [0, 2]]], []])
      expect(AddressSet.fromJSON({ ...json, names: ["ann", "bob", "ann"], groups })).toBeUndefined();
    // The same name in two groups is fine.
    const two = AddressSet.fromJSON({
      ...json,
      groups: [
        ["ldap:membership/ops/", [0]],
        ["ldap:membership/dev/", [0, 1]],
      ],
    });
    expect(two?.size).toBe(3);
    expect(two?.has("ldap:membership/dev/bob")).toBe(true);
    expect(two?.has("ldap:membership/ops/bob")).toBe(false);
  });

  it("lists each member name once in its JSON", () => {
    const set = new AddressSet();
    for (const group of GROUPS)
      for (const person of ["ann", "bob"]) set.add(membershipAddress("ldap", group, person, "user"));
    set.add(userAddress("ldap", "ann"));
    expect(set.toJSON()).toEqual({
      other: ["ldap:user/ann"],
      names: ["ann", "bob"],
      groups: GROUPS.map((g) => [`ldap:membership/${g}/`, [0, 1]]),
    });
  });

  it("refuses JSON that is not one it wrote", () => {
    for (const bad of [
      null,
      [],
      { other: [], names: ["ann"] },
      { other: [1], names: [], groups: [] },
      { other: [], names: ["ann"], groups: [["ldap:membership/g/", [3]]] },
      { other: [], names: ["ann"], groups: [["ldap:user/", [0]]] },
      { other: [], names: ["ann"], groups: [["ldap:membership/g/", "0"]] },
    ])
      expect(AddressSet.fromJSON(bad), JSON.stringify(bad)).toBeUndefined();
    expect(AddressSet.fromJSON({ other: [], names: [], groups: [] })?.size).toBe(0);
  });
});
