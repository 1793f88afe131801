import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import { accountNameFor } from "../../desired/desired-state.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/**
 * Two people must never resolve to the same account in a connected system (an explicit `accounts`
 * entry, an e-mail under `accountName: email`, or one person's id equal to another's mapping):
 * the plan would apply one person's status and groups to the other's account.
 */
export const accountCollisions: Rule = {
  name: "account-collisions",
  codes: ["GH227"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const provider of model.config.providers) {
      const owner = new Map<string, string>(); // account → first user id
      for (const user of model.users.values()) {
        const account = accountNameFor(user, provider);
        if (account === undefined) continue;
        const key = account.toLowerCase();
        const first = owner.get(key);
        if (first === undefined) {
          owner.set(key, user.id);
          continue;
        }
        const other = model.users.get(first);
        out.push(
          report(
            "error",
            "GH227",
            `users "${first}" and "${user.id}" both map to account "${account}" in provider "${provider.name}"` +
              (other ? ` (first at ${formatLocation(other.source)})` : "") +
              `; give one of them its own accounts.${provider.name} entry, or merge the two records.`,
            user.source,
          ),
        );
      }
    }
    return out;
  },
};
