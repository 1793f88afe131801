import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { formatDuration } from "../../load/durations.ts";
import { report } from "./report.ts";
import { badUntilMessage } from "../schema.ts";
import { detailedEntries } from "../../model/member-entry.ts";
import { computeEffectiveMemberships } from "../../desired/effective.ts";
import { noteTimeBoundary } from "../../lifecycle/status.ts";

/** ISO 8601 / RFC 3339 instant with a time zone: 2026-12-24T18:00:00Z, 2026-12-24T19:00:00+01:00. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Time-bound grants: a readable `until`, within the policy's longest grant, and not already past. */
export const grantWindows: Rule = {
  name: "grant-windows",
  codes: ["GH220", "GH221", "GH222"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    const { policy } = model.config;
    for (const group of model.groups.values()) {
      const isOwnLimit = group.sensitivity === "privileged" && policy.privilegedMaxGrantMs !== undefined;
      const limit = isOwnLimit ? policy.privilegedMaxGrantMs : policy.maxGrantMs;
      // Quoted as the file writes it (24h), not rewritten (1d).
      const limitText = isOwnLimit ? policy.privilegedMaxGrantText : policy.maxGrantText;
      for (const [, entry] of detailedEntries(group)) {
        if (entry.kind !== "user" || entry.until === undefined) continue;
        const at = entry.untilSource ?? entry.source;
        const end = Date.parse(entry.until);
        // The answers below change when the grant ends, and when it comes within the policy's limit.
        noteTimeBoundary(now, end);
        if (limit !== undefined) noteTimeBoundary(now, end - limit);
        if (!INSTANT.test(entry.until) || !Number.isFinite(end)) {
          out.push(report("error", "GH220", badUntilMessage(entry.until), at));
        } else if (end <= now.getTime()) {
          out.push(
            report(
              "warning",
              "GH222",
              `grant of "${entry.user}" to "${group.name}" expired at ${entry.until}; ` +
                (computeEffectiveMemberships(model, now).get(group.name)?.members.has(entry.user) === true
                  ? "the membership stays through another line, a role or a nested group; delete the line (gatehouse prune does)."
                  : "the plan removes the membership where a system still holds it, and gatehouse prune deletes the line once none does."),
              at,
            ),
          );
        } else if (limit !== undefined && end - now.getTime() > limit) {
          const latest = new Date(now.getTime() + limit).toISOString();
          const which = group.sensitivity === "privileged" ? "privileged groups" : "groups";
          out.push(
            report(
              "error",
              "GH221",
              `grant of "${entry.user}" to "${group.name}" runs until ${entry.until}, longer than the ${limitText ?? formatDuration(limit)} ` +
                `policy allows for ${which}; set until to ${latest} or earlier.`,
              at,
            ),
          );
        }
      }
    }
    return out;
  },
};
