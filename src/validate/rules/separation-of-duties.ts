import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { computeEffectiveMemberships, describeProvenance, provenanceOf } from "../../desired/effective.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { report } from "./report.ts";

/** Nobody may be an effective member (roles, nesting, grants) of two groups in one separation-of-duties set. */
export const separationOfDuties: Rule = {
  name: "separation-of-duties",
  codes: ["GH219"],
  check({ model, now }) {
    const sets = model.config.policy.separationOfDuties;
    if (sets.length === 0) return [];
    const effective = computeEffectiveMemberships(model, now);
    const out: Diagnostic[] = [];
    for (const set of sets) {
      for (const user of model.users.values()) {
        if (isTerminated(user, now)) continue;
        const inGroups = set.filter((group) => effective.get(group)?.members.has(user.id) === true);
        if (inGroups.length < 2) continue;
        const held = inGroups.flatMap((group) => {
          const provenance = provenanceOf(model, group, [user.id], now).get(user.id) ?? [];
          return provenance.length > 0 ? [{ group, provenance }] : [];
        });
        if (held.length < 2) continue;
        const how = held
          .map(({ group, provenance }) => `${group}: ${provenance.map(describeProvenance).join("; ")}`)
          .join(" | ");
        const last = held[held.length - 1];
        const related: SourceLocation[] = held.flatMap(({ provenance }) => provenance.map((p) => p.source));
        out.push(
          report(
            "error",
            "GH219",
            `separation of duties: user "${user.id}" is in ${held.map((h) => h.group).join(" and ")} ` +
              `(${how}). Remove one of these memberships.`,
            last?.provenance[0]?.source ?? user.source,
            related,
          ),
        );
      }
    }
    return out;
  },
};
