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
    for (const role of model.roles.values()) {
      if (people.some((u) => matchRole(role, u) !== undefined)) continue;
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
