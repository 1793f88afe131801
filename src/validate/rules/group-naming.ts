import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/** Group names follow policy.groupNaming; a pattern that is not a regex is reported at the policy. */
export const groupNaming: Rule = {
  name: "group-naming",
  codes: ["GH215", "GH216"],
  check({ model }) {
    const { policy } = model.config;
    const pattern = policy.groupNaming;
    if (pattern === undefined) return [];
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      const at = policy.locations?.get("/groupNaming") ??
        policy.source ?? { file: "(default)", line: 1, column: 1 };
      const why = error instanceof Error ? error.message : String(error);
      return [
        report(
          "error",
          "GH216",
          `policy.groupNaming is not a valid regular expression (${why}); fix the pattern.`,
          at,
        ),
      ];
    }
    const out: Diagnostic[] = [];
    for (const group of model.groups.values()) {
      if (!regex.test(group.name))
        out.push(
          report(
            "error",
            "GH215",
            `group name "${group.name}" does not match policy.groupNaming ${pattern}; rename the group.`,
            group.source,
          ),
        );
    }
    return out;
  },
};
