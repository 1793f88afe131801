import { readFile } from "node:fs/promises";
import { hasCode } from "../io/file-lock.ts";

export const TORN_LINE_MESSAGE = "the last line is incomplete (crash during write?)";

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

/** The JSON value of a line, or undefined when it is not JSON. */
export function parseLine(line: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    return value;
  } catch {
    return undefined;
  }
}
