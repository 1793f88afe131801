/**
 * The members a run finds holding a group when gatehouse first manages the group's members in a system:
 * the live members the journal has no add by gatehouse for. Apply records them (`adopted` entries) so
 * that `journal access` can name who held the group before gatehouse, and since when at the latest.
 */
import { membershipAddress } from "../plan/addresses.ts";
import type { ProviderPlanInput } from "../plan/context.ts";
import type { JournalFold } from "../audit/journal-fold.ts";
import { compareText } from "../model/lists.ts";

/** One group's holders from before gatehouse, as an apply records them (AdoptedData, without the run). */
export interface Adoption {
  readonly provider: string;
  /** The group's name as the system holds it (a former name the plan renames, as the rename moves it). */
  readonly group: string;
  readonly members: readonly string[];
  readonly groupMembers: readonly string[];
  /**
   * Runs of a gatehouse that did not record adoptions read this system before, and none that does
   * (AdoptedData.late): the group may have been managed, and hand-edited, since.
   */
  readonly isLate: boolean;
}

const sorted = (names: Iterable<string>): string[] => [...names].sort(compareText);

/**
 * The adoptions an apply of `input` records: every group whose members the files manage in that system
 * and the journal has no record of (JournalFold.adopted), as the read found it. A system in observe mode
 * is not managed, and a group the system does not hold yet is made by gatehouse (no one held it before).
 * Costs one lookup per live membership of such groups, and nothing for a group on record already.
 */
export function adoptionsOf(
  input: Pick<ProviderPlanInput, "name" | "mode" | "desired" | "live">,
  journal: Pick<JournalFold, "managed" | "adopted" | "adoptingProviders" | "providersRun">,
): Adoption[] {
  if (input.mode === "observe") return [];
  const provider = input.name;
  const live = new Map(input.live.groups.map((g) => [g.name, g]));
  const isLate = journal.providersRun.has(provider) && !journal.adoptingProviders.has(provider);
  const found: Adoption[] = [];
  const seen = new Set<string>();
  for (const group of input.desired.groups.values()) {
    if (!group.managesMembers) continue;
    // Held under its name, or under a former one that the plan renames.
    const held = [group.name, ...(group.formerNames ?? [])]
      .map((name) => live.get(name))
      .find((g) => g !== undefined);
    if (held === undefined || seen.has(held.name)) continue;
    seen.add(held.name);
    if (journal.adopted.has(`${provider}\n${held.name}`)) continue;
    // Without any membership on record (no journal yet), no address is made for the question.
    const isGatehouses = (member: string, kind: "user" | "group"): boolean =>
      journal.managed.size > 0 && journal.managed.has(membershipAddress(provider, held.name, member, kind));
    found.push({
      provider,
      group: held.name,
      members: sorted(held.members.filter((m) => !isGatehouses(m, "user"))),
      groupMembers: sorted((held.groupMembers ?? []).filter((m) => !isGatehouses(m, "group"))),
      isLate,
    });
  }
  return found;
}
