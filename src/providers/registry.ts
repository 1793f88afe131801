import type { ProviderConfig } from "../model/access.ts";
import { ConfigError } from "../errors.ts";
import { formatLocation } from "../model/source.ts";
import type { Provider, ProviderContext, ProviderFactory } from "./types.ts";

/** Provider types gatehouse knows. Loaded lazily so a run only loads the connectors it uses. */
const FACTORIES: Readonly<Record<string, () => Promise<ProviderFactory>>> = {
  local: async () => (await import("./local/provider.ts")).createLocalProvider,
  ldap: async () => (await import("./ldap/provider.ts")).createLdapProvider,
  scim: async () => (await import("./scim/provider.ts")).createScimProvider,
  github: async () => (await import("./github/provider.ts")).createGithubProvider,
};

export const PROVIDER_TYPES: readonly string[] = Object.keys(FACTORIES);

export async function createProvider(config: ProviderConfig, context: ProviderContext): Promise<Provider> {
  const load = Object.hasOwn(FACTORIES, config.type) ? FACTORIES[config.type] : undefined;
  if (!load) {
    throw new ConfigError(
      `${formatLocation(config.source)} provider "${config.name}" has unknown type "${config.type}"; use one of: ${PROVIDER_TYPES.join(", ")}`,
    );
  }
  const factory = await load();
  return factory(config, context);
}
