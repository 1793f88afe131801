/**
 * The built package in dist/: parse workers only run from there (Node 20 cannot start a .ts worker), so
 * the tests of the worker path use it. `npm test` builds first; after `npx vitest run` alone, a missing
 * or stale build is reported with what to do rather than tested.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as LoadTree from "../../src/load/load-tree.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(abs) : statSync(abs).mtimeMs);
  }
  return newest;
}

/** Absolute path of a built file, e.g. `cli/main.js`; throws when it is missing or older than src/. */
export function builtFile(relative: string): string {
  const file = path.join(ROOT, "dist", relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" before these tests`);
  if (statSync(file).mtimeMs < newestSource(path.join(ROOT, "src")))
    throw new Error(`${file} is older than src/: run "npm run build" before these tests`);
  return file;
}

/** The built loader, typed as its source. */
export async function importBuiltLoader(): Promise<typeof LoadTree> {
  builtFile("load/parse-worker.js");
  return (await import(pathToFileURL(builtFile("load/load-tree.js")).href)) as typeof LoadTree;
}
