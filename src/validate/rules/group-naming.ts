import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { groupIsInProvider } from "../../desired/desired-state.ts";
import { slugForTeamName } from "../../providers/github/map.ts";
import { messageOf } from "../../errors.ts";

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
      const why = messageOf(error);
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

/**
 * A group that goes to a GitHub provider is known there by its team's slug, which GitHub makes from the
 * name ("team.ops" becomes "team-ops"). A name that is not its own slug would never match its team: every
 * plan would create it again and, in authoritative mode, delete the team made the run before.
 */
export const githubTeamNames: Rule = {
  name: "github-team-names",
  codes: ["GH231"],
  check({ model }) {
    const github = model.config.providers.filter((p) => p.type === "github");
    if (github.length === 0) return [];
    const out: Diagnostic[] = [];
    for (const group of model.groups.values()) {
      const slug = slugForTeamName(group.name);
      if (slug === group.name) continue;
      const provider = github.find((p) => groupIsInProvider(group, p));
      if (provider === undefined) continue;
      out.push(
        report(
          "error",
          "GH231",
          `group "${group.name}" goes to GitHub provider ${provider.name}, where GitHub would name its team ` +
            `"${slug}" (its slug), and gatehouse knows teams by slug: the group could never match its team. ` +
            `Rename the group${slug === "" ? "" : ` to "${slug}"`} (letters, digits, "-" and "_"), or keep it ` +
            `out of that provider with providers:.`,
          group.source,
        ),
      );
    }
    return out;
  },
};
