import { ConfigError } from "../../errors.ts";
import type { ProviderConfig } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import { parseGithubSettings } from "../../providers/github/settings.ts";
import { parseLdapSettings } from "../../providers/ldap/settings.ts";
import { parseScimSettings } from "../../providers/scim/settings.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/** Each connector's own check of its settings, as plan runs it when it creates the provider (no connection). */
const PARSERS: Readonly<Record<string, (config: ProviderConfig) => unknown>> = {
  ldap: (config) => parseLdapSettings(config, "."),
  scim: (config) => parseScimSettings(config),
  github: (config) => parseGithubSettings(config, "."),
};

/**
 * A provider's settings as its connector reads them: what the JSON Schema cannot say (plain ldap:// to
 * another host without startTls, a DN outside the base DN, a disable method's keys) is refused at validate
 * too, not only when plan creates the provider (found by a trial: validate said valid, plan refused).
 */
export const providerSettings: Rule = {
  name: "provider-settings",
  codes: ["GH240"],
  check({ model }) {
    const out: Diagnostic[] = [];
    for (const provider of model.config.providers) {
      const parse = Object.hasOwn(PARSERS, provider.type) ? PARSERS[provider.type] : undefined;
      try {
        parse?.(provider);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // The connector's message starts with the provider's place, which the diagnostic carries.
        const prefix = `${formatLocation(provider.source)} `;
        const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
        out.push(report("error", "GH240", message, provider.source));
      }
    }
    return out;
  },
};
