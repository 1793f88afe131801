import type { AccessModel } from "../../model/access.ts";
import { userIndexOf } from "../../desired/user-set.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { canonicalCycle, formatCycle, report } from "./report.ts";

/**
 * Every cycle of managers, once each, reported at the manager field of its smallest id. Each person
 * is walked once: a walk stops at anyone an earlier walk has already passed. People are followed by
 * their position among the users (userIndexOf), so the walk does one id lookup per step and marks who
 * it passed in a byte per person (a set of 100k user objects cost half of this rule's time); an unknown
 * manager id ends a walk and is left to unknown-references.
 */
function managerCycles(model: AccessModel, out: Diagnostic[]): void {
  const { users, position } = userIndexOf(model);
  const reported = new Set<string>();
  const done = new Uint8Array(users.length);
  const chain: number[] = [];
  const managerOf = (p: number): number | undefined => {
    const manager = users[p]?.manager;
    return manager === undefined ? undefined : position.get(manager);
  };
  for (let start = 0; start < users.length; start++) {
    if (done[start] === 1) continue;
    chain.length = 0;
    let p: number | undefined = start;
    while (p !== undefined && done[p] !== 1 && !chain.includes(p)) {
      chain.push(p);
      p = managerOf(p);
    }
    if (p !== undefined && chain.includes(p)) {
      const cycle = canonicalCycle(chain.slice(chain.indexOf(p)).map((at) => users[at]?.id ?? ""));
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
    for (const at of chain) done[at] = 1;
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
