import type { Change } from "../plan/types.ts";
import { phaseOf } from "../plan/order.ts";
import { renamedUserTo } from "../plan/addresses.ts";
import { memberWrites } from "../plan/member-writes.ts";

/** The manager a user create or update points at, when it has one. */
function managerOf(change: Change): string | undefined {
  return change.kind === "user" && (change.action === "create" || change.action === "update")
    ? change.after.manager
    : undefined;
}

/**
 * The accounts a change waits for among those `made` in this run: the manager its entry refers to
 * (directories resolve the manager's DN or id), and for a change that makes an account (a create, or a
 * rename into it), the account renamed away from that name in this run (the name is free only then).
 */
function awaitedAccounts(change: Change, made: ReadonlyMap<string, Change>, run: RunAccounts): string[] {
  const out: string[] = [];
  const manager = managerOf(change);
  if (manager !== undefined && made.has(manager)) out.push(manager);
  const account = accountMadeBy(change);
  const freedBy = account === undefined ? undefined : run.vacated.get(account);
  if (freedBy !== undefined && made.has(freedBy)) out.push(freedBy);
  return out;
}

/**
 * How many waves must run before `start`'s: one more than the deepest of the changes it waits for
 * (`before`), each worked out once into `depth`. A cycle cannot be ordered: those changes share a wave.
 * Depth first without recursion, with one set of the changes on the path: a chain of renames can be as
 * long as an HR export that shifted every address by one.
 */
function wavesBefore(start: Change, depth: Map<Change, number>, before: (c: Change) => Change[]): number {
  const known = depth.get(start);
  if (known !== undefined) return known;
  const onPath = new Set<Change>([start]);
  const stack = [{ change: start, waits: before(start), next: 0, d: 0 }];
  for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
    const waited = top.waits[top.next++];
    if (waited !== undefined) {
      const d = depth.get(waited);
      if (d !== undefined) top.d = Math.max(top.d, d + 1);
      else if (!onPath.has(waited)) {
        onPath.add(waited);
        stack.push({ change: waited, waits: before(waited), next: 0, d: 0 });
      }
      continue;
    }
    stack.pop();
    onPath.delete(top.change);
    depth.set(top.change, top.d);
    const parent = stack.at(-1);
    if (parent) parent.d = Math.max(parent.d, top.d + 1);
  }
  return depth.get(start) ?? 0;
}

/**
 * Splits a phase into waves so that a change is written after the accounts it waits for
 * (awaitedAccounts) are made, when they are made in the same run.
 */
function splitByAccounts(batches: Change[][], run: RunAccounts): Change[][][] {
  const made = new Map<string, Change>();
  for (const batch of batches)
    for (const c of batch) {
      const account = accountMadeBy(c);
      if (account !== undefined) made.set(account, c);
    }
  if (made.size === 0) return [batches];
  const depth = new Map<Change, number>();
  const depthOf = (change: Change): number =>
    wavesBefore(change, depth, (c) => awaitedAccounts(c, made, run).flatMap((a) => made.get(a) ?? []));
  const waves: Change[][][] = [];
  for (const batch of batches) {
    const first = batch[0];
    const wave = first === undefined ? 0 : depthOf(first);
    (waves[wave] ??= []).push(batch);
  }
  return waves.filter((w) => w.length > 0);
}

/** What a run's changes do to account names, for the changes that wait on them (runAccounts). */
export interface RunAccounts {
  /**
   * The account created (or renamed into) for each person (by user id): where someone's account changes
   * (a new e-mail under `accountName: email`), the changes to their old one wait for it (successorOf).
   */
  readonly byPerson: ReadonlyMap<string, string>;
  /**
   * Names accounts are renamed away from → their new names: a create of such a name, or a rename into
   * it (an e-mail address passed on to someone else), waits for that rename.
   */
  readonly vacated: ReadonlyMap<string, string>;
  /**
   * Accounts disabled in favour of one this run creates (a disable's `replacedBy`, where that account is
   * created here) → that account: their disable and removals from groups wait for it.
   */
  readonly replaced: ReadonlyMap<string, string>;
  /**
   * Accounts that replace another in this run (successorOf) → the memberships added to them here
   * (createdBy's names): the old account is disabled only once the new one holds its groups.
   */
  readonly successorAdds: ReadonlyMap<string, readonly string[]>;
}

const NO_ACCOUNTS: RunAccounts = {
  byPerson: new Map(),
  vacated: new Map(),
  replaced: new Map(),
  successorAdds: new Map(),
};

export function runAccounts(changes: readonly Change[]): RunAccounts {
  const byPerson = new Map<string, string>();
  const vacated = new Map<string, string>();
  const made = new Set<string>();
  for (const c of changes) {
    const account = accountMadeBy(c);
    if (account !== undefined) made.add(account);
    if (account !== undefined && c.userId !== undefined) byPerson.set(c.userId, account);
    const renamedTo = renamedUserTo(c);
    if (renamedTo !== undefined && c.kind === "user") vacated.set(c.account, renamedTo);
  }
  const replaced = new Map<string, string>();
  for (const c of changes)
    if (c.kind === "user" && c.action === "disable" && c.replacedBy !== undefined && made.has(c.replacedBy))
      replaced.set(c.account, c.replacedBy);
  const accounts = { byPerson, vacated, replaced, successorAdds: new Map<string, string[]>() };
  const successors = new Set<string>();
  for (const c of changes) {
    const successor = successorOf(c, accounts);
    if (successor !== undefined) successors.add(successor);
  }
  if (successors.size > 0)
    for (const c of changes) {
      if (c.kind !== "membership" || c.action !== "add" || !successors.has(c.member)) continue;
      const adds = accounts.successorAdds.get(c.member);
      const added = createdBy(c);
      if (added === undefined) continue;
      if (adds) adds.push(added);
      else accounts.successorAdds.set(c.member, [added]);
    }
  return accounts;
}

/**
 * The account replacing the one a change takes something from (its disable, or a membership of it), when
 * that person's new account is created in the same run: the old one keeps its access until then.
 */
function successorOf(change: Change, run: RunAccounts): string | undefined {
  const takes =
    (change.kind === "user" &&
      change.action !== "create" &&
      change.action !== "enable" &&
      change.action !== "update") ||
    (change.kind === "membership" && change.action === "remove" && change.memberKind === "user");
  if (!takes) return undefined;
  const account = change.kind === "user" ? change.account : change.member;
  const next = change.userId === undefined ? run.replaced.get(account) : run.byPerson.get(change.userId);
  return next !== undefined && next !== account ? next : undefined;
}

/**
 * After memberships, before group deletes: an old account's disable runs once its successor exists, and
 * its removal from a group the successor takes over once that add is made (in a write of its own, so
 * the add is made first even where each membership is one call, made concurrently).
 */
const AFTER_SUCCESSOR = 4;

function waitsForSuccessor(change: Change, run: RunAccounts): boolean {
  if (change.kind === "membership") return change.action === "remove" && change.replacedBy !== undefined;
  return change.kind === "user" && successorOf(change, run) !== undefined;
}

/** Splits one provider's changes into phases, and each phase into writes (membership changes batched per group). */
export function planBatches(
  changes: readonly Change[],
  maxMembersPerWrite: number,
  isWholePhase = false,
): Change[][][] {
  const run = runAccounts(changes);
  const phases = new Map<number, Change[]>();
  for (const c of changes) {
    const phase = waitsForSuccessor(c, run) ? AFTER_SUCCESSOR : phaseOf(c);
    const list = phases.get(phase);
    if (list) list.push(c);
    else phases.set(phase, [c]);
  }
  return [...phases.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, list]) => memberWrites(list, maxMembersPerWrite))
    .flatMap((batches) => splitByAccounts(batches, run))
    .map((wave) => (isWholePhase ? [wave.flat()] : wave));
}

/**
 * Names a change depends on: a membership needs its group (and user) to exist; a person, their manager;
 * an account made under a name another account is renamed away from in this run, that rename.
 */
export function dependenciesOf(change: Change, run: RunAccounts = NO_ACCOUNTS): string[] {
  const successor = successorOf(change, run);
  const after = successor === undefined ? [] : [`user/${successor}`];
  // The old account itself goes once the new one exists and holds the groups added to it here.
  if (successor !== undefined && change.kind === "user")
    return [...after, ...(run.successorAdds.get(successor) ?? [])];
  const made = accountMadeBy(change);
  const freedBy = made === undefined ? undefined : run.vacated.get(made);
  const freed = freedBy === undefined ? [] : [`user/${freedBy}`];
  const manager = managerOf(change);
  if (manager !== undefined) return [...freed, `user/${manager}`];
  if (change.kind === "user") return freed;
  // A group replaced by a new one (no rename in place) goes only once its successor was created.
  if (change.kind === "group" && change.action === "delete" && change.replacedBy !== undefined)
    return [`group/${change.replacedBy}`];
  if (change.kind !== "membership") return [];
  const deps = [`group/${change.group}`, ...after];
  // A membership that ends with its account's removal is made by that removal: not sent when it fails.
  // Except a leaver's: the kill chain takes what it can, and the plan listed each of these removals.
  if (
    change.action === "remove" &&
    change.endsWithAccount !== undefined &&
    change.reason !== "user-terminated"
  )
    deps.push(removalKey(change.endsWithAccount));
  // A former account's removal from a group the person's new account takes over waits for that add.
  if (change.action === "remove" && change.replacedBy !== undefined)
    deps.push(`membership/${change.group}/${change.replacedBy}`);
  deps.push(change.memberKind === "group" ? `group/${change.member}` : `user/${change.member}`);
  return deps;
}

/** The name an account's removal (a disable or delete) goes by among what dependants wait on. */
function removalKey(account: string): string {
  return `removal/user/${account}`;
}

/**
 * The account a change takes out of its system (a disable or delete): the memberships that end with it
 * (MembershipChange.endsWithAccount) are skipped when it fails or is skipped, for their removal is
 * sent only as that one; sent on their own, they would take access the guard rails never counted.
 */
export function removedBy(change: Change): string | undefined {
  return change.kind === "user" && (change.action === "disable" || change.action === "delete")
    ? removalKey(change.account)
    : undefined;
}

/** How a change that waits on `blocked` says why it was skipped, when that failed or was skipped. */
export function skippedFor(blocked: string, status: string): string {
  const prefix = "removal/user/";
  return blocked.startsWith(prefix)
    ? `skipped: the removal of ${blocked.slice(prefix.length)} ${status}, and this membership ends only with it (nothing is sent for it on its own)`
    : `skipped: creating ${blocked} ${status}`;
}

/** The account a change makes: a new one, or one renamed in place (under its new name). */
function accountMadeBy(change: Change): string | undefined {
  if (change.kind !== "user") return undefined;
  return change.action === "create" ? change.account : renamedUserTo(change);
}

/**
 * What a change creates (an account renamed in place is created under its new name; a membership added),
 * for dependants to wait on.
 */
export function createdBy(change: Change): string | undefined {
  const account = accountMadeBy(change);
  if (account !== undefined) return `user/${account}`;
  if (change.kind === "membership" && change.action === "add" && change.memberKind === "user")
    return `membership/${change.group}/${change.member}`;
  return change.kind === "group" && change.action === "create" ? `group/${change.group}` : undefined;
}
