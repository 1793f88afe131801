/**
 * Reading a file that comes from outside (an HR export, a mapping) without trusting its size: at most
 * `max` + 1 bytes are read, so a file too large, or a device or pipe that never ends, costs no more
 * memory than the limit.
 */
import { open } from "node:fs/promises";

/** What was read: every byte when `bytes.length <= max`; else the file is over `max` (`size` when known). */
export interface ReadAtMost {
  readonly bytes: Uint8Array;
  /** The size the file system gave, when it is over `max` (a pipe or device says 0). */
  readonly size?: number;
}

/** Reads `abs` up to `max` + 1 bytes (errors from opening or reading are thrown as they are). */
export async function readAtMost(abs: string, max: number): Promise<ReadAtMost> {
  const handle = await open(abs, "r");
  try {
    const { size } = await handle.stat();
    if (size > max) return { bytes: new Uint8Array(0), size };
    // The size said is not trusted to stay (a file still being written, a pipe): read to the end, or
    // to one byte past the limit.
    let buffer = Buffer.alloc(size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > max) return { bytes: buffer.subarray(0, length) };
        buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, max + 1 - length))]);
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

/** Whether `read` is over `max`: refused, whatever part of it was read. */
export const isOver = (read: ReadAtMost, max: number): boolean =>
  read.size !== undefined || read.bytes.length > max;
