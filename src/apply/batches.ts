import type { Change } from "../plan/types.ts";
import { phaseOf } from "../plan/order.ts";

/** Splits one provider's changes into phases, and each phase into writes (membership changes batched per group). */
export function planBatches(changes: readonly Change[], maxMembersPerWrite: number): Change[][][] {
  const phases = new Map<number, Change[]>();
  for (const c of changes) {
    const phase = phaseOf(c);
    const list = phases.get(phase);
    if (list) list.push(c);
    else phases.set(phase, [c]);
  }
  return [...phases.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, list]) => {
      const batches: Change[][] = [];
      const byGroup = new Map<string, Change[]>();
      for (const c of list) {
        if (c.kind !== "membership" || maxMembersPerWrite <= 1) {
          batches.push([c]);
          continue;
        }
        let current = byGroup.get(c.group);
        if (!current || current.length >= maxMembersPerWrite) {
          current = [];
          byGroup.set(c.group, current);
          batches.push(current);
        }
        current.push(c);
      }
      return batches;
    });
}

/** Names a change depends on: a membership needs its group (and user) to exist. */
export function dependenciesOf(change: Change): string[] {
  if (change.kind !== "membership") return [];
  const deps = [`group/${change.group}`];
  deps.push(change.memberKind === "group" ? `group/${change.member}` : `user/${change.member}`);
  return deps;
}

/** What a change creates, for dependants to wait on. */
export function createdBy(change: Change): string | undefined {
  if (change.action !== "create") return undefined;
  return change.kind === "user" ? `user/${change.account}` : `group/${change.group}`;
}
