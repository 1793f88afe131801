import type { DesiredGroup, LiveGroup } from "../model/state.ts";
import { nameFold } from "./align-case.ts";
import type { PlanSink } from "./context.ts";

/**
 * For a group the files name that the read does not return, the live group that holds the entry
 * gatehouse made or changed for it, by the stable id the journal keeps of that entry
 * (ProviderPlanInput.groupIds: OpenLDAP's entryUUID, which no rename changes): renamed by hand, it is
 * that group, renamed back (plan-groups.ts), and its members are judged as the files say (a privileged
 * group's members nobody granted named, not hidden under a name no file has). Only a group `isFree`
 * accepts (in no access file, not taken for another group's former name); one outside the scope read,
 * and a failed lookup, are noted. Asked once per group, only where nothing else found it.
 */
export function groupIdHolder(
  sink: PlanSink,
  groups: readonly LiveGroup[],
  isFree: (name: string) => boolean,
): (want: DesiredGroup) => { readonly name: string; readonly id: string } | undefined {
  const { groupIds, name: provider, capabilities } = sink.input;
  if (groupIds === undefined) return () => undefined;
  const fold = nameFold(capabilities);
  let byName: Map<string, string> | undefined;
  return (want) => {
    const id = groupIds.sought.get(want.name);
    if (id === undefined) return undefined;
    if (groupIds.error !== undefined) {
      sink.note(
        "info",
        `group ${want.name} is not in ${provider}, and looking its entry up by its stable id (${id}) failed (${groupIds.error}): if it was renamed by hand, it was not found, and its members there are not judged against the files; the next plan looks again`,
      );
      return undefined;
    }
    const now = groupIds.holders.get(id);
    if (now === undefined) return undefined; // no entry holds the id: the group is gone
    if (byName === undefined) {
      byName = new Map();
      for (const g of groups) if (!byName.has(fold(g.name))) byName.set(fold(g.name), g.name);
    }
    const name = byName.get(fold(now));
    if (name === undefined) {
      sink.note(
        "unmanaged",
        `the entry gatehouse knew as group ${want.name} is in ${provider} as ${now}, found by its stable id (${id}), outside the scope gatehouse reads: renamed or moved by hand? Its members still hold it, and gatehouse neither reads nor changes them there; move it back, or delete it in ${provider}`,
      );
      return undefined;
    }
    return isFree(name) ? { name, id } : undefined;
  };
}
