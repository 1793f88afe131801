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
  indexToLiveState,
  listAll,
  loadEverything,
  pageSizeOf,
  parseGroups,
  parseUsers,
  rememberGroup,
  rememberUser,
} from "./session.ts";

function latest(stamps: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const stamp of stamps) {
    if (stamp !== undefined && (best === undefined || Date.parse(stamp) > Date.parse(best))) best = stamp;
  }
  return best;
}

/** The newest meta.lastModified the index holds, for users and for groups. */
function highWaterMarks(s: ScimSession): { users: string | undefined; groups: string | undefined } {
  return {
    users: latest([...s.index.usersById.values()].map((u) => u.lastModified)),
    groups: latest([...s.index.groupsById.values()].map((g) => g.lastModified)),
  };
}

async function changedSince(
  s: ScimSession,
  endpoint: string,
  what: string,
  since: string,
  signal: AbortSignal,
) {
  const filter = eqFilter("meta.lastModified", since, "ge");
  try {
    const raw = await listAll(s, endpoint, `${what} changed since ${since}`, signal, filter);
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

/** Brings the index up to date with as few requests as the server allows; true when that worked. */
async function refreshIncrementally(s: ScimSession, signal: AbortSignal): Promise<boolean> {
  const marks = highWaterMarks(s);
  const groupsEndpoint = s.caps.groupsEndpoint;
  if (
    marks.users === undefined ||
    (groupsEndpoint !== undefined && marks.groups === undefined && s.index.groupsById.size > 0)
  ) {
    return false;
  }
  const users = await changedSince(s, s.caps.usersEndpoint, "users", marks.users, signal);
  if (users === undefined) return false;
  for (const u of parseUsers(s, users)) rememberUser(s.index, u);
  if ((await totalOf(s, s.caps.usersEndpoint, "users", signal)) !== s.index.usersById.size) return false;
  if (groupsEndpoint === undefined) return true;
  if (marks.groups !== undefined) {
    const groups = await changedSince(s, groupsEndpoint, "groups", marks.groups, signal);
    if (groups === undefined) return false;
    for (const g of await parseGroups(s, groups, signal)) rememberGroup(s.index, g);
  }
  return (await totalOf(s, groupsEndpoint, "groups", signal)) === s.index.groupsById.size;
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
