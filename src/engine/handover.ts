/**
 * `gatehouse handover`: the owners who have left hand their groups over to their managers (PRODUCT.md's
 * kill chain: "transfer ownership of resources to the manager"). A leaver's own offboarding never waits
 * for it: this runs on the files once the leaver is in them as such, and its edit goes through a pull
 * request of its own, since an owner approves changes to the group (and, with `maintainers: owners`,
 * maintains its GitHub team): the group's other owners, or the admins, approve the successor.
 */
import type { AccessModel, Group, User } from "../model/access.ts";
import type { SourceLocation } from "../model/source.ts";
import { hasNotStarted, isTerminated } from "../lifecycle/status.ts";
import { isSeq, isScalar } from "../load/yaml-lib.ts";
import { yamlScalar } from "./member-yaml.ts";
import type { YAMLSeq } from "yaml";
import { groupBy } from "../model/lists.ts";
import { editGroups, EditProblem, groupData, namedGroup, type ReviewEditResult } from "./review-edit.ts";
import { afterLine, dashOf, lineStart, rangeOf, stringOf, type TextCut } from "./yaml-text.ts";

/** What becomes of one owner who has left, in one group. */
export interface Handover {
  readonly group: string;
  /** The file defining the group, as the model names it. */
  readonly file: string;
  /** Where the leaver is listed among the group's owners. */
  readonly source: SourceLocation;
  readonly leaver: string;
  /**
   * `replace`: `successor` takes the leaver's place in the list. `drop`: the leaver leaves the list, since
   * `successor` owns it already, or (no successor) other owners who are here stay. `keep`: nobody up the
   * leaver's manager chain is here and no other owner is: the list stays until someone names an owner.
   */
  readonly action: "replace" | "drop" | "keep";
  /** The first person up the leaver's manager chain who is here (started, not on leave, not left). */
  readonly successor?: string;
}

/** Whether `user` can take a group over now: started, not on leave, not left. */
function isHere(user: User, now: Date): boolean {
  return user.status === "active" && !isTerminated(user, now) && !hasNotStarted(user, now);
}

/**
 * The first person up `leaver`'s manager chain who is here: their manager, else that manager's, and so
 * on (a chain that loops, or names someone not in the files, ends the search).
 */
export function successorOf(model: AccessModel, leaver: User, now: Date): User | undefined {
  const seen = new Set<string>([leaver.id]);
  for (let id = leaver.manager; id !== undefined && !seen.has(id);) {
    seen.add(id);
    const manager = model.users.get(id);
    if (manager === undefined) return undefined;
    if (isHere(manager, now)) return manager;
    id = manager.manager;
  }
  return undefined;
}

/** The handovers of one group: each of its owners who has left, in list order. */
function handoversOf(model: AccessModel, group: Group, now: Date): Handover[] {
  // Each once: an owner listed twice is handed over once (both places take the same successor).
  const leavers = [...new Set(group.owners)].filter((id) => {
    const user = model.users.get(id);
    return user !== undefined && isTerminated(user, now);
  });
  if (leavers.length === 0) return [];
  // Owners staying, and the successors named so far: a successor listed already is not listed twice.
  const owners = new Set(group.owners.filter((id) => !leavers.includes(id)));
  const out: Handover[] = [];
  for (const id of leavers) {
    const user = model.users.get(id);
    if (user === undefined) continue;
    const index = group.owners.indexOf(id);
    const base = {
      group: group.name,
      file: group.source.file,
      source: group.ownerSources?.[index] ?? group.source,
      leaver: id,
    };
    const successor = successorOf(model, user, now);
    if (successor !== undefined && !owners.has(successor.id)) {
      owners.add(successor.id);
      out.push({ ...base, action: "replace", successor: successor.id });
    } else if (successor !== undefined) out.push({ ...base, action: "drop", successor: successor.id });
    else out.push({ ...base, action: "keep" });
  }
  // Without a successor a leaver leaves the list only when someone here stays on it (not an owner on
  // leave or not started yet: the list would then name nobody who can approve, and no output would say so).
  const hasOwnerHere = [...owners].some((id) => {
    const user = model.users.get(id);
    return user === undefined || isHere(user, now);
  });
  return out.map((h) => (h.action === "keep" && hasOwnerHere ? { ...h, action: "drop" } : h));
}

/** Every group's handovers, in model order. */
export function planHandovers(model: AccessModel, now: Date): Handover[] {
  return [...model.groups.values()].flatMap((group) => handoversOf(model, group, now));
}

/** A group's handovers by leaver. */
type ByLeaver = ReadonlyMap<string, Handover>;

/** The owners list as the handovers leave it. */
function ownersAfter(owners: readonly string[], byLeaver: ByLeaver): string[] {
  const out: string[] = [];
  for (const id of owners) {
    const h = byLeaver.get(id);
    if (h === undefined || h.action === "keep") out.push(id);
    else if (h.action === "replace" && h.successor !== undefined) out.push(h.successor);
  }
  return out;
}

/**
 * `text` with the handovers of its groups made in their `owners` lists: a successor written in the
 * leaver's place (the scalar only: quotes and comments around it stay), a dropped leaver's line taken out
 * of a block list, a flow list a leaver leaves written again in flow style. The file is parsed once, and the edited text
 * must read as exactly the old data with only those owners changed, or nothing is returned but the reason.
 */
export function handoverText(file: string, text: string, handovers: readonly Handover[]): ReviewEditResult {
  const byGroup = groupBy(
    handovers.filter((h) => h.action !== "keep"),
    (h) => h.group,
  );
  return editGroups(
    file,
    text,
    ({ byName, expected, cuts }) => {
      for (const [name, list] of byGroup) {
        const { node, index } = namedGroup(byName, name);
        const seq = node.items.find((p) => stringOf(p.key) === "owners")?.value;
        if (!isSeq(seq)) throw new EditProblem(`group "${name}" has no owners list`, node);
        const owners = seq.items.map((item) => stringOf(item));
        if (owners.some((id) => id === undefined))
          throw new EditProblem(`group "${name}" lists an owner that is not a name`, seq);
        const byLeaver = new Map(list.map((h) => [h.leaver, h]));
        const after = ownersAfter(owners as string[], byLeaver);
        groupData(expected, index)["owners"] = after;
        cuts.push(...ownerCuts(text, seq, name, byLeaver, after));
      }
    },
    "owners",
  );
}

/** The cuts that make a group's owners list `after`. */
function ownerCuts(
  text: string,
  seq: YAMLSeq,
  name: string,
  byLeaver: ByLeaver,
  after: readonly string[],
): TextCut[] {
  // A flow list is written again only where a leaver leaves it; a successor alone is written in place.
  if (seq.flow === true && [...byLeaver.values()].some((h) => h.action !== "replace")) {
    const range = rangeOf(seq);
    if (range === undefined)
      throw new EditProblem(`group "${name}": its owners list has no place in the text`);
    return [{ start: range[0], end: range[1], insert: `[${after.map(yamlScalar).join(", ")}]` }];
  }
  const cuts: TextCut[] = [];
  for (const item of seq.items) {
    const h = byLeaver.get(stringOf(item) ?? "");
    const range = rangeOf(item);
    if (h === undefined || !isScalar(item) || range === undefined) continue;
    if (h.action === "replace" && h.successor !== undefined) {
      cuts.push({ start: range[0], end: range[1], insert: yamlScalar(h.successor) });
      continue;
    }
    if (dashOf(text, item) === undefined)
      throw new EditProblem(
        `group "${name}": owner ${h.leaver} is laid out in a way handover does not edit`,
        item,
      );
    cuts.push({ start: lineStart(text, range[0]), end: afterLine(text, range[1]) });
  }
  return cuts;
}
