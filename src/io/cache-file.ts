import { readdir, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { removeLeftoverTempFiles, writeFileAtomic } from "./atomic-write.ts";
import { deserialize } from "node:v8";
import { hasCode } from "./file-lock.ts";
import { isRecord } from "../model/json.ts";

/** Read-cache files of one kind kept per folder, newest first; older ones are removed. */
const KEEP_FILES = 16;

/**
 * Replaces a read-cache file under `.gatehouse/cache/` (atomically, mode 0600; temp files an interrupted
 * write left are removed first) and keeps only the newest files whose names match `family` in its folder.
 * Throws when the file cannot be written; failing to prune is not an error.
 */
export async function writeCacheFile(file: string, text: string | Uint8Array, family: RegExp): Promise<void> {
  await removeLeftoverTempFiles(file);
  await writeFileAtomic(file, text);
  await pruneCacheFiles(file, family);
}

/**
 * A read-cache file's JSON value: "missing" when there is no file, "unreadable" when there is one that
 * cannot be read. Text that is not JSON reads as the value undefined: each cache then says, in its own
 * words, why it does not use it.
 */
export async function readCacheFile(
  file: string,
): Promise<{ readonly value: unknown } | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return hasCode(error, "ENOENT") ? "missing" : "unreadable";
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { value: undefined };
  }
}

async function pruneCacheFiles(file: string, family: RegExp): Promise<void> {
  const dir = path.dirname(file);
  const names = (await readdir(dir)).filter((n) => family.test(n));
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      mtime: (await stat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  const doomed = dated.slice(KEEP_FILES).filter((d) => d.name !== path.basename(file));
  await Promise.all(doomed.map((d) => unlink(path.join(dir, d.name)).catch(() => undefined)));
}

/**
 * The record v8.serialize wrote in `bytes` when it is of `format` (its `format` field), else undefined:
 * bytes that do not deserialize, or a cache written by another version, are a miss.
 */
export function decodeCacheRecord(
  bytes: Uint8Array,
  format: string,
): Readonly<Record<string, unknown>> | undefined {
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch {
    return undefined;
  }
  return isRecord(value) && value["format"] === format ? value : undefined;
}
