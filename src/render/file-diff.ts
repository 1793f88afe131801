import {
  createTwoFilesPatch,
  FILE_HEADERS_ONLY,
  formatPatch,
  structuredPatch,
  type StructuredPatchHunk,
} from "diff";
import type { TextCut } from "../engine/yaml-text.ts";

const CONTEXT = 3;
/** Unchanged lines kept on each side of a window's cuts: more than the context, so no hunk reaches out. */
const MARGIN = CONTEXT + 2;

/**
 * The unified diff of one file's edit (`file` as shown, relative to the working directory). With the
 * edit's `cuts` (the spans of `before` it replaced, which make `after`), only the lines around them are
 * diffed, window by window, and the hunks put together: the same patch, in time linear in the file. A
 * diff of the whole file costs its lines times the lines changed, which for a file of ten thousand lines
 * gaining thousands (a review opened in each of its groups) is hours over an organization. Cuts that do
 * not make `after` from `before` are ignored (the whole file is diffed).
 */
export function renderFileDiff(
  file: string,
  before: string,
  after: string,
  cuts?: readonly TextCut[],
): string {
  const hunks = cuts === undefined || cuts.length < 2 ? undefined : windowHunks(before, after, cuts);
  if (hunks === undefined)
    return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, {
      context: CONTEXT,
      headerOptions: FILE_HEADERS_ONLY,
    });
  return formatPatch(
    { oldFileName: `a/${file}`, newFileName: `b/${file}`, oldHeader: undefined, newHeader: undefined, hunks },
    FILE_HEADERS_ONLY,
  );
}

/** Offsets of the starts of the text's lines (a last newline starts no line). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0 && at + 1 < text.length; at = text.indexOf("\n", at + 1))
    starts.push(at + 1);
  return starts;
}

/** The index of the line holding `offset`. */
function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

const newlines = (text: string): number => {
  let n = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) n++;
  return n;
};

/**
 * The hunks of the diff of `before` and `after`, from windows of lines around the cuts (each cut's lines
 * and MARGIN unchanged lines either side; windows that touch are one), or undefined when the cuts
 * overlap or the text between the windows is not the same in both.
 */
function windowHunks(
  before: string,
  after: string,
  cuts: readonly TextCut[],
): StructuredPatchHunk[] | undefined {
  const sorted = [...cuts].sort((a, b) => a.start - b.start || a.end - b.end);
  const starts = lineStarts(before);
  const last = starts.length - 1;
  // Windows as [first line, last line] (inclusive) and the cuts they hold.
  const windows: { first: number; last: number; from: number; to: number }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const cut = sorted[i];
    if (cut === undefined || cut.end < cut.start || cut.start < 0 || cut.end > before.length)
      return undefined;
    if (i > 0 && cut.start < (sorted[i - 1]?.end ?? 0)) return undefined;
    const first = Math.max(0, lineOf(starts, cut.start) - MARGIN);
    const end = Math.min(last, lineOf(starts, cut.end) + MARGIN);
    const open = windows[windows.length - 1];
    if (open !== undefined && first <= open.last + 1) {
      open.last = Math.max(open.last, end);
      open.to = i + 1;
    } else windows.push({ first, last: end, from: i, to: i + 1 });
  }
  const hunks: StructuredPatchHunk[] = [];
  let shift = 0; // after's offset less before's, past the cuts seen
  let lineShift = 0; // the same in lines
  let oldAt = 0; // where the unchanged text before the next window starts, in before
  for (const window of windows) {
    const oldStart = starts[window.first] ?? 0;
    const oldEnd = window.last === last ? before.length : (starts[window.last + 1] ?? before.length);
    if (before.slice(oldAt, oldStart) !== after.slice(oldAt + shift, oldStart + shift)) return undefined;
    const newStart = oldStart + shift;
    const newFirst = window.first + lineShift;
    for (const cut of sorted.slice(window.from, window.to)) {
      const removed = before.slice(cut.start, cut.end);
      const insert = cut.insert ?? "";
      shift += insert.length - removed.length;
      lineShift += newlines(insert) - newlines(removed);
    }
    const newEnd = window.last === last ? after.length : oldEnd + shift;
    if (window.last === last && newEnd !== oldEnd + shift) return undefined;
    const patch = structuredPatch(
      "",
      "",
      before.slice(oldStart, oldEnd),
      after.slice(newStart, newEnd),
      undefined,
      undefined,
      { context: CONTEXT },
    );
    for (const hunk of patch.hunks)
      hunks.push({ ...hunk, oldStart: hunk.oldStart + window.first, newStart: hunk.newStart + newFirst });
    oldAt = oldEnd;
  }
  if (before.slice(oldAt) !== after.slice(oldAt + shift)) return undefined;
  return hunks;
}
