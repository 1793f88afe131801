import { stat } from "node:fs/promises";

/** Whether `file` is there and is a regular file (not a folder); false when it cannot be looked at. */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Whether `dir` is there and is a folder; false when it cannot be looked at. */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
