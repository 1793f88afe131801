import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";
import { isObj, str } from "../../load/read-data.ts";

/**
 * An ldap provider (not Active Directory) that does not say how a leaver's account is disabled gets the
 * default, a move into `ou=disabled`: the entry keeps its password, and binds under its new DN unless the
 * directory's ACLs refuse them there. A trial against 389 Directory Server found leavers who could still
 * sign in while the offboarding check called them clean. Saying it (even `method: move`) silences this;
 * `shadowExpire`, which binds ignore, does not.
 */
export const ldapDisable: Rule = {
  name: "ldap-disable",
  codes: ["GH239"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const provider of model.config.providers) {
      if (provider.type !== "ldap" || provider.mode === "observe") continue;
      const { flavour, disable } = provider.settings;
      if (flavour === "activeDirectory") continue;
      // shadowExpire is read by PAM and NSS on hosts, not by the directory: every LDAP bind still works.
      const attribute =
        isObj(disable) && str(disable, "method") === "attribute" ? str(disable, "attribute") : undefined;
      if (attribute?.toLowerCase() === "shadowexpire") {
        out.push(
          report(
            "warning",
            "GH239",
            `provider ${provider.name} disables a leaver's account with shadowExpire, which only host logins through ` +
              `PAM/NSS read: the entry keeps its password and still binds, so anything that signs in over LDAP (VPN, ` +
              `SSO, web apps) still lets the leaver in, while the offboarding check calls the account disabled. ` +
              `Lock it instead: OpenLDAP with the ppolicy overlay { method: attribute, attribute: pwdAccountLockedTime, ` +
              `value: "000001010000Z" }; 389 Directory Server { method: attribute, attribute: nsAccountLock, value: "true" }`,
            provider.source,
          ),
        );
        continue;
      }
      if (disable !== undefined) continue;
      out.push(
        report(
          "warning",
          "GH239",
          `provider ${provider.name} does not say how to disable a leaver's account, so the entry is moved into ` +
            `ou=disabled: it keeps its password and still signs in unless the directory's ACLs refuse binds there. ` +
            `Set disable: OpenLDAP with the ppolicy overlay and a default policy with pwdLockout: TRUE { method: attribute, ` +
            `attribute: pwdAccountLockedTime, value: "000001010000Z" }; 389 Directory Server { method: attribute, ` +
            `attribute: nsAccountLock, value: "true" }; ` +
            `or { method: move, ou: ou=disabled } where ACLs refuse binds under it`,
          provider.source,
        ),
      );
    }
    return out;
  },
};
