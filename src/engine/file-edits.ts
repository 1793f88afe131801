/**
 * Edits of access files by a command (`request`, `review`, `prune`, `hr sync`): which files a tool may
 * edit, their line ends kept, and several edits made as one change: every edit made in memory first (a
 * file that cannot be edited safely stops them all), then written, then the whole tree validated; an
 * error puts every file's original bytes back.
 */
import type { Stats } from "node:fs";
import { chmod, lstat, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.ts";
import { writeFileAtomic } from "../io/atomic-write.ts";
import type { Diagnostic } from "../model/diagnostic.ts";

/**
 * Why a tool does not edit this file, or undefined when it may: a link would be replaced by a plain file
 * (the file it points to left as it was), and a read-only file is someone's way of saying "not by a tool".
 */
export function editRefusal(entry: Stats): string | undefined {
  if (entry.isSymbolicLink()) return "it is a symbolic link";
  if ((entry.mode & 0o200) === 0) return "it is read-only";
  return undefined;
}

/** The text to edit: with CRLF line ends as LF (put back when written); mixed line ends are refused. */
export function lineEnds(text: string): { text: string; isCrlf: boolean } | undefined {
  if (!text.includes("\r")) return { text, isCrlf: false };
  const lf = text.replace(/\r\n/g, "\n");
  return !lf.includes("\r") && lf.replace(/\n/g, "\r\n") === text ? { text: lf, isCrlf: true } : undefined;
}

/** One file's edit, ready to write. */
export interface FileEdit {
  readonly file: string;
  readonly target: string;
  readonly mode: number;
  /** The bytes as read, and as they are to be written. */
  readonly original: string;
  readonly text: string;
}

/** A file's edit with what the editor said of it (`edited`) and the text before it, with LF line ends. */
export type PreparedEdit<T> = FileEdit & { readonly before: string; readonly edited: T };

/**
 * The edit of `file` (relative to `cwd`) that `edit` makes of its text (with LF line ends), or a
 * ConfigError saying why it is not edited: a link or a read-only file, mixed line ends, or the editor's
 * own reason; `what` is what to do by hand instead.
 */
export async function prepareFileEdit<R extends { readonly text: string } | { readonly problem: string }>(
  cwd: string,
  file: string,
  edit: (text: string) => R,
  what: string,
): Promise<PreparedEdit<Exclude<R, { readonly problem: string }>>> {
  const notEdited = (why: string) =>
    new ConfigError(`${file}: not edited (${why}); ${what} by hand; nothing was written`);
  const target = path.resolve(cwd, file);
  const entry = await lstat(target);
  const refusal = editRefusal(entry);
  if (refusal !== undefined) throw notEdited(refusal);
  const original = await readFile(target, "utf8");
  const ends = lineEnds(original);
  if (!ends) throw notEdited("it mixes CRLF and LF line ends");
  const edited = edit(ends.text);
  if ("problem" in edited) throw notEdited(edited.problem);
  const done = edited as Exclude<R, { readonly problem: string }>;
  return {
    file,
    target,
    mode: entry.mode & 0o7777,
    original,
    text: ends.isCrlf ? done.text.replace(/\n/g, "\r\n") : done.text,
    before: ends.text,
    edited: done,
  };
}

const diagnosticKey = (d: Diagnostic): string => `${d.code}\n${d.message}`;

/**
 * Writes every edit, then validates the whole tree: when that finds an error, every file gets its
 * original bytes back and the errors are thrown (`what` would leave the files with errors; `restored`
 * is back as it was). Returns the warnings the edits brought (not there before).
 */
export async function writeAllAndCheck(
  edits: readonly FileEdit[],
  validate: () => Promise<readonly Diagnostic[]>,
  before: readonly Diagnostic[],
  what: string,
  restored = "every file",
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
        `${what} would leave the access files with errors; ${restored} is back as it was, nothing was changed`,
        error.diagnostics.filter((d) => d.severity === "error"),
      );
    throw error;
  }
  const known = new Set(before.map(diagnosticKey));
  return after.filter((d) => !known.has(diagnosticKey(d)));
}
