import path from "node:path";
import type { ProviderConfig } from "../../model/access.ts";
import { DEFAULT_IDS_FILE } from "../../providers/github/settings.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { formatLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report } from "./report.ts";

/** Text of a DN or URL as compared here: case and spaces around separators do not count. */
const loose = (text: string): string =>
  text
    .toLowerCase()
    .replace(/\s*([,=])\s*/g, "$1")
    .trim();

/**
 * The people an ldap provider reads: server, base DN and people OU (the connector's defaults where the
 * file says nothing), or undefined where a setting is missing (the schema reports that).
 */
function peopleScope(provider: ProviderConfig): string | undefined {
  const { url, baseDn, flavour, people } = provider.settings;
  if (typeof url !== "string" || typeof baseDn !== "string") return undefined;
  const ou =
    typeof people === "object" && people !== null && "ou" in people && typeof people.ou === "string"
      ? people.ou
      : flavour === "activeDirectory"
        ? "cn=Users"
        : "ou=people";
  const base = loose(baseDn);
  const dn = loose(ou).endsWith(base) ? loose(ou) : `${loose(ou)},${base}`;
  return `${url.toLowerCase().replace(/\/+$/, "")} ${dn}`;
}

/**
 * Two ldap providers reading the same people (one server, base DN and people OU; two are needed for two
 * kinds of groups): each plans the people as if it were alone. Where either is authoritative it disables
 * accounts that only the other's account names give (`accounts.<provider name>`), and both create the same
 * entries (the second create fails). Found in a trial of a site with posixGroups and groupOfUniqueNames.
 */
export const sharedDirectories: Rule = {
  name: "shared-directories",
  codes: ["GH238", "GH244"],
  check({ model }) {
    const out: Diagnostic[] = sharedPinFiles(model.config.providers);
    const first = new Map<string, ProviderConfig>();
    for (const provider of model.config.providers) {
      if (provider.type !== "ldap") continue;
      const scope = peopleScope(provider);
      if (scope === undefined) continue;
      const earlier = first.get(scope);
      if (earlier === undefined) {
        first.set(scope, provider);
        continue;
      }
      if (earlier.mode !== "authoritative" && provider.mode !== "authoritative") continue;
      out.push(
        report(
          "warning",
          "GH238",
          `providers ${earlier.name} (${formatLocation(earlier.source)}) and ${provider.name} read the same people ` +
            `(one server, base DN and people OU): each plans them alone, so an authoritative one disables accounts ` +
            `only the other's account names give, and both create the same entries. Give accounts by type ` +
            `(accounts: { ldap: ... }) rather than by provider name, and keep all but one of them additive`,
          provider.source,
          [earlier.source],
        ),
      );
    }
    return out;
  },
};

/**
 * Two github providers (two organizations) keeping their pins in one `idsFile` (both on the default,
 * most often): team pins are slug → id, and teams of the same slug in two organizations (admins,
 * developers) take each other's pin in turn, so a team renamed by hand in one of them may no longer be
 * recognised (the plan would delete it and make a new one, without its repository access); and each run's
 * write of the file replaces the other's new pins.
 */
function sharedPinFiles(providers: readonly ProviderConfig[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, ProviderConfig>();
  for (const provider of providers) {
    if (provider.type !== "github") continue;
    const given = provider.settings["idsFile"];
    const file = path.normalize(typeof given === "string" ? given : DEFAULT_IDS_FILE);
    const earlier = first.get(file);
    if (earlier === undefined) {
      first.set(file, provider);
      continue;
    }
    out.push(
      report(
        "warning",
        "GH244",
        `github providers ${earlier.name} (${formatLocation(earlier.source)}) and ${provider.name} keep their ` +
          `pins in one file (idsFile ${file}${typeof given === "string" ? "" : ", the default"}): teams of the same ` +
          `name in both organizations take each other's pin, so a team renamed by hand may not be recognised, ` +
          `and each run's write replaces the other's new pins. Give ${provider.name} an idsFile of its own`,
        provider.source,
        [earlier.source],
      ),
    );
  }
  return out;
}
