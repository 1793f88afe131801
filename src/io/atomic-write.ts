import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { hasCode, isProcessAlive } from "./file-lock.ts";

const TEMP_SUFFIX = ".tmp";

function tempPrefix(target: string): string {
  return `.${basename(target)}.`;
}

/**
 * Writes `data` to a new temp file beside `target` (the name removeLeftoverTempFiles knows), fsynced, with
 * `mode` when given (else 0600), and returns its path; on an error the temp file is removed.
 */
export async function writeTempBeside(
  target: string,
  data: string | Uint8Array,
  mode?: number,
): Promise<string> {
  const temp = join(
    dirname(target),
    `${tempPrefix(target)}${String(process.pid)}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`,
  );
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      await (typeof data === "string" ? handle.writeFile(data, "utf8") : handle.writeFile(data));
      // Before any rename: the file never shows under the target's name with the temp's 0600.
      if (mode !== undefined) await handle.chmod(mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return temp;
}

/**
 * Replaces `target` with `data` so that a crash at any moment leaves either the old or the new file:
 * write a temp file in the same folder, fsync it, rename it over the target, fsync the folder.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(target);
  await mkdir(folder, { recursive: true });
  const temp = await writeTempBeside(target, data);
  try {
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(folder);
}

/** Appends `text` with O_APPEND and fsyncs it before returning. */
export async function appendFileDurable(target: string, text: string): Promise<void> {
  const folder = dirname(target);
  // The folder is made only when it is missing: a journal takes an append per write of a large apply.
  const handle = await open(target, "a", 0o600).catch(async (error: unknown) => {
    if (!hasCode(error, "ENOENT")) throw error;
    await mkdir(folder, { recursive: true });
    return open(target, "a", 0o600);
  });
  let isNew: boolean;
  try {
    isNew = (await handle.stat()).size === 0;
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // A new file's directory entry must reach the disk too.
  if (isNew) await fsyncDirectory(folder);
}

/** Makes a rename or a file creation in `folder` durable. Some platforms cannot fsync a folder. */
export async function fsyncDirectory(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, "r");
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!hasCode(error, "EISDIR") && !hasCode(error, "EINVAL") && !hasCode(error, "EPERM")) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Deletes temp files that `writeFileAtomic(target)` left behind when its process died mid-write.
 * Files of live processes are kept: call it while holding the target's lock.
 */
export async function removeLeftoverTempFiles(target: string): Promise<string[]> {
  const folder = dirname(target);
  const prefix = tempPrefix(target);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (hasCode(error, "ENOENT")) return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split(".", 1)[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) continue;
    if (pid === process.pid) continue; // our own writes in flight under the same lock cannot exist; be safe
    await unlink(join(folder, name)).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
