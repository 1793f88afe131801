import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { isTerminated } from "../../lifecycle/status.ts";
import { canonicalCycle, formatCycle, report } from "./report.ts";

/** Managers form a tree: no cycles, and an active person's manager is not terminated. */
export const managerChain: Rule = {
  name: "manager-chain",
  codes: ["GH223", "GH224"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    const reported = new Set<string>();
    const done = new Set<string>();
    for (const start of model.users.values()) {
      const chain: string[] = [];
      let id: string | undefined = start.id;
      while (id !== undefined && !done.has(id) && !chain.includes(id)) {
        chain.push(id);
        id = model.users.get(id)?.manager;
      }
      if (id !== undefined && chain.includes(id)) {
        const cycle = canonicalCycle(chain.slice(chain.indexOf(id)));
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
