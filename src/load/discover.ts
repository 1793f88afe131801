import { lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "../model/diagnostic.ts";

export interface DiscoveredFile {
  readonly absPath: string;
  /** The path shown in diagnostics: relative to the working directory. */
  readonly displayPath: string;
}

const YAML_FILE = /\.ya?ml$/i;
/** Directory depth past which we stop: a real tree is never this deep, a hostile one might be. */
const MAX_DEPTH = 32;

function problem(file: string, code: string, message: string): Diagnostic {
  return { severity: "error", code, message, file, line: 1, column: 1 };
}

/** The path diagnostics show for a file: relative to the working directory. */
export function displayPath(cwd: string, abs: string): string {
  return path.relative(cwd, abs) || abs;
}

/**
 * Lists every *.yaml / *.yml file under `root`, in a stable order, in any folder layout. Symlinks are
 * followed only when they stay inside the tree; a link out of it is reported, never read.
 */
export async function discoverAccessFiles(
  root: string,
  cwd: string,
): Promise<{ files: DiscoveredFile[]; diagnostics: Diagnostic[] }> {
  const files: DiscoveredFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const display = (abs: string): string => displayPath(cwd, abs);
  // A folder far outside the working directory reads better as an absolute path than as ../../..
  const shownRoot = display(root).startsWith("..") ? root : display(root);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    diagnostics.push(
      problem(
        shownRoot,
        "GH001",
        `access directory "${shownRoot}" does not exist; run gatehouse where it is, or give its place with --dir`,
      ),
    );
    return { files, diagnostics };
  }
  const inside = (p: string): boolean => p === realRoot || p.startsWith(realRoot + path.sep);

  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH) {
      diagnostics.push(
        problem(display(dir), "GH002", `folders nested deeper than ${String(MAX_DEPTH)} levels are not read`),
      );
      return;
    }
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const abs = path.join(dir, entry.name);
      let stat = await lstat(abs);
      if (stat.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(abs);
        } catch {
          diagnostics.push(problem(display(abs), "GH003", "symlink points nowhere; remove it"));
          continue;
        }
        if (!inside(target)) {
          diagnostics.push(
            problem(
              display(abs),
              "GH003",
              "symlink points outside the access directory; copy the file in instead",
            ),
          );
          continue;
        }
        stat = await lstat(target);
        // A link to a folder inside the tree would list the same files twice (or loop): skip it.
        if (stat.isDirectory()) continue;
      }
      if (stat.isDirectory()) await walk(abs, depth + 1);
      else if (stat.isFile() && YAML_FILE.test(entry.name))
        files.push({ absPath: abs, displayPath: display(abs) });
      else if (YAML_FILE.test(entry.name))
        // A FIFO, socket or device under a .yaml name: reading it could block or never end, and
        // skipping it quietly would drop whatever it was meant to hold.
        diagnostics.push(
          problem(display(abs), "GH007", "is not a regular file (a pipe, socket or device); it is not read"),
        );
    }
  }

  const rootStat = await lstat(realRoot);
  if (!rootStat.isDirectory()) {
    diagnostics.push(
      problem(shownRoot, "GH001", `"${shownRoot}" is not a directory; --dir takes the access folder`),
    );
    return { files, diagnostics };
  }
  await walk(path.resolve(root), 0);
  return { files, diagnostics };
}
