import type { AccessModel, User } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { canonicalCycle, formatCycle, report } from "./report.ts";

/**
 * Every cycle of managers, once each, reported at the manager field of its smallest id. Each person
 * is walked once: a walk stops at anyone an earlier walk has already passed. People are followed as
 * the model's objects (the users map is keyed by id), so the walk does one id lookup per step; an
 * unknown manager id ends a walk and is left to unknown-references.
 */
function managerCycles(model: AccessModel, out: Diagnostic[]): void {
  const reported = new Set<string>();
  const done = new Set<User>();
  const chain: User[] = [];
  for (const start of model.users.values()) {
    if (done.has(start)) continue;
    chain.length = 0;
    let user: User | undefined = start;
    while (user !== undefined && !done.has(user) && !chain.includes(user)) {
      chain.push(user);
      user = user.manager === undefined ? undefined : model.users.get(user.manager);
    }
    if (user !== undefined && chain.includes(user)) {
      const cycle = canonicalCycle(chain.slice(chain.indexOf(user)).map((u) => u.id));
      const key = cycle.join("\0");
      const first = model.users.get(cycle[0] ?? "");
      if (!reported.has(key) && first) {
        reported.add(key);
        out.push(
          report(
            "error",
            "GH223",
            `managers form a cycle: ${formatCycle(cycle)}. Fix one of these manager fields.`,
            first.managerSource ?? first.source,
          ),
        );
      }
    }
    for (const c of chain) done.add(c);
  }
}

/** Managers form a tree: no cycles, and an active person's manager is not terminated. */
export const managerChain: Rule = {
  name: "manager-chain",
  codes: ["GH223", "GH224"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    managerCycles(model, out);
    for (const user of model.users.values()) {
      if (user.manager === undefined || isTerminated(user, now)) continue;
      const manager = model.users.get(user.manager);
      if (manager && isTerminated(manager, now))
        out.push(
          report(
            "warning",
            "GH224",
            `manager "${manager.id}" of "${user.id}" is terminated; set a current manager.`,
            user.managerSource ?? user.source,
          ),
        );
    }
    return out;
  },
};
