import type { Change } from "../plan/types.ts";
import { phaseOf } from "../plan/order.ts";
import { renamedUserTo } from "../plan/addresses.ts";

/** The manager a user create or update points at, when it has one. */
function managerOf(change: Change): string | undefined {
  return change.kind === "user" && (change.action === "create" || change.action === "update")
    ? change.after.manager
    : undefined;
}

/**
 * Splits a phase into waves so that a person is written after the manager their entry refers to,
 * when that manager is being created in the same run (directories resolve the manager's DN or id).
 */
function splitByManager(batches: Change[][]): Change[][][] {
  const created = new Map<string, Change>();
  for (const batch of batches)
    for (const c of batch) {
      const account = accountMadeBy(c);
      if (account !== undefined) created.set(account, c);
    }
  if (created.size === 0) return [batches];
  const depth = new Map<string, number>();
  const depthOf = (account: string, seen: Set<string>): number => {
    const known = depth.get(account);
    if (known !== undefined) return known;
    const change = created.get(account);
    const manager = change ? managerOf(change) : undefined;
    // A manager cycle cannot be ordered: those entries go in the same wave.
    const d =
      manager !== undefined && created.has(manager) && !seen.has(manager)
        ? 1 + depthOf(manager, new Set(seen).add(account))
        : 0;
    depth.set(account, d);
    return d;
  };
  const waves: Change[][][] = [];
  for (const batch of batches) {
    const first = batch[0];
    const manager = first ? managerOf(first) : undefined;
    const wave =
      manager !== undefined && created.has(manager)
        ? 1 +
          depthOf(manager, new Set([first?.kind === "user" ? (renamedUserTo(first) ?? first.account) : ""]))
        : 0;
    (waves[wave] ??= []).push(batch);
  }
  return waves.filter((w) => w.length > 0);
}

/**
 * The account created (or renamed into) in these changes for each person (by user id): where someone's
 * account changes (a new e-mail under `accountName: email`), the changes to their old one wait for it
 * (successorOf).
 */
export function createdAccounts(changes: readonly Change[]): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const c of changes) {
    const account = accountMadeBy(c);
    if (account !== undefined && c.userId !== undefined) out.set(c.userId, account);
  }
  return out;
}

/**
 * The account replacing the one a change takes something from (its disable, or a membership of it), when
 * that person's new account is created in the same run: the old one keeps its access until then.
 */
function successorOf(change: Change, created: ReadonlyMap<string, string>): string | undefined {
  if (change.userId === undefined) return undefined;
  const takes =
    (change.kind === "user" &&
      change.action !== "create" &&
      change.action !== "enable" &&
      change.action !== "update") ||
    (change.kind === "membership" && change.action === "remove" && change.memberKind === "user");
  if (!takes) return undefined;
  const next = created.get(change.userId);
  const account = change.kind === "user" ? change.account : change.member;
  return next !== undefined && next !== account ? next : undefined;
}

/** After memberships, before group deletes: an old account's disable runs once its successor exists. */
const AFTER_SUCCESSOR = 4;

/** Splits one provider's changes into phases, and each phase into writes (membership changes batched per group). */
export function planBatches(
  changes: readonly Change[],
  maxMembersPerWrite: number,
  isWholePhase = false,
): Change[][][] {
  const created = createdAccounts(changes);
  const phases = new Map<number, Change[]>();
  for (const c of changes) {
    const phase = c.kind === "user" && successorOf(c, created) !== undefined ? AFTER_SUCCESSOR : phaseOf(c);
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
    })
    .flatMap(splitByManager)
    .map((wave) => (isWholePhase ? [wave.flat()] : wave));
}

/** Names a change depends on: a membership needs its group (and user) to exist; a person, their manager. */
export function dependenciesOf(change: Change, created: ReadonlyMap<string, string> = new Map()): string[] {
  const successor = successorOf(change, created);
  const after = successor === undefined ? [] : [`user/${successor}`];
  if (after.length > 0 && change.kind === "user") return after;
  const manager = managerOf(change);
  if (manager !== undefined) return [`user/${manager}`];
  // A group replaced by a new one (no rename in place) goes only once its successor was created.
  if (change.kind === "group" && change.action === "delete" && change.replacedBy !== undefined)
    return [`group/${change.replacedBy}`];
  if (change.kind !== "membership") return [];
  const deps = [`group/${change.group}`, ...after];
  deps.push(change.memberKind === "group" ? `group/${change.member}` : `user/${change.member}`);
  return deps;
}

/** The account a change makes: a new one, or one renamed in place (under its new name). */
function accountMadeBy(change: Change): string | undefined {
  if (change.kind !== "user") return undefined;
  return change.action === "create" ? change.account : renamedUserTo(change);
}

/** What a change creates (an account renamed in place is created under its new name), for dependants to wait on. */
export function createdBy(change: Change): string | undefined {
  const account = accountMadeBy(change);
  if (account !== undefined) return `user/${account}`;
  return change.kind === "group" && change.action === "create" ? `group/${change.group}` : undefined;
}
