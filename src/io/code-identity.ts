import { createHash, type Hash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compareText } from "../model/lists.ts";

/**
 * Feeds every file under `dir` whose name `isWanted` accepts into `hash`, in a fixed order (by name,
 * depth first), each as its name and its bytes: equal folders give equal hashes.
 */
export function hashFolder(hash: Hash, dir: string, isWanted: (name: string) => boolean): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareText(a.name, b.name))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) hashFolder(hash, abs, isWanted);
    else if (isWanted(entry.name)) hash.update(`${entry.name}\0`).update(readFileSync(abs));
  }
}

/** The folder of gatehouse's code: `dist/` when built, `src/` under the tests. */
const CODE_DIR = fileURLToPath(new URL("..", import.meta.url));

/** gatehouse's version, as its package.json says. */
export const VERSION: string = (() => {
  const data: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return typeof data === "object" && data !== null && "version" in data && typeof data.version === "string"
    ? data.version
    : "0.0.0";
})();
/** gatehouse's package.json, beside that folder. */
const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));

/**
 * The version of each package gatehouse depends on, as installed (the `yaml` package words diagnostics,
 * `ajv` schema messages): found the way Node finds them, in the nearest node_modules up from the code.
 */
function dependencyVersions(): string[] {
  let dependencies: Record<string, unknown> = {};
  try {
    const manifest: unknown = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));
    const listed = (manifest as { dependencies?: unknown }).dependencies;
    if (typeof listed === "object" && listed !== null) dependencies = listed as Record<string, unknown>;
  } catch {
    return ["no package.json"];
  }
  return Object.keys(dependencies)
    .sort()
    .map((name) => {
      for (let dir = path.dirname(PACKAGE_JSON); ; dir = path.dirname(dir)) {
        try {
          const found: unknown = JSON.parse(
            readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8"),
          );
          return `${name}@${String((found as { version?: unknown }).version)}`;
        } catch {
          if (path.dirname(dir) === dir) return `${name}@missing`;
        }
      }
    });
}

let identity: string | undefined;

/**
 * This build of gatehouse and what runs it, as a sha256: every module of the code folder, every schema in
 * `schemaDir`, the installed version of each dependency, and the Node.js version. Anything a cache holds
 * that the code computed (not only parsed) is only handed to the same build. About 2 MB read once per
 * process.
 */
export function codeIdentity(schemaDir: string): string {
  if (identity !== undefined) return identity;
  const hash = createHash("sha256").update(`${process.version}\0${dependencyVersions().join(" ")}\0`);
  hashFolder(hash, CODE_DIR, (name) => /\.[jt]s$/.test(name));
  hashFolder(hash, schemaDir, (name) => name.endsWith(".json"));
  identity = hash.digest("hex");
  return identity;
}
