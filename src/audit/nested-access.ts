/**
 * Who held a group through the groups it nests (a member line `group: X`, kept as a group member where a
 * system nests natively: LDAP, GitHub teams, the local directory with `nesting: true`). The plan and
 * explain count them as holding the group (the guard rails count everyone a nested group takes out, explain
 * says "via group X"); a system that flattens nesting holds them as the group's own members, which the
 * journal already names. Where the system nests, the journal holds both halves as applied: the nested
 * group added to the group, and the people added to the nested group. So the people holding the group
 * through a nested group at an instant are the nested group's members then, as the journal has them, no
 * more and no less certain than an answer about that group itself.
 */
import type { HeldMembership } from "./access-at.ts";

/** A nested group on the way from the group to a member, with the add that nested it. */
export interface NestedLink {
  /** The nested group's name then. */
  readonly group: string;
  /** When the system confirmed it nested (in the group, or in the nested group before it), and that entry. */
  readonly since: string;
  readonly seq: number;
}

/**
 * A person holding the group through nested groups: their membership of the last one (as `members` lists a
 * member), and the way there. They held the group from the latest of those adds.
 */
export type HeldThrough = HeldMembership & {
  /** The nested groups, the one the group lists first, the one the person is a member of last. */
  readonly via: readonly NestedLink[];
};

/** A nested group reached from the group, and whether the journal knew it by then. */
export interface NestedGroup {
  readonly group: string;
  /** The nested groups before it on the way, the one the group lists first. */
  readonly within: readonly string[];
  /** Whether the journal knew it by then (a create, or any change to it): its members are known as applied. */
  readonly isKnown: boolean;
}

/**
 * The people holding `group` through the groups it nests, at any depth, from a system's groups as the
 * journal has them at an instant (group → member key → membership). A group already on the way is not
 * entered again (a nesting cycle). Sorted by member, then by the way.
 */
export function heldThrough(
  groups: ReadonlyMap<string, ReadonlyMap<string, HeldMembership>>,
  group: string,
  isKnown: (group: string) => boolean,
): { readonly through: HeldThrough[]; readonly nested: NestedGroup[] } {
  const through: HeldThrough[] = [];
  const nested: NestedGroup[] = [];
  const walk = (name: string, via: readonly NestedLink[]): void => {
    for (const m of groups.get(name)?.values() ?? []) {
      if (m.memberKind !== "group" || m.member === group || via.some((v) => v.group === m.member)) continue;
      const way = [...via, { group: m.member, since: m.since, seq: m.seq }];
      nested.push({ group: m.member, within: via.map((v) => v.group), isKnown: isKnown(m.member) });
      for (const person of groups.get(m.member)?.values() ?? [])
        if (person.memberKind === "user") through.push({ ...person, via: way });
      walk(m.member, way);
    }
  };
  walk(group, []);
  const wayOf = (t: HeldThrough): string => t.via.map((v) => v.group).join("\n");
  through.sort((a, b) =>
    a.member < b.member
      ? -1
      : a.member > b.member
        ? 1
        : wayOf(a) < wayOf(b)
          ? -1
          : wayOf(a) > wayOf(b)
            ? 1
            : 0,
  );
  return { through, nested };
}

/** When the person held the group through `via`: the latest of their add and the nestings'. */
export function heldThroughSince(t: HeldThrough): string {
  return [t.since, ...t.via.map((v) => v.since)].reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

/** What tells one way of holding the group apart from another: the adds on the way, the person's last. */
export function throughKey(t: HeldThrough): string {
  return [...t.via.map((v) => String(v.seq)), String(t.seq)].join(",");
}
