import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { report } from "./report.ts";

/** Every group needs an active owner to approve changes to it. */
export const groupOwners: Rule = {
  name: "group-owners",
  codes: ["GH217", "GH218"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    for (const group of model.groups.values()) {
      if (group.owners.length === 0) {
        out.push(
          report(
            "error",
            "GH217",
            `group "${group.name}" has no owners, so nobody can approve changes to it; add owners: [<user id>].`,
            group.source,
          ),
        );
        continue;
      }
      const known = group.owners.flatMap((id) => {
        const user = model.users.get(id);
        return user ? [user] : [];
      });
      // Unknown owners are reported by unknown-references; here only real people count.
      if (known.length === 0) continue;
      if (known.every((u) => isTerminated(u, now))) {
        const names = known.map((u) => u.id).join(", ");
        out.push(
          report(
            "error",
            "GH218",
            `group "${group.name}" has no active owner: ${names} ${known.length === 1 ? "is" : "are"} terminated. ` +
              "Add an active owner.",
            group.ownerSources?.[0] ?? group.source,
          ),
        );
      }
    }
    return out;
  },
};
