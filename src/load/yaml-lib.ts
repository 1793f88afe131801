import { createRequire } from "node:module";
import type * as YamlModule from "yaml";

const require = createRequire(import.meta.url);
let lib: typeof YamlModule | undefined;

/**
 * The `yaml` package, loaded on first use (about 30 ms): a warm run takes every file from the parse
 * cache and never needs it. Under Node the package's ESM and CommonJS entries are the same module.
 */
export function yamlLib(): typeof YamlModule {
  lib ??= require("yaml") as typeof YamlModule;
  return lib;
}

// The package's node type guards, loading it on first use like the rest.
export const isMap = (node: unknown): node is YamlModule.YAMLMap => yamlLib().isMap(node);
export const isSeq = (node: unknown): node is YamlModule.YAMLSeq => yamlLib().isSeq(node);
export const isScalar = (node: unknown): node is YamlModule.Scalar => yamlLib().isScalar(node);
export const isPair = (node: unknown): node is YamlModule.Pair => yamlLib().isPair(node);
