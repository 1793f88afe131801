/**
 * Which commit took a member's line out of the files, for a membership a run removed because the files
 * no longer gave it (reason `removed-from-config`): an access review's close, a pull request, a hand edit.
 * The journal records the run that applied the removal and the commit it applied; the line itself may have
 * left several commits before. Git history is the audit log of intent, so git answers: on the first-parent
 * line from the commit of the run that added the member to the commit of the run that removed it, the last
 * commit after which the file the line was in no longer lists the member in the group.
 */
import type { SimpleGit } from "simple-git";
import { isObj } from "../load/read-data.ts";
import { parseAccessFile } from "../load/parse.ts";
import type { SourceLocation } from "../model/source.ts";
import type { ApprovalsRecord, CommitApproval } from "../pr/approval-record.ts";
import type { Reason } from "../plan/types.ts";
import { gitAt, isFullCommit, withoutDirty } from "./git.ts";
import { groupBlocksOf } from "./review-blocks.ts";

/** The commit that took a member's line out of the files. */
export interface LineRemoval {
  readonly commit: string;
  readonly subject: string;
  readonly author: string;
  /** The commit's committer date (ISO 8601). */
  readonly committedAt: string;
  /** Its pull request and approvals, when the run that removed the member recorded them. */
  readonly approval?: CommitApproval;
  /**
   * The access review the member was pending in (not re-certified) just before: `closed` when that commit
   * also ended the review (`gatehouse review close` revoking what nobody re-certified), `revoked` when the
   * review stayed open (its owners took the line out while reviewing).
   */
  readonly review?: { readonly due: string; readonly by: "closed" | "revoked" };
}

/** What a file says of a group at one commit: the users it lists, and the review under way. */
interface GroupAt {
  readonly users: ReadonlySet<string>;
  readonly review?: { readonly due: string; readonly pending: ReadonlySet<string> };
}

/** A stretch of membership as `journal access` holds it: what is needed to look its removal up. */
interface Removed {
  readonly member: string;
  readonly memberKind: "user" | "group";
  readonly userId?: string;
  readonly source?: SourceLocation;
  /** The commit of the run that added it. */
  readonly commit?: string;
  readonly endedBy?: {
    readonly reason: Reason;
    readonly commit?: string;
    readonly approvals?: ApprovalsRecord;
  };
}

/** Files read per removal at most: a line removed and put back many times between two runs is left. */
const MAX_READS = 32;

/**
 * The LineRemoval of each removed member (by object) whose group, in the file its line was added in, stops
 * listing it at a commit git can find; `names` are the names the group had. Members whose removal cannot
 * be placed (no repository, a shallow clone, a file moved, another reason) are left out.
 */
export async function lineRemovalsOf<M extends Removed>(
  cwd: string,
  members: readonly M[],
  names: ReadonlySet<string>,
): Promise<Map<M, LineRemoval>> {
  const out = new Map<M, LineRemoval>();
  const wanted = members.filter(
    (m) =>
      m.memberKind === "user" &&
      m.endedBy?.reason === "removed-from-config" &&
      m.source !== undefined &&
      isFullCommit(withoutDirty(m.commit ?? "")) &&
      isFullCommit(withoutDirty(m.endedBy.commit ?? "")),
  );
  if (wanted.length === 0) return out;
  const git = await gitAt(cwd);
  const lists = new Map<string, GroupAt | undefined>();
  /** The group (under any of its names) in the file at `commit`; undefined: unreadable. */
  const listed = async (commit: string, file: string): Promise<GroupAt | undefined> => {
    const key = `${commit}\n${file}`;
    if (!lists.has(key)) lists.set(key, await groupAt(git, commit, file, names));
    return lists.get(key);
  };
  for (const m of wanted) {
    const file = m.source?.file ?? "";
    const from = withoutDirty(m.commit ?? "");
    const to = withoutDirty(m.endedBy?.commit ?? "");
    const user = m.userId ?? m.member;
    // Both runs applied the same commit: the files did not change in between (the line left uncommitted).
    if (from === to) continue;
    const range = await git
      .raw(["rev-list", "--first-parent", `${from}..${to}`, "--", file])
      .catch(() => undefined);
    if (range === undefined) continue;
    // Newest first: the last commit after which the file stopped listing the member is the one that did it.
    const commits = range.split("\n").filter((c) => c !== "");
    let removedAt: string | undefined;
    for (const commit of commits.slice(0, MAX_READS)) {
      const at = await listed(commit, file);
      if (at === undefined) break;
      if (at.users.has(user)) break;
      removedAt = commit;
    }
    if (removedAt === undefined) continue;
    // The commit before it on the first-parent line still listed the member: else the line left earlier.
    const before = await git.raw(["rev-parse", "--verify", "--quiet", `${removedAt}^1`]).catch(() => "");
    const previous = before.trim() === "" ? undefined : await listed(before.trim(), file);
    if (previous?.users.has(user) !== true) continue;
    const review = reviewOf(user, previous, await listed(removedAt, file));
    const shown = await git.show(["-s", "--format=%an%x00%cI%x00%s", removedAt]).catch(() => undefined);
    if (shown === undefined) continue;
    const [author = "", committedAt = "", subject = ""] = shown.trim().split("\0");
    const approval = m.endedBy?.approvals?.commits.find((c) => c.commit === removedAt);
    out.set(m, {
      commit: removedAt,
      subject,
      author,
      committedAt,
      ...(approval === undefined ? {} : { approval }),
      ...(review === undefined ? {} : { review }),
    });
  }
  return out;
}

/**
 * The review a member's line left in: they were pending in it just before (not re-certified), and the
 * commit that took the line out either ended that review (its close) or left it open (the owners revoked).
 */
function reviewOf(user: string, before: GroupAt, after: GroupAt | undefined): LineRemoval["review"] {
  const review = before.review;
  if (review?.pending.has(user) !== true) return undefined;
  return { due: review.due, by: after?.review?.due === review.due ? "revoked" : "closed" };
}

/** The group called one of `names` in `file` at `commit`; undefined when the file cannot be read. */
async function groupAt(
  git: SimpleGit,
  commit: string,
  file: string,
  names: ReadonlySet<string>,
): Promise<GroupAt | undefined> {
  const text = await git.show([`${commit}:./${file}`]).catch(() => undefined);
  if (text === undefined) return { users: new Set() };
  const parsed = parseAccessFile(file, Buffer.from(text, "utf8"));
  const data = parsed.document?.data;
  if (!isObj(data)) return undefined;
  const users = new Set<string>();
  let review: GroupAt["review"];
  for (const group of groupBlocksOf(data)) {
    if (!names.has(group.name)) continue;
    for (const user of group.users) users.add(user);
    if (group.review !== undefined)
      review = { due: group.review.due, pending: new Set(group.review.pending) };
  }
  return review === undefined ? { users } : { users, review };
}
