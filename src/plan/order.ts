import type { Change, PlanSummary } from "./types.ts";

/**
 * Execution phase of a change. Leavers are cut off first (the kill chain: disable, revoke), then
 * objects are created, members added and removed (one write per group), and objects deleted last.
 */
export function phaseOf(change: Change): number {
  switch (change.kind) {
    case "user":
      switch (change.action) {
        case "disable":
        case "revoke-sessions":
          return 0;
        case "create":
        case "enable":
        case "update":
          return 1;
        case "delete":
          return 6;
      }
      break;
    case "group":
      switch (change.action) {
        case "create":
        case "update":
          return 2;
        case "delete":
          return 5;
      }
      break;
    case "membership":
      // Additions and removals share a phase so one write per group can carry both.
      return 3;
  }
}

/** Deterministic order: by provider (config order), phase, then address. */
export function sortChanges(changes: readonly Change[], providerOrder: readonly string[]): Change[] {
  const rank = new Map(providerOrder.map((p, i) => [p, i]));
  return [...changes].sort(
    (a, b) =>
      (rank.get(a.provider) ?? 0) - (rank.get(b.provider) ?? 0) ||
      phaseOf(a) - phaseOf(b) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function actionKey(change: Change): string {
  return `${change.kind}.${change.action}`;
}

export function summarize(changes: readonly Change[]): PlanSummary {
  const byAction: Record<string, number> = {};
  let broadens = 0;
  let narrows = 0;
  for (const c of changes) {
    const key = actionKey(c);
    byAction[key] = (byAction[key] ?? 0) + 1;
    if (c.risk === "broadens") broadens++;
    else if (c.risk === "narrows") narrows++;
  }
  return { changes: changes.length, broadens, narrows, byAction };
}
