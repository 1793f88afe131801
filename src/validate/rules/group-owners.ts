import type { AccessModel, Group, User } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { report } from "./report.ts";

/**
 * The group's owners that are defined users, in order, when every one of them is terminated; else
 * undefined (an active owner, or no known owner at all). Unknown owners are reported by
 * unknown-references; here only real people count.
 */
function terminatedOwners(model: AccessModel, group: Group, now: Date): User[] | undefined {
  let known: User[] | undefined;
  for (const id of group.owners) {
    const user = model.users.get(id);
    if (user === undefined) continue;
    if (!isTerminated(user, now)) return undefined;
    (known ??= []).push(user);
  }
  return known;
}

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
      const known = terminatedOwners(model, group, now);
      if (known === undefined) continue;
      const names = known.map((u) => u.id).join(", ");
      // An owner whose end date has just passed makes no edit: were that an error, the tree would turn
      // invalid overnight and every reconcile would stop, their own offboarding included. A warning then;
      // an error where the files say terminated outright (the edit can name a new owner too).
      const isByDate = known.some((u) => u.status !== "terminated");
      out.push(
        report(
          isByDate ? "warning" : "error",
          "GH218",
          `group "${group.name}" has no active owner: ${names} ${known.length === 1 ? "is" : "are"} terminated` +
            (isByDate ? " (an end date has passed; reconciling goes on)" : "") +
            ". Add an active owner.",
          group.ownerSources?.[0] ?? group.source,
        ),
      );
    }
    return out;
  },
};
