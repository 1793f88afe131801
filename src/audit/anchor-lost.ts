/**
 * What became of the last entry a fold read from a journal, when the journal no longer holds it where it
 * was: for a message that says what is known (moved, edited, gone) instead of listing every possibility.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { isRecord } from "../model/json.ts";
import { eachLine, parseLine } from "./journal-lines.ts";

/** The last line a fold read: where it started, the sha256 of its bytes (with "\n") and its entry. */
export interface Anchor {
  readonly lastLineStart: number;
  readonly lastLineHash: string;
  readonly entries: number;
  readonly head: { readonly seq: number; readonly hash: string } | undefined;
}

/**
 * Why the journal open at `handle` (of `size` bytes) no longer holds `anchor`, as a clause: the same
 * line elsewhere (entries before it removed, inserted or edited), an entry of its seq with other bytes
 * (edited, or the chain rewritten up to it), or no such entry (cut off the end, or removed with the
 * chain rewritten: only the last line's hash is kept, so these two cannot be told apart).
 */
export async function describeLostAnchor(handle: FileHandle, size: number, anchor: Anchor): Promise<string> {
  // Filled in by the callback, which the compiler's narrowing of `let`s does not see.
  const seen: { movedTo?: number; hasSameSeq?: true; lastSeq?: number } = {};
  await eachLine(handle, 0, size, (line) => {
    if (line.isTorn) return;
    if (seen.movedTo === undefined && sha256(line.bytes) === anchor.lastLineHash) seen.movedTo = line.start;
    const value = parseLine(line.text);
    const seq = isRecord(value) ? value["seq"] : undefined;
    if (typeof seq !== "number") return;
    seen.lastSeq = seq;
    if (seq === anchor.head?.seq) seen.hasSameSeq = true;
  });
  const { movedTo, hasSameSeq, lastSeq } = seen;
  const head = anchor.head;
  if (head === undefined)
    return `no longer holds the last of the ${String(anchor.entries)} entries gatehouse read from it on this machine: entries were cut off, removed or rewritten, or the file was replaced`;
  const last = `entry seq ${String(head.seq)} (the last of the ${String(anchor.entries)} entries gatehouse read from it on this machine)`;
  if (movedTo !== undefined)
    return `still holds ${last}, but at byte ${String(movedTo)}, not ${String(anchor.lastLineStart)}: entries before it were removed, inserted or edited`;
  if (hasSameSeq === true)
    return `holds ${last} with other bytes: it was edited, or the chain was rewritten up to it`;
  const now = lastSeq === undefined ? "it holds no entry" : `its last entry is seq ${String(lastSeq)}`;
  return `no longer holds ${last}; ${now}: entries were cut off its end, or removed and the chain rewritten after them, or the file was replaced`;
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
