import type { ProviderFactory } from "../types.ts";
import { InternalError } from "../../errors.ts";

// FIXME(in progress): placeholder until the ldap connector lands; replaced by its helper.
export const createLdapProvider: ProviderFactory = (config) => {
  throw new InternalError(`provider type "ldap" (${config.name}) is not implemented yet`);
};
