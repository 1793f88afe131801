import type { OffboardingWebhook } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/**
 * Each of policy.offboarding.webhooks is named once: the journal keys a delivery still owed by the
 * webhook's name and the person, so two of one name would share what each owes (a delivery one
 * rejected would be sent again to the other). Apply refuses them too; this says so before a merge.
 */
export const webhookNames: Rule = {
  name: "webhook-names",
  codes: ["GH237"],
  check({ model }) {
    const out: Diagnostic[] = [];
    const policy = model.config.policy;
    const first = new Map<string, OffboardingWebhook>();
    for (const hook of policy.offboardingWebhooks ?? []) {
      const earlier = first.get(hook.name);
      if (earlier === undefined) {
        first.set(hook.name, hook);
        continue;
      }
      const at = hook.source ?? policy.source ?? { file: "(default)", line: 1, column: 1 };
      out.push(
        report(
          "error",
          "GH237",
          `policy.offboarding.webhooks: two webhooks are named "${hook.name}"` +
            (earlier.source === undefined ? "" : ` (the first at ${formatLocation(earlier.source)})`) +
            "; names must be unique (the journal tells deliveries apart by it): rename one",
          at,
          earlier.source === undefined ? undefined : [earlier.source],
        ),
      );
    }
    return out;
  },
};
