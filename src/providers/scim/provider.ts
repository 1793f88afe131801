import type { ProviderFactory } from "../types.ts";
import { InternalError } from "../../errors.ts";

// FIXME(in progress): placeholder until the scim connector lands; replaced by its helper.
export const createScimProvider: ProviderFactory = (config) => {
  throw new InternalError(`provider type "scim" (${config.name}) is not implemented yet`);
};
