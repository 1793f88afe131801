/**
 * One comment per pull request that is edited in place on every push, found again by a hidden marker, instead
 * of a new comment each time.
 */
import type { Plan } from "../plan/types.ts";
import { redactKnownSecrets } from "../errors.ts";
import { renderMarkdown } from "../render/markdown.ts";
import type { IssueComment, PrClient, RepoRef } from "./github.ts";

/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;
export const PLAN_MARKER = "<!-- gatehouse:plan -->";

/** The comment body: marker, then the plan, cut to its summary (saying where the full plan is) when too long. */
export function composePlanComment(
  plan: Plan,
  options: { fullPlanHint?: string; limit?: number } = {},
): string {
  const room = (options.limit ?? COMMENT_LIMIT) - PLAN_MARKER.length - 1;
  // Posted to GitHub for everyone who can read the pull request: never a credential gatehouse read, in
  // whatever spelling the Markdown gave it.
  const markdown = redactKnownSecrets(
    renderMarkdown(plan, {
      limit: room,
      ...(options.fullPlanHint === undefined ? {} : { fullPlanHint: options.fullPlanHint }),
    }),
  );
  const body = `${PLAN_MARKER}\n${markdown}`;
  // The summary of an enormous plan (thousands of providers) could still be too long: never post what GitHub
  // would refuse.
  if (body.length <= (options.limit ?? COMMENT_LIMIT)) return body;
  const note = `\n\n> The plan does not fit in a comment.${options.fullPlanHint ? ` ${options.fullPlanHint}` : ""}\n`;
  return body.slice(0, room - note.length) + note;
}

export interface StickyResult {
  readonly action: "created" | "updated" | "unchanged";
  readonly commentId: number;
}

/** Whether a comment is ours: it starts with the marker and was written by this token's account (or a bot). */
function isOurs(comment: IssueComment, marker: string, viewer: string | undefined): boolean {
  if (!comment.body.startsWith(marker)) return false;
  return viewer === undefined ? comment.isBot : comment.login.toLowerCase() === viewer.toLowerCase();
}

/** Creates the comment, or edits the earlier one that carries `marker`. */
export async function upsertStickyComment(
  client: PrClient,
  repo: RepoRef,
  pull: number,
  body: string,
  marker: string = PLAN_MARKER,
): Promise<StickyResult> {
  if (!body.startsWith(marker)) throw new Error("a sticky comment body must start with its marker");
  const viewer = await client.viewerLogin();
  const existing = (await client.listComments(repo, pull)).find((c) => isOurs(c, marker, viewer));
  if (!existing) return { action: "created", commentId: await client.createComment(repo, pull, body) };
  if (existing.body === body) return { action: "unchanged", commentId: existing.id };
  await client.updateComment(repo, existing.id, body);
  return { action: "updated", commentId: existing.id };
}
