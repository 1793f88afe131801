/**
 * Validates the access tree as it would be after an edit, before anything is written: the files the
 * loader would read are copied into a temporary folder at the same place relative to it (so
 * diagnostics name the real paths), the edited ones as edited, and the whole copy is validated. Every
 * command that edits access files (request, review, hr sync) asks it before it writes anything.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Diagnostic } from "../model/diagnostic.ts";
import { discoverAccessFiles, displayPath } from "../load/discover.ts";
import { DEFAULT_CACHE_DIR, loadEnvOptions } from "../load/load-tree.ts";
import { validateAccessTree, type ValidatedTree } from "../validate/validate-tree.ts";
import type { EngineOptions } from "./prepare-plan.ts";

export interface EditedTreeOptions {
  readonly cwd: string;
  /** The access folder, as given (relative to cwd, or absolute). */
  readonly dir: string;
  readonly now: Date;
  /** The parse cache (content-addressed, so copies hit it); undefined: none. */
  readonly cacheDir?: string;
  readonly parseWorkers?: number;
}

/** The options that validate the edited tree as loadValidModel(`options`) loads the real one. */
export function editedTreeOptions(options: EngineOptions): EditedTreeOptions {
  const { parseWorkers } = loadEnvOptions(options.env);
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  return {
    cwd: options.cwd,
    dir: options.dir,
    now: options.now,
    // Absolute: the copy is validated from another working directory.
    ...(cacheDir === false ? {} : { cacheDir: path.resolve(options.cwd, cacheDir) }),
    ...(parseWorkers === undefined ? {} : { parseWorkers }),
  };
}

/**
 * The validation of the tree with `edited` (absolute path → new text; new files too) in place of what
 * is on disk. Diagnostics name the files as the real tree's would.
 */
export async function validateEditedTree(
  edited: ReadonlyMap<string, string>,
  options: EditedTreeOptions,
): Promise<ValidatedTree> {
  const root = path.resolve(options.cwd, options.dir);
  const shown = displayPath(options.cwd, root);
  // Inside the working directory the copy keeps its relative place; elsewhere it is "access".
  const place = shown.startsWith("..") || path.isAbsolute(shown) ? "access" : shown;
  const temp = await mkdtemp(path.join(tmpdir(), "gatehouse-edit-"));
  try {
    const copy = path.join(temp, place);
    await mkdir(copy, { recursive: true });
    const { files } = await discoverAccessFiles(root, options.cwd);
    const targets = new Map<string, string | undefined>(files.map((f) => [f.absPath, undefined]));
    for (const [file, text] of edited) targets.set(file, text);
    for (const [file, text] of targets) {
      const relative = path.relative(root, file);
      if (relative.startsWith("..") || path.isAbsolute(relative)) continue;
      const target = path.join(copy, relative);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, text ?? (await readFile(file)));
    }
    const tree = await validateAccessTree(place, {
      cwd: temp,
      now: options.now,
      // The copies' file times say nothing: the digest cache is not asked (nor told about them).
      trustFileTimes: false,
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.parseWorkers === undefined ? {} : { parseWorkers: options.parseWorkers }),
    });
    const realName = (file: string): string => {
      const inCopy = path.relative(place, file);
      return inCopy.startsWith("..") ? file : displayPath(options.cwd, path.join(root, inCopy));
    };
    const diagnostics = tree.diagnostics.map((d): Diagnostic => ({
      ...d,
      file: realName(d.file),
      ...(d.related ? { related: d.related.map((r) => ({ ...r, file: realName(r.file) })) } : {}),
    }));
    return { ...tree, diagnostics };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
