import type { AccessModel, Group, MemberEntry, Role } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { memberPositions } from "../../desired/user-set.ts";

/**
 * Whether a member list names a user twice or a nested group twice. A million entries pass through
 * here, and almost no group has a duplicate: an entry of a known user is a position, marked in `marks`
 * with this group's `mark` (no strings, nothing allocated); the rest (nested groups, unknown users) are
 * few and go through a set of names.
 */
function hasDuplicateMember(
  model: AccessModel,
  group: Group,
  members: readonly MemberEntry[],
  marks: Int32Array,
  mark: number,
): boolean {
  if (members.length < 2) return false;
  const positions = memberPositions(model, group);
  let others: Set<string> | undefined;
  for (let i = 0; i < members.length; i++) {
    const p = positions[i] ?? -1;
    if (p >= 0) {
      if (marks[p] === mark) return true;
      marks[p] = mark;
      continue;
    }
    const entry = members[i];
    if (entry === undefined) continue;
    const key = entry.kind === "user" ? `user ${entry.user}` : `group ${entry.group}`;
    others ??= new Set();
    if (others.has(key)) return true;
    others.add(key);
  }
  return false;
}

/** The GH211 warnings of one group: every repeat of a user or nested group, pointing at the first. */
function duplicateMembers(group: Group, members: readonly MemberEntry[], out: Diagnostic[]): void {
  const firstUser = new Map<string, SourceLocation>();
  const firstGroup = new Map<string, SourceLocation>();
  for (const entry of members) {
    const seen = entry.kind === "user" ? firstUser : firstGroup;
    const name = entry.kind === "user" ? entry.user : entry.group;
    const first = seen.get(name);
    if (!first) {
      seen.set(name, entry.source);
      continue;
    }
    const label = entry.kind === "user" ? `user "${name}"` : `nested group "${name}"`;
    out.push(
      report(
        "warning",
        "GH211",
        `${label} is listed twice in group "${group.name}"; first at ${formatLocation(first)}. ` +
          "Keep one entry (the one with the right until, if any).",
        entry.source,
        [first],
      ),
    );
  }
}

/** The GH212 warnings of one role: every repeat of a group, pointing at the first. */
function duplicateRoleGroups(role: Role, out: Diagnostic[]): void {
  const seen = new Map<string, SourceLocation>();
  role.groups.forEach((name, i) => {
    const at = role.groupSources?.[i] ?? role.source;
    const first = seen.get(name);
    if (first) {
      out.push(
        report(
          "warning",
          "GH212",
          `role "${role.name}" lists group "${name}" twice; first at ${formatLocation(first)}. Remove one.`,
          at,
          [first],
        ),
      );
    } else seen.set(name, at);
  });
}

/** The same user or nested group twice in one group, or the same group twice in one role. */
export const duplicateEntries: Rule = {
  name: "duplicate-entries",
  codes: ["GH211", "GH212"],
  check({ model }) {
    const out: Diagnostic[] = [];
    // One mark per group: a position marked with this group's number was seen in this group.
    const marks = new Int32Array(model.users.size);
    let mark = 0;
    for (const group of model.groups.values()) {
      const members = group.members;
      mark++;
      if (members !== undefined && hasDuplicateMember(model, group, members, marks, mark))
        duplicateMembers(group, members, out);
    }
    for (const role of model.roles.values()) duplicateRoleGroups(role, out);
    return out;
  },
};
