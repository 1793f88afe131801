/**
 * The lines of `journal access` for the people who held a group through the groups it nests, at an instant
 * or over a window (audit/nested-access.ts).
 */
import type { HeldThroughStretch } from "../../audit/access-during.ts";
import type { LineCommit } from "../../audit/line-approvals.ts";
import type { HeldThrough, NestedGroup } from "../../audit/nested-access.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { heldLines } from "./journal-access-text.ts";

/**
 * The people holding `group` (its name, as the answer says it) through nested groups, and the nested
 * groups whose members the journal cannot tell. `end` is the instant asked about (a window's end).
 */
export function throughLines(
  group: string,
  answer: {
    readonly through: readonly (HeldThrough | HeldThroughStretch)[];
    readonly nested: readonly NestedGroup[];
  },
  end: string,
  isWindow: boolean,
  lineCommits: { get(member: HeldThrough): LineCommit | undefined },
): string[] {
  if (answer.nested.length === 0) return [];
  const people = new Set(answer.through.map((t) => t.member)).size;
  const lines = [
    `  and ${String(people)} member(s) holding it through the ${String(answer.nested.length)} group(s) it nests${isWindow ? " at some moment of the window" : ""}, as gatehouse applied their memberships of them (each with the nested group's own line, then the way in):`,
  ];
  for (const t of answer.through) {
    const to = "to" in t ? t.to : undefined;
    lines.push(
      ...heldLines(
        t,
        end,
        isWindow ? (to === undefined ? {} : { to }) : undefined,
        lineCommits.get(t),
        undefined,
        { group, held: t },
      ),
    );
  }
  // A nested group gatehouse had not changed by then: its members, and so who held the group through it,
  // are in no entry.
  for (const n of answer.nested.filter((x) => !x.isKnown))
    lines.push(
      inlineText(
        `  ? group ${n.group}${n.within.length === 0 ? "" : ` (in ${n.within.join(" in ")})`}: gatehouse had not changed its members by then, so who held ${group} through it, the journal cannot tell`,
      ),
    );
  return lines;
}
