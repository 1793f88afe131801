import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/** The same user or nested group twice in one group, or the same group twice in one role. */
export const duplicateEntries: Rule = {
  name: "duplicate-entries",
  codes: ["GH211", "GH212"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const group of model.groups.values()) {
      const seen = new Map<string, SourceLocation>();
      for (const entry of group.members ?? []) {
        const key = entry.kind === "user" ? `user:${entry.user}` : `group:${entry.group}`;
        const label = entry.kind === "user" ? `user "${entry.user}"` : `nested group "${entry.group}"`;
        const first = seen.get(key);
        if (first) {
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
        } else seen.set(key, entry.source);
      }
    }
    for (const role of model.roles.values()) {
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
    return out;
  },
};
