/**
 * Several files written as one change, as far as a file system allows: every new text goes to a temp
 * file next to its target first (all of them, fsynced, with the target's mode); only then are they
 * renamed into place, one after the other. A failure before the renames removes the temps and changes
 * nothing; a rename failing midway puts back the files already replaced (their bytes are kept in memory
 * for that), so the tree is never left half-written unless putting one back fails too, which is said.
 *
 * Not a transaction: a crash (power, kill -9) between two renames still leaves some files new and some
 * old; each file on its own is always whole (old or new), as with writeFileAtomic.
 */
import { lstat, mkdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { ExitCode, GatehouseError } from "../errors.ts";
import { fsyncDirectory, writeTempBeside } from "./atomic-write.ts";
import { hasCode } from "./file-lock.ts";

/** One file of the set. */
export interface SetWrite {
  /** The file as messages show it (relative to the working directory). */
  readonly file: string;
  /** Its absolute path. */
  readonly target: string;
  readonly text: string;
  /** Permission bits the written file gets (the old file's, or 0o644 for a new one). */
  readonly mode: number;
  /**
   * The text the caller read and edited: with `isCheckingOriginals`, the target must still hold exactly
   * this (undefined: it must still not exist), or nothing is written.
   */
  readonly original?: string;
}

export interface WriteAllOptions {
  /** Refuse, writing nothing, when a target no longer holds its `original`: someone changed it meanwhile. */
  readonly isCheckingOriginals: boolean;
}

/** Written; or not, because `changed` (as shown) is not as the caller read it. */
export type WriteAllResult =
  { readonly isWritten: true } | { readonly isWritten: false; readonly changed: string };

/** A write of the set failed. `restored` are back as they were; `unrestored` could not be put back. */
export class WriteAllError extends GatehouseError {
  readonly restored: readonly string[];
  readonly unrestored: readonly string[];
  constructor(
    message: string,
    restored: readonly string[],
    unrestored: readonly string[],
    options?: ErrorOptions,
  ) {
    super("GH_WRITE", message, ExitCode.error, options);
    this.restored = restored;
    this.unrestored = unrestored;
  }
}

/** What a target held just before the renames: to put back when a later rename fails. */
type Backup =
  | { readonly kind: "absent" }
  | { readonly kind: "file"; readonly bytes: Buffer; readonly mode: number }
  | { readonly kind: "other" };

const reasonOf = (error: unknown): string =>
  error instanceof Error && "code" in error && typeof error.code === "string"
    ? error.code
    : error instanceof Error
      ? error.message
      : String(error);

async function backupOf(target: string): Promise<Backup> {
  let entry;
  try {
    entry = await lstat(target);
  } catch (error) {
    if (hasCode(error, "ENOENT")) return { kind: "absent" };
    throw error;
  }
  if (!entry.isFile()) return { kind: "other" };
  return { kind: "file", bytes: await readFile(target), mode: entry.mode & 0o7777 };
}

const holds = (backup: Backup, original: string | undefined): boolean =>
  original === undefined
    ? backup.kind === "absent"
    : backup.kind === "file" && backup.bytes.equals(Buffer.from(original, "utf8"));

/** Removes folders `mkdir -p` made for new files, deepest first, while they are empty. */
async function removeMadeFolders(made: readonly { top: string; deepest: string }[]): Promise<void> {
  for (const { top, deepest } of made)
    for (let dir = deepest; ; dir = path.dirname(dir)) {
      const isRemoved = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (!isRemoved || dir === top) break;
    }
}

/** Puts a replaced target back as it was; returns why not when it cannot. */
async function restore(target: string, backup: Backup): Promise<string | undefined> {
  try {
    if (backup.kind === "absent") await unlink(target);
    else if (backup.kind === "file")
      await rename(await writeTempBeside(target, backup.bytes, backup.mode), target);
    else return "it was not a regular file";
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/**
 * Writes every file of `writes` or none (see the file comment). Throws WriteAllError when a write
 * fails, saying what was put back.
 */
export async function writeAllOrNothing(
  writes: readonly SetWrite[],
  options: WriteAllOptions,
): Promise<WriteAllResult> {
  const temps: string[] = [];
  const made: { top: string; deepest: string }[] = [];
  const removeTemps = async (from = 0): Promise<void> => {
    for (const temp of temps.slice(from)) await unlink(temp).catch(() => undefined);
  };
  const backups: Backup[] = [];
  let failed: SetWrite | undefined;
  try {
    for (const w of writes) {
      failed = w;
      const folder = path.dirname(w.target);
      const top = await mkdir(folder, { recursive: true });
      if (top !== undefined) made.push({ top, deepest: folder });
      temps.push(await writeTempBeside(w.target, w.text, w.mode));
    }
    for (const w of writes) {
      failed = w;
      const backup = await backupOf(w.target);
      if (options.isCheckingOriginals && !holds(backup, w.original)) {
        await removeTemps();
        await removeMadeFolders(made);
        return { isWritten: false, changed: w.file };
      }
      backups.push(backup);
    }
  } catch (error) {
    await removeTemps();
    await removeMadeFolders(made);
    throw new WriteAllError(
      `${failed?.file ?? "a file"}: could not be written (${reasonOf(error)}); nothing was changed`,
      [],
      [],
      { cause: error },
    );
  }

  for (const [i, w] of writes.entries()) {
    try {
      await rename(temps[i] ?? "", w.target);
    } catch (error) {
      await removeTemps(i);
      const restored: string[] = [];
      const unrestored: string[] = [];
      for (const [j, done] of writes.slice(0, i).entries()) {
        const why = await restore(done.target, backups[j] ?? { kind: "other" });
        if (why === undefined) restored.push(done.file);
        else unrestored.push(`${done.file} (${why})`);
      }
      await removeMadeFolders(made);
      const back =
        restored.length === 0
          ? ""
          : `; put back as ${restored.length === 1 ? "it was" : "they were"}: ${restored.join(", ")}`;
      throw new WriteAllError(
        unrestored.length === 0
          ? `${w.file}: could not be written (${reasonOf(error)})${back}; nothing was changed`
          : `${w.file}: could not be written (${reasonOf(error)})${back}; NOT put back, holding the new text: ${unrestored.join(", ")}: check them (git diff) before running again`,
        restored,
        unrestored,
        { cause: error },
      );
    }
  }
  for (const folder of new Set(writes.map((w) => path.dirname(w.target)))) await fsyncDirectory(folder);
  return { isWritten: true };
}
