/**
 * Edits several access files as one change for `gatehouse review`: every edit is made in memory first
 * (a file that cannot be edited safely stops them all), then written, then the whole tree is
 * validated; an error puts every file's original bytes back.
 */
import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../errors.ts";
import { writeFileAtomic } from "../../io/atomic-write.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { lineEnds, refusalOf } from "./request.ts";

/** One file's edit, ready to write. */
export interface FileEdit {
  readonly file: string;
  readonly target: string;
  readonly mode: number;
  readonly original: string;
  readonly text: string;
}

/**
 * The edit of `file` (relative to `cwd`) that `edit` makes of its text, or a ConfigError saying why it
 * is not edited: a link or a read-only file, mixed line ends, or the editor's own reason.
 */
export async function prepareFileEdit(
  cwd: string,
  file: string,
  edit: (text: string) => { text: string } | { problem: string },
  what: string,
): Promise<FileEdit> {
  const notEdited = (why: string) =>
    new ConfigError(`${file}: not edited (${why}); ${what} by hand; nothing was written`);
  const target = path.resolve(cwd, file);
  const state = await refusalOf(target);
  if ("problem" in state) throw notEdited(state.problem);
  const original = await readFile(target, "utf8");
  const ends = lineEnds(original);
  if (!ends) throw notEdited("it mixes CRLF and LF line ends");
  const edited = edit(ends.text);
  if ("problem" in edited) throw notEdited(edited.problem);
  return {
    file,
    target,
    mode: state.mode,
    original,
    text: ends.isCrlf ? edited.text.replace(/\n/g, "\r\n") : edited.text,
  };
}

const diagnosticKey = (d: Diagnostic): string => `${d.code}\n${d.message}`;

/**
 * Writes every edit, then validates the whole tree: when that finds an error, every file gets its
 * original bytes back and the errors are thrown. Returns the warnings the edits brought.
 */
export async function writeAllAndCheck(
  edits: readonly FileEdit[],
  validate: () => Promise<readonly Diagnostic[]>,
  before: readonly Diagnostic[],
  what: string,
): Promise<Diagnostic[]> {
  const write = async (edit: FileEdit, text: string) => {
    await writeFileAtomic(edit.target, text);
    await chmod(edit.target, edit.mode); // as it was, not the temporary file's 0600
  };
  const written: FileEdit[] = [];
  let after: readonly Diagnostic[];
  try {
    for (const edit of edits) {
      await write(edit, edit.text);
      written.push(edit);
    }
    after = await validate();
  } catch (error) {
    for (const edit of written) await write(edit, edit.original);
    if (error instanceof ConfigError && error.diagnostics.length > 0)
      throw new ConfigError(
        `${what} would leave the access files with errors; every file is back as it was, nothing was changed`,
        error.diagnostics.filter((d) => d.severity === "error"),
      );
    throw error;
  }
  const known = new Set(before.map(diagnosticKey));
  return after.filter((d) => !known.has(diagnosticKey(d)));
}
