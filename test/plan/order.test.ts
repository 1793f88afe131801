import { describe, expect, it } from "vitest";
import { phaseOf, sortChanges, withoutRepeats } from "../../src/plan/order.ts";
import type { Change } from "../../src/plan/types.ts";
import { seededRandom as random } from "../helpers/random.ts";

const PROVIDERS = ["ldap", "app", "gh"];
const NAMES = ["a", "a-b", "a/b", "b", "team-x", "team-x-read", "Z", "é"];

/** A change of a random kind, with few distinct addresses, so that repeats and ties are common. */
function randomChange(next: () => number, serial: number): Change {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const provider = pick(PROVIDERS);
  const name = pick(NAMES);
  const base = { provider, reason: "drift" as const, risk: "neutral" as const, why: [`#${String(serial)}`] };
  switch (pick(["user", "group", "membership"] as const)) {
    case "user": {
      const action = pick(["create", "enable", "disable", "delete", "update"] as const);
      const id = `${provider}:user/${name}`;
      if (action === "create") return { ...base, id, kind: "user", action, account: name, after: { name } };
      if (action === "update")
        return { ...base, id, kind: "user", action, account: name, fields: [], after: { name } };
      return { ...base, id, kind: "user", action, account: name };
    }
    case "group": {
      const id = `${provider}:group/${name}`;
      return next() < 0.5
        ? { ...base, id, kind: "group", action: "create", group: name }
        : { ...base, id, kind: "group", action: "delete", group: name, memberCount: 0 };
    }
    case "membership": {
      const action = pick(["add", "remove"] as const);
      const group = pick(NAMES);
      return {
        ...base,
        id: `${provider}:membership/${group}/${name}`,
        kind: "membership",
        action,
        group,
        member: name,
        memberKind: "user",
      };
    }
  }
}

/** The order as it was defined first: repeats dropped as they come (first kept), then one stable sort. */
function reference(changes: readonly Change[], providers: readonly string[]): Change[] {
  const seen = new Set<string>();
  const kept = changes.filter((c) => {
    const key = `${c.id}|${c.action}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (c: Change): number => providers.indexOf(c.provider);
  return [...kept].sort(
    (a, b) => rank(a) - rank(b) || phaseOf(a) - phaseOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

describe("plan order", () => {
  it("sorts by provider, phase and address, and keeps the first of each address and action", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const changes = Array.from({ length: Math.floor(next() * 120) }, (_, i) => randomChange(next, i));
      const got = withoutRepeats(sortChanges(changes, PROVIDERS));
      // Same objects in the same order: which of two equal changes is kept shows in `why`.
      expect(got, `seed ${String(seed)}`).toEqual(reference(changes, PROVIDERS));
      expect(got.every((c, i) => c === reference(changes, PROVIDERS)[i])).toBe(true);
    }
  });

  it("drops a repeat that is not next to its first (another action on the same address between)", () => {
    const base = {
      provider: "ldap",
      id: "ldap:user/ann",
      kind: "user",
      account: "ann",
      risk: "neutral",
    } as const;
    const first: Change = { ...base, action: "enable", reason: "drift" };
    const update: Change = { ...base, action: "update", reason: "drift", fields: [], after: { name: "Ann" } };
    const again: Change = { ...base, action: "enable", reason: "added-in-config" };
    expect(withoutRepeats(sortChanges([first, update, again], ["ldap"]))).toEqual([first, update]);
  });
});
