/**
 * Edits of access files by a command (`request`, `review`, `prune`, `hr sync`): which files a tool may
 * edit, their line ends kept, and several edits made as one change: every edit made in memory first (a
 * file that cannot be edited safely stops them all), then the tree as it would be validated on a copy,
 * and only when that finds no error the files written, each atomically. A file on disk never holds an
 * edit that has not passed validation, so there is nothing to put back.
 */
import { constants, type Stats } from "node:fs";
import { access, lstat, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.ts";
import { writeAllOrNothing } from "../io/write-all.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { validateEditedTree, type EditedTreeOptions } from "./edited-tree.ts";
import { whereIn } from "./yaml-text.ts";

/**
 * Why a tool does not edit the file at `target` (`entry`: its lstat), or undefined when it may: a link
 * would be replaced by a plain file (the file it points to left as it was), and a read-only file is
 * someone's way of saying "not by a tool". Read-only is what the OS says for this process (access W_OK:
 * another user's file, a read-only mount, an ACL) or the owner's write bit: root may write a 0444
 * file, but its owner said no.
 */
export async function editRefusal(target: string, entry: Stats): Promise<string | undefined> {
  if (entry.isSymbolicLink()) return "it is a symbolic link";
  if ((entry.mode & 0o200) === 0 || !(await isWritable(target))) return "it is read-only";
  return undefined;
}

async function isWritable(target: string): Promise<boolean> {
  try {
    await access(target, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The text to edit: with CRLF line ends as LF (put back when written); mixed line ends are refused. */
export function lineEnds(text: string): { text: string; isCrlf: boolean } | undefined {
  if (!text.includes("\r")) return { text, isCrlf: false };
  const lf = text.replace(/\r\n/g, "\n");
  return !lf.includes("\r") && lf.replace(/\n/g, "\r\n") === text ? { text: lf, isCrlf: true } : undefined;
}

/** One file's edit, ready to write (writeAllOrNothing's SetWrite). */
export interface FileEdit {
  /** As shown: relative to the working directory. */
  readonly file: string;
  /** Absolute. */
  readonly target: string;
  /** The mode to write it with: the file's own (a new file: as git checks files out, 0644). */
  readonly mode: number;
  /** The text as read (absent: a new file, which must still not exist when it is written). */
  readonly original?: string;
  /** The text to write. */
  readonly text: string;
}

/** A file's edit with what the editor said of it (`edited`) and the text before it, with LF line ends. */
export type PreparedEdit<T> = FileEdit & { readonly before: string; readonly edited: T };

/**
 * The edit of `file` (relative to `cwd`) that `edit` makes of its text (with LF line ends), or a
 * ConfigError saying why it is not edited: a link or a read-only file, mixed line ends, or the editor's
 * own reason; `what` is what to do by hand instead.
 */
export async function prepareFileEdit<
  R extends { readonly text: string } | { readonly problem: string; readonly at?: number },
>(
  cwd: string,
  file: string,
  edit: (text: string) => R,
  what: string,
): Promise<PreparedEdit<Exclude<R, { readonly problem: string }>>> {
  const notEdited = (why: string, where = file) =>
    new ConfigError(`${where}: not edited (${why}); ${what} by hand; nothing was written`);
  const target = path.resolve(cwd, file);
  const entry = await lstat(target);
  const refusal = await editRefusal(target, entry);
  if (refusal !== undefined) throw notEdited(refusal);
  const original = await readFile(target, "utf8");
  const ends = lineEnds(original);
  if (!ends) throw notEdited("it mixes CRLF and LF line ends");
  const edited = edit(ends.text);
  if ("problem" in edited) throw notEdited(edited.problem, whereIn(file, ends.text, edited.at));
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
 * Validates the tree as it would be with every edit made (on a copy: edited-tree.ts), before anything
 * is written: an error there is thrown with the others (`what` would leave the access files with errors;
 * nothing was written), named at the real files' lines. Returns the warnings the edits would bring (not
 * in `before`).
 */
export async function checkEdits(
  edits: readonly FileEdit[],
  options: EditedTreeOptions,
  before: readonly Diagnostic[],
  what: string,
): Promise<Diagnostic[]> {
  const tree = await validateEditedTree(new Map(edits.map((e) => [e.target, e.text])), options);
  const errors = tree.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0)
    throw new ConfigError(`${what} would leave the access files with errors; nothing was written`, errors);
  const known = new Set(before.map(diagnosticKey));
  return tree.diagnostics.filter((d) => !known.has(diagnosticKey(d)));
}

/**
 * Writes every edit (checked first: checkEdits) as one change (io/write-all.ts: every file or none, each
 * with its mode). Every file must still be as it was read, and one a tool may edit, or none is written:
 * someone may have changed one while `command` ran.
 */
export async function writeEdits(edits: readonly FileEdit[], command: string): Promise<void> {
  for (const edit of edits) {
    const entry = await lstat(edit.target).catch(() => undefined);
    if (entry === undefined && edit.original === undefined) continue; // a new file, still to be made
    const refusal = entry === undefined ? undefined : await editRefusal(edit.target, entry);
    if (refusal !== undefined)
      throw new ConfigError(`${edit.file}: not edited (${refusal}); nothing was written`);
  }
  const written = await writeAllOrNothing(edits, { isCheckingOriginals: true });
  if (!written.isWritten)
    throw new ConfigError(
      `${written.changed} changed while ${command} ran; nothing was written, run it again`,
    );
}
