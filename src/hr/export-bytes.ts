/** Reading the export file: bounded, since it comes from outside and is read whole into memory. */
import { open } from "node:fs/promises";
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
  let handle;
  try {
    handle = await open(abs, "r");
  } catch (error) {
    throw cannotRead("HR export", file, error);
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_EXPORT_BYTES)
      throw new ConfigError("the HR export has problems; nothing was changed", [exportTooLarge(file, size)]);
    // The size said is not trusted to stay (a file still being written, a pipe): read to the end, or
    // to one byte past the limit.
    let buffer = Buffer.alloc(size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_EXPORT_BYTES)
          throw new ConfigError("the HR export has problems; nothing was changed", [exportTooLarge(file)]);
        buffer = Buffer.concat([
          buffer,
          Buffer.alloc(Math.min(buffer.length, MAX_EXPORT_BYTES + 1 - length)),
        ]);
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw cannotRead("HR export", file, error);
  } finally {
    await handle.close();
  }
}
