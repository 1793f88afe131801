/**
 * Incremental reads: after a full read, ask only for what changed since (`meta.lastModified ge …`, by
 * the server's own clock) where the server filters on it, and check the totals to notice deletions.
 * Anything unexpected falls back to a full read; a server that refuses the filter is not asked again.
 */
import type { LiveState } from "../../model/state.ts";
import { ScimHttpError } from "./client.ts";
import { eqFilter, parseListResponse } from "./map.ts";
import type { ScimSession } from "./session.ts";
import {
  changesSinceOf,
  getGroup,
  getUser,
  indexToLiveState,
  listAll,
  loadEverything,
  pageSizeOf,
  parseGroups,
  parseUsers,
  rememberGroup,
  rememberUser,
  type ReadClock,
} from "./session.ts";

/**
 * Whether every user and group read carries meta.lastModified: a server that keeps none may still accept
 * the filter and answer it with nothing, which would read as "nothing changed".
 */
function isDatedThroughout(s: ScimSession): boolean {
  const undated = (r: { readonly lastModified?: string }): boolean => r.lastModified === undefined;
  return (
    s.index.usersById.size > 0 &&
    ![...s.index.usersById.values()].some(undated) &&
    ![...s.index.groupsById.values()].some(undated)
  );
}

async function changedSince(
  s: ScimSession,
  endpoint: string,
  what: string,
  since: string,
  signal: AbortSignal,
  clock?: ReadClock,
) {
  const filter = eqFilter("meta.lastModified", since, "ge");
  try {
    const raw = await listAll(s, endpoint, `${what} changed since ${since}`, signal, filter, clock);
    s.index.canFilterByLastModified = true;
    return raw;
  } catch (error) {
    if (!(error instanceof ScimHttpError && error.status === 400)) throw error;
    s.index.canFilterByLastModified = false;
    s.log(`${s.name}: the server does not filter on meta.lastModified; reading everything each time`);
    return undefined;
  }
}

async function totalOf(
  s: ScimSession,
  endpoint: string,
  what: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const query = { startIndex: "1", count: "1" };
  const res = await s.client.request("GET", endpoint, { operation: `count ${what}`, query }, signal);
  return parseListResponse(res.body)?.totalResults;
}

/** Written resources confirmed one GET each; more than this since the last read, and a full read is made. */
const MAX_CONFIRMED = 50;

/**
 * Asks the server for each resource of `kind` this process wrote that the changed-since list did not
 * return (`listed`), and keeps its answer: the index then holds what the server has, not what a write's
 * success made gatehouse believe. False when one is gone (a full read then sorts the index out).
 */
async function confirmWritten(
  s: ScimSession,
  kind: "user" | "group",
  listed: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<boolean> {
  const ids = [...s.index.written].flatMap((key) => {
    const id = key.startsWith(`${kind}:`) ? key.slice(kind.length + 1) : undefined;
    return id === undefined || listed.has(id) ? [] : [id];
  });
  for (const id of ids) {
    if (kind === "user") {
      const user = await getUser(s, id, signal);
      if (user === undefined) return false;
      rememberUser(s.index, user);
    } else {
      const group = await getGroup(s, id, s.index.groupsById.get(id)?.displayName ?? id, signal);
      if (group === undefined) return false;
      rememberGroup(s.index, group);
    }
  }
  return true;
}

/** Brings the index up to date with as few requests as the server allows; true when that worked. */
async function refreshIncrementally(s: ScimSession, signal: AbortSignal): Promise<boolean> {
  // Everything changed since the last read began (by the server's clock), users then groups.
  const since = s.index.changesSince;
  if (since === undefined || !isDatedThroughout(s) || s.index.written.size > MAX_CONFIRMED) return false;
  const clock: ReadClock = {};
  const users = await changedSince(s, s.caps.usersEndpoint, "users", since, signal, clock);
  if (users === undefined) return false;
  const changedUsers = parseUsers(s, users);
  for (const u of changedUsers) rememberUser(s.index, u);
  if (!(await confirmWritten(s, "user", new Set(changedUsers.map((u) => u.id)), signal))) return false;
  if ((await totalOf(s, s.caps.usersEndpoint, "users", signal)) !== s.index.usersById.size) return false;
  const groupsEndpoint = s.caps.groupsEndpoint;
  if (groupsEndpoint !== undefined) {
    const groups = await changedSince(s, groupsEndpoint, "groups", since, signal);
    if (groups === undefined) return false;
    const changedGroups = await parseGroups(s, groups, signal);
    for (const g of changedGroups) rememberGroup(s.index, g);
    if (!(await confirmWritten(s, "group", new Set(changedGroups.map((g) => g.id)), signal))) return false;
    if ((await totalOf(s, groupsEndpoint, "groups", signal)) !== s.index.groupsById.size) return false;
  }
  s.index.written.clear();
  s.index.changesSince = changesSinceOf(s, clock);
  return true;
}

/**
 * Whether an incremental read (a changed-since list and a total per endpoint, when nothing changed) takes
 * fewer requests than a full read of what the index holds (its pages, and one GET per group listed without
 * members). Only asked of an index seeded from a `readCache` snapshot.
 */
function incrementalIsCheaper(s: ScimSession): boolean {
  const pages = (n: number): number => Math.max(1, Math.ceil(n / pageSizeOf(s)));
  const groups = [...s.index.groupsById.values()];
  const hasGroups = s.caps.groupsEndpoint !== undefined;
  const full =
    pages(s.index.usersById.size) +
    (hasGroups ? pages(groups.length) + groups.filter((g) => g.memberIds === undefined).length : 0);
  const incremental = hasGroups ? 4 : 2;
  return incremental < full;
}

/**
 * The full live state: incremental after a first full read (in this process, or one a `readCache`
 * snapshot stands for) where the server allows, else everything. With `readCache` the index is saved after.
 */
export async function readLiveState(s: ScimSession, signal: AbortSignal): Promise<LiveState> {
  const seeded = (await s.cache?.seed(s.index)) ?? false;
  const canTry =
    s.index.isLoaded &&
    s.caps.filter &&
    s.index.canFilterByLastModified !== false &&
    (!seeded || incrementalIsCheaper(s));
  const incremental = canTry && (await refreshIncrementally(s, signal));
  if (!incremental) await loadEverything(s, signal);
  await s.cache?.save(s.index, !incremental);
  return indexToLiveState(s);
}
