import type { ProviderFactory } from "../types.ts";
import { InternalError } from "../../errors.ts";

// FIXME(in progress): placeholder until the github connector lands; replaced by its helper.
export const createGithubProvider: ProviderFactory = (config) => {
  throw new InternalError(`provider type "github" (${config.name}) is not implemented yet`);
};
