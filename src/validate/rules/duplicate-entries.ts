import type { AccessModel, Group, MemberEntry, Role } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { memberPositions } from "../../desired/user-set.ts";

/**
 * Whether a member list names a user twice or a nested group twice. A million entries pass through
 * here, and almost no group has a duplicate: when every entry is a plain, known user, a repeat is a
 * repeated position (sorted integers, no strings); otherwise one set lookup per entry.
 */
function hasDuplicateMember(model: AccessModel, group: Group, members: readonly MemberEntry[]): boolean {
  if (members.length < 2) return false;
  if (group.detailedMembers?.length === 0) {
    const positions = memberPositions(model, group);
    if (!positions.includes(-1)) {
      const sorted = positions.slice().sort();
      for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return true;
      return false;
    }
  }
  const users = new Set<string>();
  let groups: Set<string> | undefined; // few groups nest others
  for (const entry of members) {
    const seen = entry.kind === "user" ? users : (groups ??= new Set());
    const size = seen.size;
    seen.add(entry.kind === "user" ? entry.user : entry.group);
    if (seen.size === size) return true;
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
    for (const group of model.groups.values()) {
      const members = group.members;
      if (members !== undefined && hasDuplicateMember(model, group, members))
        duplicateMembers(group, members, out);
    }
    for (const role of model.roles.values()) duplicateRoleGroups(role, out);
    return out;
  },
};
