/**
 * The journal as the repository kept it (the `gatehouse-journal` branch, scripts/journal-branch.sh): every
 * commit of the branch must hold the journal of the commit before it, plus entries at its end, and the
 * journal here must begin with the branch's last one. A rewrite that re-hashed the whole chain passes
 * `journal verify` on a fresh clone (nothing outside the file to check it against); it does not pass this,
 * unless the branch's history was rewritten too, which branch protection (no force pushes) refuses.
 */
import { ConfigError } from "../errors.ts";
import { firstParentLine, listFiles, readBlobs, type TreeEntry } from "../pr/git-tree.ts";

/** The journal's pieces at one commit, in order: `journal.jsonl` whole, or `journal.jsonl.0000`, ... */
function piecesOf(files: readonly TreeEntry[]): TreeEntry[] {
  const whole = files.find((f) => f.path === "journal.jsonl");
  if (whole !== undefined) return [whole];
  return files
    .filter((f) => /^journal\.jsonl\.\d{4,}$/.test(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The bytes of each of `blobs`, in order, read by one git process. One comparison's blobs, not the whole
 * history's at once: that would hold every version of the last piece (up to 50 MB each) in memory
 * together, where a comparison needs two.
 */
async function readInOrder(cwd: string, blobs: readonly string[]): Promise<Buffer[]> {
  const read = await readBlobs(cwd, blobs);
  return blobs.map((blob) => {
    const bytes = read.get(blob);
    if (bytes === undefined) throw new ConfigError(`git cat-file: no blob ${blob}`);
    return bytes;
  });
}

export interface HistoryProblem {
  /** The branch commit where the journal stopped being an extension of the one before. */
  readonly commit: string;
  readonly message: string;
}

export interface JournalHistory {
  /** Commits of the branch read. */
  readonly commits: number;
  /** Bytes of the journal at the branch's last commit. */
  readonly bytes: number;
  readonly problems: readonly HistoryProblem[];
}

/**
 * Checks that each commit of `revision`'s first-parent line holds the journal of the one before with only
 * bytes added at its end, and that `current` (the journal here) begins with the last one. Pieces that the
 * previous commit had before its last one must be the same blobs (git stores them once); only the last
 * piece, and the whole when the layout changed, are read. A last commit holding no journal is a problem.
 */
export async function verifyJournalHistory(
  cwd: string,
  revision: string,
  current: Buffer,
): Promise<JournalHistory> {
  const problems: HistoryProblem[] = [];
  let previous: { commit: string; pieces: TreeEntry[] } | undefined;
  let commits = 0;
  const whole = async (pieces: readonly TreeEntry[]): Promise<Buffer> => {
    const blobs = pieces.map((p) => p.blob);
    return Buffer.concat(await readInOrder(cwd, blobs));
  };
  for (const commit of await firstParentLine(cwd, revision)) {
    commits++;
    const pieces = piecesOf(await listFiles(cwd, commit, "."));
    if (previous !== undefined && !(await isExtension(previous.pieces, pieces, cwd, whole)))
      problems.push({
        commit,
        message: `the journal at ${commit.slice(0, 12)} is not the journal at ${previous.commit.slice(0, 12)} with entries added at its end: entries were removed, edited or reordered there`,
      });
    previous = { commit, pieces };
  }
  // A revision whose last commit holds no journal (another branch named by mistake, or the pieces kept
  // elsewhere in its tree) proves nothing: every comparison of nothing with nothing holds.
  if (previous?.pieces.length === 0)
    problems.push({
      commit: previous.commit,
      message: `${previous.commit.slice(0, 12)} holds no journal (journal.jsonl, or journal.jsonl.0000 and on, at the top of its tree): is ${revision} the branch the journal is kept on (scripts/journal-branch.sh)?`,
    });
  const last = previous === undefined ? Buffer.alloc(0) : await whole(previous.pieces);
  if (previous !== undefined && !isPrefix(last, current))
    problems.push({
      commit: previous.commit,
      message:
        current.length < last.length
          ? `the journal here is shorter than the one the branch kept at ${previous.commit.slice(0, 12)} (${String(current.length)} bytes, against ${String(last.length)}): entries were cut off or removed`
          : `the journal here does not begin with the one the branch kept at ${previous.commit.slice(0, 12)}: entries were removed, edited or reordered`,
    });
  return { commits, bytes: last.length, problems };
}

function isPrefix(head: Buffer, of: Buffer): boolean {
  return head.length <= of.length && of.subarray(0, head.length).equals(head);
}

/** Whether `next` holds `before` with bytes added at its end, reading as little as the blob ids allow. */
async function isExtension(
  before: readonly TreeEntry[],
  next: readonly TreeEntry[],
  cwd: string,
  whole: (pieces: readonly TreeEntry[]) => Promise<Buffer>,
): Promise<boolean> {
  const isPieces = (p: readonly TreeEntry[]) => p.every((e) => e.path !== "journal.jsonl");
  if (isPieces(before) && isPieces(next) && next.length >= before.length) {
    const lastIndex = before.length - 1;
    // The pieces before the last are full: the same blobs, or something changed inside them.
    if (before.slice(0, Math.max(0, lastIndex)).some((p, i) => next[i]?.blob !== p.blob)) return false;
    const lastBefore = before[lastIndex];
    const lastNext = next[lastIndex];
    if (lastBefore === undefined || lastNext === undefined) return true;
    if (lastBefore.blob === lastNext.blob) return true;
    const [bytesBefore, bytesNext] = await readInOrder(cwd, [lastBefore.blob, lastNext.blob]);
    return bytesBefore !== undefined && bytesNext !== undefined && isPrefix(bytesBefore, bytesNext);
  }
  // Whole file, or the layout changed: compare the journals whole.
  return isPrefix(await whole(before), await whole(next));
}
