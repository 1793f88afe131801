import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type * as AjvModule from "ajv/dist/2020.js";
import type AddFormats from "ajv-formats";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { AccessDocument } from "../load/parse.ts";
import { locate, pointerToPath } from "../load/locate.ts";
import { noDayIn } from "../lifecycle/status.ts";

/** The schemas folder shipped with gatehouse (next to src/ and dist/). */
export const SCHEMA_DIR = fileURLToPath(new URL("../../schemas/", import.meta.url));

export type DocumentKind = "access" | "config";

interface Validators {
  /** The validator of a kind of file, compiled on first use: a parse worker only ever needs `access`. */
  readonly validatorOf: (kind: DocumentKind) => ValidateFunction;
  /** Property names a referenced schema declares (e.g. a provider type's settings), by its `$ref`. */
  readonly declaredBy: (ref: string) => ReadonlySet<string>;
}

const SCHEMA_OF: Readonly<Record<DocumentKind, string>> = {
  access: "access.schema.json",
  config: "gatehouse.schema.json",
};

let cached: Validators | undefined;

function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSchemaFiles(abs));
    else if (entry.name.endsWith(".schema.json")) out.push(abs);
  }
  return out.sort();
}

const require = createRequire(import.meta.url);

function compileValidators(): Validators {
  // Loaded here, not at start-up (about 50 ms): a warm run takes every file from the parse cache.
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof AjvModule;
  const addFormats = (require("ajv-formats") as typeof AddFormats).default;
  const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
  addFormats(ajv);
  for (const file of listSchemaFiles(SCHEMA_DIR)) {
    const schema: unknown = JSON.parse(readFileSync(file, "utf8"));
    const id = "file://" + file;
    if (typeof schema === "object" && schema !== null) ajv.addSchema({ ...schema, $id: id });
  }
  const get = (name: string): ValidateFunction => {
    const fn = ajv.getSchema("file://" + path.join(SCHEMA_DIR, name));
    if (!fn) throw new Error(`schema ${name} is missing from ${SCHEMA_DIR}`);
    return fn;
  };
  const configId = "file://" + path.join(SCHEMA_DIR, "gatehouse.schema.json");
  const declaredBy = (ref: string): ReadonlySet<string> => {
    const schema: unknown = ajv.getSchema(new URL(ref, configId).href)?.schema;
    const properties =
      typeof schema === "object" && schema !== null && "properties" in schema ? schema.properties : undefined;
    return new Set(typeof properties === "object" && properties !== null ? Object.keys(properties) : []);
  };
  return { validatorOf: (kind) => get(SCHEMA_OF[kind]), declaredBy };
}

/**
 * The keys of a type's own settings, where the object's schema picks them by `type` (a provider: the
 * common keys, then `if type is X then providers/X.schema.json`).
 */
function keysOfItsType(error: ErrorObject, declaredBy: Validators["declaredBy"]): string[] {
  const data: unknown = error.data;
  const type = typeof data === "object" && data !== null && "type" in data ? data.type : undefined;
  const branches: unknown = error.parentSchema?.["allOf"];
  if (typeof type !== "string" || !Array.isArray(branches)) return [];
  for (const branch of branches as unknown[]) {
    if (typeof branch !== "object" || branch === null) continue;
    const test = (branch as { if?: { properties?: { type?: { const?: unknown } } } }).if;
    const ref = thenRefOf(branch);
    if (test?.properties?.type?.const === type && ref !== undefined) return [...declaredBy(ref)];
  }
  return [];
}

/** The schema an `if`/`then` pair switches to (`then: { $ref }`), or undefined. */
function thenRefOf(schema: unknown): string | undefined {
  const then: unknown =
    typeof schema === "object" && schema !== null ? (schema as { then?: unknown }).then : undefined;
  const ref = typeof then === "object" && then !== null && "$ref" in then ? then.$ref : undefined;
  return typeof ref === "string" ? ref : undefined;
}

function describe(error: ErrorObject, declaredBy: Validators["declaredBy"]): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const key = String(params["additionalProperty"] ?? params["unevaluatedProperty"]);
      const allowed = [
        ...new Set([
          ...Object.keys((error.parentSchema?.["properties"] as Record<string, unknown> | undefined) ?? {}),
          ...keysOfItsType(error, declaredBy),
        ]),
      ];
      // YAML 1.1's merge key, which YAML 1.2 (what gatehouse reads) does not have: a plain key here.
      if (key === "<<")
        return 'unknown key "<<": YAML merge keys (<<: *anchor) are not part of YAML 1.2, which gatehouse reads; write the keys out (an alias of a whole value, key: *anchor, works)';
      return `unknown key "${key}"` + (allowed.length > 0 ? `; allowed keys: ${allowed.join(", ")}` : "");
    }
    case "required":
      return `missing required key "${String(params["missingProperty"])}"`;
    case "enum":
      return `must be one of: ${((params["allowedValues"] as unknown[] | undefined) ?? []).map(String).join(", ")}`;
    case "anyOf":
    case "oneOf": {
      const description: unknown = error.parentSchema?.["description"];
      return "does not match any allowed form" + (typeof description === "string" ? ` (${description})` : "");
    }
    case "pattern": {
      // A schema's title, where it has one, says in words what the pattern allows.
      const title: unknown = error.parentSchema?.["title"];
      return typeof title === "string"
        ? `must be ${title}`
        : `must match the pattern ${String(params["pattern"])}`;
    }
    case "type": {
      // A schema's title says what the value must be (a duration, not a bare number: `24` for `24h`);
      // a whole file's schema's title ("gatehouse group") does not.
      const isFileSchema = error.parentSchema?.$schema !== undefined;
      const title: unknown = isFileSchema ? undefined : error.parentSchema?.["title"];
      const data: unknown = error.data;
      // A key with nothing after it (its last list item deleted) is null in YAML: say so, and for a group's
      // members, which of the two meanings to write (an empty list, or no key at all).
      if (data === null && /^\/groups\/\d+\/members$/.test(error.instancePath))
        return "has no value: write members: [] to enforce an empty group (roles and nested groups still give it members), or delete the key to leave its members unmanaged";
      const empty = data === null ? ", not empty (the key has no value)" : "";
      const got = typeof data === "number" || typeof data === "boolean" ? `, not ${String(data)}` : empty;
      if (typeof title === "string") return `must be ${title}${got}`;
      return error.message === undefined ? "is invalid" : `${error.message}${empty}`;
    }
    case "format": {
      if (params["format"] === "date-time")
        return "must be an ISO 8601 instant with a time zone, e.g. 2027-01-15T18:00:00Z";
      if (params["format"] !== "date") return error.message ?? "is invalid";
      // A day written right that the calendar does not have (2022-02-30) says why.
      const data: unknown = error.data;
      const noDay = typeof data === "string" && /^\d{4}-\d{2}-\d{2}$/.test(data) ? noDayIn(data) : undefined;
      return noDay === undefined
        ? "must be a day, YYYY-MM-DD (e.g. 2027-01-15)"
        : `${String(data)} is no day: ${noDay}`;
    }
    default:
      return error.message ?? "is invalid";
  }
}

/** The start of the schema paths of an alternative's branches: `.../oneOf/`. */
function branchPrefix(alternative: ErrorObject): string {
  return alternative.schemaPath.replace(/\/(anyOf|oneOf)$/, "/$1/");
}

/** A branch of a failed anyOf/oneOf, and whether it is a $ref (its errors carry the referenced path). */
interface MeantBranch {
  readonly index: number;
  readonly isRef: boolean;
}

/**
 * The branch of a failed anyOf/oneOf a value was clearly meant for: for an object, the only object form
 * whose required keys it has (`{ user: bob, untill: ... }` is a grant with a typo, not "no allowed
 * form"); for anything else, the only form that is not an object (`Bob!` is a user id with a bad
 * character).
 */
function meantBranch(alternative: ErrorObject): MeantBranch | undefined {
  const data: unknown = alternative.data;
  const branches: unknown = alternative.schema;
  if (!Array.isArray(branches)) return undefined;
  const isObjectForm = (branch: unknown): boolean =>
    typeof branch === "object" &&
    branch !== null &&
    ("required" in branch || ("type" in branch && branch.type === "object"));
  const isObject = typeof data === "object" && data !== null && !Array.isArray(data);
  const keys = new Set(isObject ? Object.keys(data) : []);
  const fits = (branches as unknown[]).flatMap((branch, i) => {
    if (!isObject) return isObjectForm(branch) ? [] : [i];
    if (typeof branch !== "object" || branch === null || !("required" in branch)) return [];
    const required: unknown = branch.required;
    return Array.isArray(required) && required.length > 0 && required.every((k) => keys.has(String(k)))
      ? [i]
      : [];
  });
  const index = fits.length === 1 ? fits[0] : undefined;
  if (index === undefined) return undefined;
  const branch: unknown = (branches as unknown[])[index];
  return { index, isRef: typeof branch === "object" && branch !== null && "$ref" in branch };
}

/** Keeps the errors a person can act on: for a failed anyOf/oneOf, one message instead of every branch's. */
function pruneErrors(errors: readonly ErrorObject[], declaredBy: Validators["declaredBy"]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  // A failed if/then branch (a provider type's own settings) leaves every key of that object
  // unevaluated, so each would also be called "unknown". Drop that for keys the branch declares; a key
  // it does not declare (a typo) stays reported.
  const declaredInFailedBranch = new Map<string, ReadonlySet<string>>();
  for (const e of errors) {
    const ref = e.keyword === "if" ? thenRefOf(e.parentSchema) : undefined;
    if (ref !== undefined) declaredInFailedBranch.set(e.instancePath, declaredBy(ref));
  }
  const meant = new Map<ErrorObject, MeantBranch>();
  for (const a of alternatives) {
    const branch = meantBranch(a);
    if (branch !== undefined) meant.set(a, branch);
  }
  // A bad key gives its own error (with propertyName) and a generic "property name must be valid".
  const badKeys = new Set(
    errors.flatMap((e) =>
      e.keyword !== "propertyNames" && e.propertyName !== undefined
        ? [`${e.instancePath}|${e.propertyName}`]
        : [],
    ),
  );
  const kept = errors.filter((e) => {
    if (e.keyword === "if") return false;
    if (e.keyword === "propertyNames") {
      const name = (e.params as Record<string, unknown>)["propertyName"];
      if (badKeys.has(`${e.instancePath}|${String(name)}`)) return false;
    }
    if (e.keyword === "unevaluatedProperties") {
      const key = (e.params as Record<string, unknown>)["unevaluatedProperty"];
      if (typeof key === "string" && declaredInFailedBranch.get(e.instancePath)?.has(key) === true)
        return false;
    }
    if (e.keyword === "anyOf" || e.keyword === "oneOf") return !meant.has(e);
    // A branch that is a $ref reports under the referenced schema's path: at the entry itself it is
    // still one of the alternatives' errors.
    const within = alternatives.filter(
      (a) =>
        e.instancePath === a.instancePath ||
        (e.schemaPath.startsWith(branchPrefix(a)) && e.instancePath.startsWith(a.instancePath)),
    );
    // Inside alternatives, only the errors of the form the entry was clearly meant to take are shown.
    return within.every((a) => {
      const branch = meant.get(a);
      if (branch === undefined) return false;
      if (e.schemaPath.startsWith(`${branchPrefix(a)}${String(branch.index)}/`)) return true;
      // A $ref branch reports under the referenced schema's path, never under the alternatives'.
      return branch.isRef && !e.schemaPath.startsWith(branchPrefix(a));
    });
  });
  const seen = new Set<string>();
  return kept.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A grant's `until` that is no instant: one message (and code, GH220) whether the schema's date-time
 * format refused it or the grant-windows rule did (the format lets a space for T, a lower-case t or a
 * leap second through). Here rather than in the rule: the parse cache's salt covers this file's text.
 */
export function badUntilMessage(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return (
    `until "${text}" is not an instant: write an ISO 8601 date-time with a time zone (the day, T, the ` +
    "time to the second, then Z or an offset), e.g. 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00."
  );
}

/** A schema error about a group member's `until` being no date-time string. */
function isBadUntil(error: ErrorObject, segments: readonly (string | number)[]): boolean {
  const [groups, , members, , until] = segments;
  return (
    segments.length === 5 &&
    groups === "groups" &&
    members === "members" &&
    until === "until" &&
    (error.keyword === "format" || error.keyword === "type")
  );
}

/** Validates one parsed file against its schema and maps every error to the YAML node it is about. */
export function validateDocumentSchema(document: AccessDocument, kind: DocumentKind): Diagnostic[] {
  const validators = (cached ??= compileValidators());
  const validate = validators.validatorOf(kind);
  if (validate(document.data)) return [];
  return pruneErrors(validate.errors ?? [], validators.declaredBy).map((error) => {
    const params = error.params as Record<string, unknown>;
    const segments = pointerToPath(error.instancePath);
    const badKey = error.propertyName ?? params["propertyName"];
    const extraKey = params["additionalProperty"] ?? params["unevaluatedProperty"] ?? badKey;
    const isKeyError = typeof extraKey === "string";
    const loc = locate(
      document.file,
      document.locator,
      isKeyError ? [...segments, extraKey] : segments,
      isKeyError ? "key" : "value",
    );
    if (isBadUntil(error, segments))
      return {
        severity: "error" as const,
        code: "GH220",
        message: badUntilMessage(error.data),
        path: error.instancePath,
        ...loc,
      };
    const named = typeof badKey === "string" ? ` key "${badKey}"` : "";
    const where = (error.instancePath === "" ? "file" : error.instancePath) + named;
    return {
      severity: "error" as const,
      code: "GH100",
      message: `${where}: ${describe(error, validators.declaredBy)}`,
      path: error.instancePath,
      ...loc,
    };
  });
}
