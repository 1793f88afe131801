/** Reading the export file: bounded, since it comes from outside and is read whole into memory. */
import { isOver, readAtMost } from "../io/read-at-most.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { exportTooLarge, MAX_EXPORT_BYTES } from "./read-export.ts";

/** A file hr sync cannot read: a usage error naming it and the system's code. */
export function cannotRead(what: string, file: string, error: unknown): UsageError {
  const code = error instanceof Error && "code" in error ? String(error.code) : "";
  return new UsageError(`cannot read the ${what} ${file}${code === "" ? "" : ` (${code})`}`);
}

/**
 * The export's bytes, never more than MAX_EXPORT_BYTES + 1 of them read: a file too large (or a device
 * that never ends) is refused without being read into memory.
 */
export async function readExportBytes(abs: string, file: string): Promise<Uint8Array> {
  let read;
  try {
    read = await readAtMost(abs, MAX_EXPORT_BYTES);
  } catch (error) {
    throw cannotRead("HR export", file, error);
  }
  if (isOver(read, MAX_EXPORT_BYTES))
    throw new ConfigError("the HR export has problems; nothing was changed", [
      exportTooLarge(file, read.size),
    ]);
  return read.bytes;
}
