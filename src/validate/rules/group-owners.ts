import type { AccessModel, Group, User } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { report } from "./report.ts";
import { resolveAdmin } from "../../pr/identities.ts";

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
      // A warning, never an error: an error would make the tree invalid and stop every reconcile, the
      // owners' own offboarding included (an end date passes with no edit; an HR sync that terminates a
      // sole owner cannot name a new one). Until an owner is added, the admins approve its changes (pr
      // check), so the group is not left without anyone to decide.
      out.push(
        report(
          "warning",
          "GH218",
          `group "${group.name}" has no active owner: ${names} ${known.length === 1 ? "is" : "are"} terminated` +
            ". Add an active owner; until then the admins approve changes to it.",
          group.ownerSources?.[0] ?? group.source,
        ),
      );
    }
    return out;
  },
};

/**
 * The admins approve changes to gatehouse itself and to groups whose owners have all left: those who have
 * left (GH243) no longer count in `pr check`. A warning, as GH218: an error would stop every reconcile,
 * their own offboarding included. Admins named by a GitHub login are matched to the person holding it;
 * unknown ones are unknown-references' (GH210).
 */
export const leftAdmins: Rule = {
  name: "left-admins",
  codes: ["GH243"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    adminsWhoLeft(model, now, out);
    return out;
  },
};

function adminsWhoLeft(model: AccessModel, now: Date, out: Diagnostic[]): void {
  const policy = model.config.policy;
  if (policy.admins.length === 0) return;
  const left = policy.admins.flatMap((entry, i) => {
    const user = model.users.get(entry) ?? personWithLogin(model, entry);
    return user !== undefined && isTerminated(user, now) ? [{ entry, i, user }] : [];
  });
  const none = left.length === policy.admins.length;
  for (const { entry, i, user } of left)
    out.push(
      report(
        "warning",
        "GH243",
        `policy.admins: ${entry}${entry === user.id ? "" : ` (${user.id})`} has left (terminated): pr check no longer counts their approval` +
          (none
            ? "; no admin is left, so nobody can approve changes to gatehouse.yaml, the schemas and the workflows. Name an admin who is here"
            : ". Remove them from policy.admins"),
        policy.locations?.get(`/admins/${String(i)}`) ??
          policy.source ?? { file: "(default)", line: 1, column: 1 },
      ),
    );
}

/** The person whose GitHub login (accounts.github, else their id) is `login`, as pr check resolves admins. */
function personWithLogin(model: AccessModel, login: string): User | undefined {
  const resolved = resolveAdmin(model, login);
  return resolved.userId === undefined ? undefined : model.users.get(resolved.userId);
}
