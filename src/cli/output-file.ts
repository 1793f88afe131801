import { lstat, open } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.ts";
import { hasCode } from "../io/file-lock.ts";

/** Bytes of an existing file read to tell what it is. */
const SNIFF_BYTES = 4096;

/**
 * Refuses to write a command's output over a file that is something else: the journal, a local
 * directory, an access file, anything not made by the same command before (`isOurs` judges the start
 * of its text). A missing or empty file may be written.
 */
export async function assertReplaceable(
  cwd: string,
  target: string,
  what: string,
  isOurs: (start: string) => boolean,
): Promise<void> {
  // A link is refused whatever it points at (or will point at): the write would land somewhere else.
  const link = await lstat(target).then(
    (st) => st.isSymbolicLink(),
    () => false,
  );
  if (link)
    throw new UsageError(
      `${path.relative(cwd, target)} is a symbolic link; gatehouse does not write through links (choose a plain path)`,
    );
  let start: string;
  try {
    // Only the start: an earlier saved plan may be larger than any string.
    const handle = await open(target, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      start = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (hasCode(error, "ENOENT")) return;
    if (hasCode(error, "EISDIR"))
      throw new UsageError(`${path.relative(cwd, target)} is a folder, not a file`);
    throw error;
  }
  // An empty file (made by mktemp, say) holds nothing to lose.
  if (start.trim() !== "" && !isOurs(start))
    throw new UsageError(
      `${path.relative(cwd, target)} exists and is not ${what}; gatehouse does not write over it (remove it, or choose another path)`,
    );
}

/**
 * The start of a saved plan as `plan --out` writes it (renderJson): its format version, then when it
 * was made and the files' digest (a local directory file starts with a format version too).
 */
export function looksLikeSavedPlan(start: string): boolean {
  return (
    /^\s*\{\s*"formatVersion"\s*:\s*1\s*,\s*"createdAt"\s*:/.test(start) && start.includes('"desiredDigest"')
  );
}

/** Writes `pieces` to `target` one after the other (replacing it): output too large for one string. */
export async function writePieces(target: string, pieces: Iterable<string>): Promise<void> {
  const handle = await open(target, "w");
  try {
    for (const piece of pieces) await handle.write(piece);
  } finally {
    await handle.close();
  }
}
