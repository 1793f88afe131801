import type { ProviderFactory } from "../types.ts";
import { InternalError } from "../../errors.ts";

// FIXME(in progress): placeholder until the local connector lands; replaced by its helper.
export const createLocalProvider: ProviderFactory = (config) => {
  throw new InternalError(`provider type "local" (${config.name}) is not implemented yet`);
};
