import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

/** The schemas folder of this checkout. */
export const SCHEMAS = fileURLToPath(new URL("../../schemas/", import.meta.url));

/**
 * A strict Ajv holding every schema under schemas/, each known by its file's URL: the schemas carry no
 * `$id`, so their relative `$ref`s resolve against the file, as an editor that loads them from disk
 * resolves them (and as gatehouse's own validator does).
 */
export function strictSchemas(): {
  readonly ajv: Ajv2020;
  readonly validator: <T>(name: string) => ValidateFunction<T>;
} {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormatsModule.default(ajv);
  for (const entry of readdirSync(SCHEMAS, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".schema.json")) continue;
    const file = path.join(entry.parentPath, entry.name);
    ajv.addSchema(JSON.parse(readFileSync(file, "utf8")) as object, pathToFileURL(file).href);
  }
  const validator = <T>(name: string): ValidateFunction<T> => {
    const fn = ajv.getSchema<T>(pathToFileURL(path.join(SCHEMAS, name)).href);
    if (!fn) throw new Error(`schema ${name} not found under ${SCHEMAS}`);
    return fn;
  };
  return { ajv, validator };
}
