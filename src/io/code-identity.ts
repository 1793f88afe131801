import { createHash, type Hash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Feeds every file under `dir` whose name `isWanted` accepts into `hash`, in a fixed order (by name,
 * depth first), each as its name and its bytes: equal folders give equal hashes.
 */
export function hashFolder(hash: Hash, dir: string, isWanted: (name: string) => boolean): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) hashFolder(hash, abs, isWanted);
    else if (isWanted(entry.name)) hash.update(`${entry.name}\0`).update(readFileSync(abs));
  }
}

/** The folder of gatehouse's code: `dist/` when built, `src/` under the tests. */
const CODE_DIR = fileURLToPath(new URL("..", import.meta.url));

let identity: string | undefined;

/**
 * This build of gatehouse and the Node.js that runs it, as a sha256: every module of the code folder and
 * every schema in `schemaDir`. Anything a cache holds that the code computed (not only parsed) is only
 * handed to the same build. About 2 MB read once per process.
 */
export function codeIdentity(schemaDir: string): string {
  if (identity !== undefined) return identity;
  const hash = createHash("sha256").update(`${process.version}\0`);
  hashFolder(hash, CODE_DIR, (name) => /\.[jt]s$/.test(name));
  hashFolder(hash, schemaDir, (name) => name.endsWith(".json"));
  identity = hash.digest("hex");
  return identity;
}
