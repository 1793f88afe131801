import type { Role, User } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { matchRole } from "../../desired/effective.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { report } from "./report.ts";

/** A role whose `when` matches no current user is usually a misspelt department or title. */
export const unusedRoles: Rule = {
  name: "unused-roles",
  codes: ["GH226"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    const people = [...model.users.values()].filter((u) => !isTerminated(u, now));
    // A role with a department condition can only match people of those departments.
    const byDepartment = new Map<string, User[]>();
    for (const u of people) {
      if (u.department === undefined) continue;
      const list = byDepartment.get(u.department);
      if (list) list.push(u);
      else byDepartment.set(u.department, [u]);
    }
    const candidates = (role: Role): readonly User[] =>
      role.when.department === undefined
        ? people
        : role.when.department.flatMap((d) => byDepartment.get(d) ?? []);
    for (const role of model.roles.values()) {
      if (candidates(role).some((u) => matchRole(role, u) !== undefined)) continue;
      out.push(
        report(
          "warning",
          "GH226",
          `role "${role.name}" matches no current user; check the department, title or employmentType in when, or remove the role.`,
          role.source,
        ),
      );
    }
    return out;
  },
};
