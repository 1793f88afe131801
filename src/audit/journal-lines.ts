import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.ts";
import { hasCode } from "../io/file-lock.ts";

export const TORN_LINE_MESSAGE = "the last line is incomplete (crash during write?)";

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    // Name the path: Node's errors for reading a folder (EISDIR) do not.
    if (error instanceof Error)
      throw new ConfigError(`cannot read the journal ${path}: ${error.message}`, [], { cause: error });
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
