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

/** Deterministic order: by provider (config order), phase, then address; a stable sort. */
export function sortChanges(changes: readonly Change[], providerOrder: readonly string[]): Change[] {
  const rank = new Map(providerOrder.map((p, i) => [p, i]));
  // Bucketed by provider and phase first: the sort then only compares addresses, and a first import's
  // two million membership changes arrive in runs already sorted, which the sort merges.
  const buckets = new Map<number, Change[]>();
  for (const change of changes) {
    const key = (rank.get(change.provider) ?? 0) * PHASES + phaseOf(change);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(change);
    else buckets.set(key, [change]);
  }
  const out: Change[] = [];
  for (const key of [...buckets.keys()].sort((a, b) => a - b))
    for (const change of (buckets.get(key) ?? []).sort(byAddress)) out.push(change);
  return out;
}

const PHASES = 7;

function byAddress(a: Change, b: Change): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * `sorted` (sortChanges' order) with each address and action once, the first of each kept: what
 * keeping only the first of each as they were made and sorting then gives, since the sort is stable
 * and equal addresses sit together. Without a set of two million keys.
 */
export function withoutRepeats(sorted: readonly Change[]): Change[] {
  const out: Change[] = [];
  let runStart = 0;
  for (const change of sorted) {
    const previous = out[out.length - 1];
    if (previous?.id !== change.id || previous.provider !== change.provider) runStart = out.length;
    let repeat = false;
    for (let i = runStart; i < out.length && !repeat; i++) repeat = out[i]?.action === change.action;
    if (!repeat) out.push(change);
  }
  return out;
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
