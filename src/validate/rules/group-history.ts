import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/**
 * `formerNames` say which live group a group was: a name claimed by two groups, or a group's own name,
 * leaves the plan to guess which group a live one becomes (it would rename it to one and create the
 * other).
 */
export const formerNameClaims: Rule = {
  name: "former-names",
  codes: ["GH228"],
  check({ model }) {
    const out: Diagnostic[] = [];
    const claimedBy = new Map<string, string>(); // former name (any case) → first group listing it
    for (const group of model.groups.values()) {
      for (const former of group.formerNames ?? []) {
        const key = former.toLowerCase();
        if (key === group.name.toLowerCase()) {
          out.push(
            report(
              "error",
              "GH228",
              `group "${group.name}" lists its own name in formerNames; remove it.`,
              group.source,
            ),
          );
          continue;
        }
        const first = claimedBy.get(key);
        if (first === undefined) {
          claimedBy.set(key, group.name);
          continue;
        }
        if (first === group.name) continue;
        const other = model.groups.get(first);
        out.push(
          report(
            "error",
            "GH228",
            `groups "${first}" and "${group.name}" both list "${former}" in formerNames` +
              (other ? ` (first at ${formatLocation(other.source)})` : "") +
              `; a live group can become only one of them: keep the name in one.`,
            group.source,
          ),
        );
      }
    }
    return out;
  },
};

/**
 * A role that grants a group without a `members` key adds nobody: gatehouse does not manage that
 * group's members at all. Almost always a group that was meant to have `members: []`.
 */
export const rolesIntoUnmanagedGroups: Rule = {
  name: "role-groups",
  codes: ["GH229"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const role of model.roles.values()) {
      role.groups.forEach((name, i) => {
        const group = model.groups.get(name);
        if (group === undefined || group.members !== undefined) return;
        out.push(
          report(
            "warning",
            "GH229",
            `role "${role.name}" grants group "${name}", which has no members key, so gatehouse does not manage its members and the role adds nobody; give "${name}" members: [] (role members still count) to manage it.`,
            role.groupSources?.[i] ?? role.source,
            [group.source],
          ),
        );
      });
    }
    return out;
  },
};
