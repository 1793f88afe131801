import type { ProviderConfig, ProviderMode } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import { accountNameFor, groupIsInProvider } from "../../desired/desired-state.ts";
import { computeEffectiveMemberships } from "../../desired/effective.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { GITHUB_LOGIN } from "../../providers/github/settings.ts";

/** Active Directory refuses a user's sAMAccountName (the pre-Windows 2000 logon name) over 20 characters. */
const AD_ACCOUNT_MAX = 20;

function isActiveDirectory(provider: ProviderConfig): boolean {
  return provider.type === "ldap" && provider.settings["flavour"] === "activeDirectory";
}

/**
 * Two people must never resolve to the same account in a connected system (an explicit `accounts`
 * entry, an e-mail under `accountName: email`, or one person's id equal to another's mapping):
 * the plan would apply one person's status and groups to the other's account. And an account name must
 * fit the system: Active Directory refuses a user logon name over 20 characters, so the create would
 * fail on every run.
 */
/** What becomes of the account a person has whom gatehouse cannot name there (GH232), by the provider's mode. */
const UNKNOWN_ACCOUNT: Readonly<Record<ProviderMode, string>> = {
  authoritative: "an account they have would be disabled (the provider is authoritative)",
  additive:
    "an account they have would not be known as theirs (the provider is additive: it is left as it is)",
  observe:
    "an account they have would not be known as theirs (the provider is only observed: nothing is changed)",
};

export const accountCollisions: Rule = {
  name: "account-collisions",
  codes: ["GH227", "GH230", "GH232", "GH242"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    // users: members: who holds a group that goes to the provider (worked out once per provider, if needed).
    const holders = new Map<string, ReadonlySet<string>>();
    const holdsGroupIn = (userId: string, provider: ProviderConfig): boolean => {
      let held = holders.get(provider.name);
      if (held === undefined) {
        const effective = computeEffectiveMemberships(model, now);
        const ids = new Set<string>();
        for (const group of model.groups.values())
          if (groupIsInProvider(group, provider))
            for (const id of effective.get(group.name)?.members ?? []) ids.add(id);
        held = ids;
        holders.set(provider.name, held);
      }
      return held.has(userId);
    };
    for (const provider of model.config.providers) {
      const owner = new Map<string, string>(); // account → first user id
      const isAd = isActiveDirectory(provider);
      for (const user of model.users.values()) {
        const account = accountNameFor(user, provider);
        if (account === undefined) {
          // accountName: email and no e-mail: the person has no account name there, so the plan would
          // create none, grant nothing, and disable (as not in config) the account they already have.
          if (provider.users !== "mapped" && provider.accountName === "email")
            out.push(
              report(
                // users: members: only members of the provider's groups need an account there.
                user.status !== "terminated" &&
                  ((provider.users ?? "all") === "all" || holdsGroupIn(user.id, provider))
                  ? "error"
                  : "warning",
                "GH232",
                `user "${user.id}" has no email, and provider "${provider.name}" names accounts by e-mail (accountName: email): ` +
                  (user.status === "terminated"
                    ? `gatehouse cannot tell which account there is theirs to disable; add the email, or an accounts.${provider.name} entry.`
                    : `they would get no account and none of their groups there, and ${UNKNOWN_ACCOUNT[provider.mode]}; add the email, or an accounts.${provider.name} entry.`),
                user.source,
              ),
            );
          continue;
        }
        if (isAd && account.length > AD_ACCOUNT_MAX && user.status !== "terminated")
          out.push(
            report(
              "warning",
              "GH230",
              `account "${account}" of user "${user.id}" has ${String(account.length)} characters; Active Directory (provider "${provider.name}") refuses a user logon name (sAMAccountName) over ${String(AD_ACCOUNT_MAX)}: give the user a shorter accounts.${provider.name} entry.`,
              user.source,
            ),
          );
        if (provider.type === "github" && !GITHUB_LOGIN.test(account)) {
          // Typed as a login (accounts.<provider>): an error; made from the id or e-mail: a warning.
          const isExplicit =
            user.accounts[provider.name] !== undefined || user.accounts[provider.type] !== undefined;
          out.push(
            report(
              isExplicit && user.status !== "terminated" ? "error" : "warning",
              "GH242",
              `account "${account}" of user "${user.id}" is not a GitHub login (provider "${provider.name}"): a login has 1 to 39 letters, digits or single hyphens, neither first nor last, so the invitation and team adds would fail on every run; give the user's login in accounts.${provider.name}.`,
              user.source,
            ),
          );
        }
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
