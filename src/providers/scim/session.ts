/**
 * What one SCIM provider instance knows while it runs: its client, the server's capabilities, and an
 * index of the users and groups it has seen (filled by read(), kept current by its own writes), so
 * applies do not re-read what the plan was computed from.
 */
import type { LiveGroup, LiveState } from "../../model/state.ts";
import { ProviderError } from "../../errors.ts";
import type { ScimClient } from "./client.ts";
import { ScimHttpError } from "./client.ts";
import type { ScimServerCapabilities } from "./discovery.ts";
import type { ListPage, ScimGroup, ScimUser } from "./map.ts";
import {
  eqFilter,
  isRecord,
  parseListResponse,
  parseScimGroup,
  parseScimUser,
  readPath,
  toLiveUser,
} from "./map.ts";
import type { ScimSettings } from "./settings.ts";
import type { ScimSnapshotStore } from "./snapshot-cache.ts";

/** More pages than this is a server bug (or a loop), not a directory: stop loudly. */
const MAX_PAGES = 10_000;

export interface ScimIndex {
  /** Keyed by lower-cased userName: SCIM userName is case-insensitive (RFC 7643 4.1.1). */
  readonly users: Map<string, ScimUser>;
  readonly usersById: Map<string, ScimUser>;
  /** Keyed by displayName as the server spells it; see indexedGroup for a name in another case. */
  readonly groups: Map<string, ScimGroup>;
  readonly groupsById: Map<string, ScimGroup>;
  /** By groupKey(displayName): every group a name matches whatever its case, by id. */
  readonly groupsByKey: Map<string, Map<string, ScimGroup>>;
  /** A full read has filled the index: an account missing from it is missing on the server too (bar races). */
  isLoaded: boolean;
  /** Whether the server filters on meta.lastModified; undefined until tried. */
  canFilterByLastModified: boolean | undefined;
  /**
   * What the next incremental read asks for (`meta.lastModified ge` this): the server's clock when the
   * last read began, less the `clockMarginSeconds` setting. Not the newest lastModified read: a change made by hand
   * while a read pages, to an entry on a page already read, is older than entries on later pages.
   * Undefined (the server sent no Date): no incremental read.
   */
  changesSince: string | undefined;
  /**
   * Creates whose POST got no answer ("user:<lower-cased userName>", "group:<groupKey>"): the resource
   * may exist though the index lacks it, so a retried create looks it up on the server first.
   */
  readonly uncertainCreates: Set<string>;
  /**
   * Users and groups this process wrote since the last read ("user:<id>", "group:<id>"), as the index
   * believes them now: the next incremental read asks the server for each one it does not list as changed.
   * A server may answer a write with success and not make it, and then does not date it changed either:
   * without this, a read after apply (the offboarding check) would confirm what gatehouse believed.
   */
  readonly written: Set<string>;
  /** The server refused a membership remove with a filtered path: members are removed by PUT from then on. */
  refusesFilteredRemove: boolean;
  /**
   * How the server's `userName eq` filter compares names (user-lookup.ts): "ignores-case" as RFC 7643
   * wants, or "exact" (SCIMMY), where an empty answer does not prove there is no account of the name in
   * another case. Undefined until a look-up shows it or a miss that would fail a change asks.
   */
  userNameFilter: "ignores-case" | "exact" | undefined;
}

export interface ScimSession {
  readonly name: string;
  readonly client: ScimClient;
  readonly settings: ScimSettings;
  readonly caps: ScimServerCapabilities;
  readonly index: ScimIndex;
  readonly log: (line: string) => void;
  /** With `readCache`: where the index is kept between runs. */
  readonly cache?: ScimSnapshotStore;
}

export function createIndex(): ScimIndex {
  return {
    users: new Map(),
    usersById: new Map(),
    groups: new Map(),
    groupsById: new Map(),
    groupsByKey: new Map(),
    isLoaded: false,
    canFilterByLastModified: undefined,
    changesSince: undefined,
    uncertainCreates: new Set(),
    written: new Set(),
    refusesFilteredRemove: false,
    userNameFilter: undefined,
  };
}

export function rememberUser(index: ScimIndex, user: ScimUser): void {
  const old = index.usersById.get(user.id);
  if (old) index.users.delete(old.userName.toLowerCase());
  index.users.set(user.userName.toLowerCase(), user);
  index.usersById.set(user.id, user);
}

export function forgetUser(index: ScimIndex, user: ScimUser): void {
  index.users.delete(user.userName.toLowerCase());
  index.usersById.delete(user.id);
}

export function pageSizeOf(s: ScimSession): number {
  const max = s.caps.maxResults ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(s.settings.pageSize ?? s.caps.maxResults ?? 100, max));
}

/** Where a read records the server's clock at its first answer. */
export interface ReadClock {
  /** Undefined until the first answer, and after one without a Date header. */
  startedAt?: number | undefined;
}

/**
 * The changesSince a read whose first answer `clock` recorded leaves for the next one: that answer's
 * Date (whole seconds, so at or before the page was made), less the `clockMarginSeconds` setting.
 */
export function changesSinceOf(s: ScimSession, clock: ReadClock): string | undefined {
  return clock.startedAt === undefined
    ? undefined
    : new Date(clock.startedAt - s.settings.clockMarginMs).toISOString();
}

/**
 * Every resource at an endpoint. The first page's total says how many pages to fetch concurrently, but a
 * total is not trusted to end the list: paging goes on while pages come back full (or the total says
 * more), and stops at a short or empty page. A page repeating ids already listed means the server ignores
 * `startIndex`: that fails loudly rather than loop or read a truncated list (unless it only answers a
 * start past the end with a page read before, see isRepeatPastEnd).
 */
export async function listAll(
  s: ScimSession,
  endpoint: string,
  what: string,
  signal: AbortSignal,
  filter?: string,
  clock?: ReadClock,
): Promise<unknown[]> {
  const count = pageSizeOf(s);
  const operation = `list ${what}`;
  const fetchPage = async (startIndex: number) => {
    const query = { startIndex: String(startIndex), count: String(count), ...(filter ? { filter } : {}) };
    const res = await s.client.request("GET", endpoint, { operation, query }, signal);
    // The first page is asked for before any other, and once.
    if (clock !== undefined && startIndex === 1) clock.startedAt = res.date;
    const page = parseListResponse(res.body);
    if (!page)
      throw new ProviderError(s.name, operation, `GET ${endpoint} did not return a SCIM ListResponse`);
    return page;
  };
  const resources: unknown[] = [];
  const ids = new Set<string>();
  const take = (page: ListPage, startIndex: number): void => {
    for (const r of page.resources) {
      const id = isRecord(r) ? r["id"] : undefined;
      if (typeof id === "string") {
        if (ids.has(id)) {
          throw new ProviderError(
            s.name,
            operation,
            `the page at startIndex ${startIndex} repeats id "${id}" listed before; ` +
              "the server seems to ignore startIndex, so the list cannot be read reliably (nothing was planned from a part of it); " +
              "no setting of gatehouse works around a server that does not page: check the app's SCIM paging (a framework upgrade can break it) or ask its vendor",
          );
        }
        ids.add(id);
      }
      resources.push(r);
    }
  };
  /** A full page, or a short one while the total says more: there may be another page. */
  const hasMore = (page: ListPage, next: number): boolean =>
    page.resources.length > 0 && (page.resources.length >= count || next <= page.totalResults);
  const tooMany = (): never => {
    throw new ProviderError(s.name, operation, `more than ${MAX_PAGES} pages; refusing to continue`);
  };

  const first = await fetchPage(1);
  take(first, 1);
  // The server may cap the page below what we asked for; step by what it really returns.
  const step = first.resources.length > 0 ? Math.min(count, first.resources.length) : count;
  const starts: number[] = [];
  for (let start = 1 + step; start <= first.totalResults && first.resources.length > 0; start += step) {
    if (starts.length >= MAX_PAGES) tooMany();
    starts.push(start);
  }
  let last = first;
  let next = 1 + first.resources.length;
  const pages = await Promise.all(starts.map(fetchPage));
  pages.forEach((page, i) => {
    const start = starts[i] ?? next;
    take(page, start);
    last = page;
    next = start + page.resources.length;
  });
  for (let fetched = 1 + pages.length; hasMore(last, next); fetched += 1) {
    if (fetched > MAX_PAGES) tooMany();
    last = await fetchPage(next);
    if (isRepeatPastEnd(last, next, ids)) break;
    take(last, next);
    next += last.resources.length;
  }
  return resources;
}

/**
 * A page asked for past the end that only repeats ids already read, when exactly the total has been read:
 * some servers (SCIMMY, behind Entra-tested apps) answer a startIndex past the end with the first page
 * instead of an empty one (RFC 7644 3.4.2.4). That ends the list; any other repeat is an error.
 */
function isRepeatPastEnd(page: ListPage, startIndex: number, ids: ReadonlySet<string>): boolean {
  return (
    startIndex > page.totalResults &&
    ids.size === page.totalResults &&
    page.resources.length > 0 &&
    page.resources.every((r) => isRecord(r) && typeof r["id"] === "string" && ids.has(r["id"]))
  );
}

function parseAll<T>(
  raw: readonly unknown[],
  parse: (r: unknown) => T | undefined,
  s: ScimSession,
  what: string,
): T[] {
  const out: T[] = [];
  for (const r of raw) {
    const item = parse(r);
    if (item === undefined) s.log(`${s.name}: skipped a ${what} without id or name`);
    else out.push(item);
  }
  return out;
}

/** The index key of a group name: SCIM compares displayName whatever its case (RFC 7643 8.7.1). */
export function groupKey(displayName: string): string {
  return displayName.toLowerCase();
}

export function rememberGroup(index: ScimIndex, group: ScimGroup): void {
  const old = index.groupsById.get(group.id);
  if (old) forgetGroup(index, old);
  index.groups.set(group.displayName, group);
  index.groupsById.set(group.id, group);
  const key = groupKey(group.displayName);
  const alike = index.groupsByKey.get(key);
  if (alike) alike.set(group.id, group);
  else index.groupsByKey.set(key, new Map([[group.id, group]]));
}

export function forgetGroup(index: ScimIndex, group: ScimGroup): void {
  if (index.groups.get(group.displayName)?.id === group.id) index.groups.delete(group.displayName);
  index.groupsById.delete(group.id);
  const key = groupKey(group.displayName);
  const alike = index.groupsByKey.get(key);
  alike?.delete(group.id);
  if (alike?.size === 0) index.groupsByKey.delete(key);
}

/**
 * The group a name means: the one spelt exactly so, else the only one whose name matches whatever its
 * case (SCIM displayName is case-insensitive, RFC 7643 8.7.1). Two groups that differ only in case and
 * neither spelt exactly: an error, never a guess (a delete or a member write could hit the other one).
 */
export function indexedGroup(s: ScimSession, name: string): ScimGroup | undefined {
  return groupNamed(s, name, [...(s.index.groupsByKey.get(groupKey(name))?.values() ?? [])]);
}

/** Of `groups`, the one `name` means (see indexedGroup); an error when two match only in case. */
function groupNamed(s: ScimSession, name: string, groups: readonly ScimGroup[]): ScimGroup | undefined {
  const alike = groups.filter((g) => groupKey(g.displayName) === groupKey(name));
  const exact = alike.find((g) => g.displayName === name);
  if (exact) return exact;
  if (alike.length > 1)
    throw new ProviderError(
      s.name,
      `find group "${name}"`,
      `${String(alike.length)} SCIM groups match "${name}" when case is ignored (${alike.map((g) => `"${g.displayName}"`).join(", ")}) and none is spelt exactly so; rename one in the app`,
    );
  return alike[0];
}

export function parseUsers(s: ScimSession, raw: readonly unknown[]): ScimUser[] {
  const mapping = s.settings.attributeMapping;
  return parseAll(raw, (r) => parseScimUser(r, mapping), s, "user");
}

/** Groups from a list; servers that leave members out get one GET per such group (bounded by the client). */
export async function parseGroups(
  s: ScimSession,
  raw: readonly unknown[],
  signal: AbortSignal,
): Promise<ScimGroup[]> {
  const listed = parseAll(raw, parseScimGroup, s, "group");
  return Promise.all(
    listed.map(async (g) =>
      g.memberIds === undefined ? ((await getGroup(s, g.id, g.displayName, signal)) ?? g) : g,
    ),
  );
}

/** Reads every user and group into a fresh index. */
export async function loadEverything(s: ScimSession, signal: AbortSignal): Promise<void> {
  const clock: ReadClock = {};
  const users = parseUsers(s, await listAll(s, s.caps.usersEndpoint, "users", signal, undefined, clock));
  const endpoint = s.caps.groupsEndpoint;
  const groups =
    endpoint === undefined ? [] : await parseGroups(s, await listAll(s, endpoint, "groups", signal), signal);
  s.index.users.clear();
  s.index.usersById.clear();
  s.index.groups.clear();
  s.index.groupsById.clear();
  s.index.groupsByKey.clear();
  s.index.uncertainCreates.clear();
  s.index.written.clear();
  for (const u of users) rememberUser(s.index, u);
  for (const g of groups) rememberGroup(s.index, g);
  s.index.isLoaded = true;
  s.index.changesSince = changesSinceOf(s, clock);
}

/** The live state as the index holds it. */
export function indexToLiveState(s: ScimSession): LiveState {
  const users = [...s.index.usersById.values()];
  const accountById = new Map(users.map((u) => [u.id, u.userName]));
  const unmanaged: string[] = [];
  const groupNameById = new Map([...s.index.groupsById.values()].map((g) => [g.id, g.displayName]));
  const groups = [...s.index.groupsById.values()].map((g): LiveGroup => {
    // RFC 7643 lets a group hold groups; this connector does not nest, so that access is not gatehouse's.
    const nests = (inner: string): void => {
      unmanaged.push(
        `group "${g.displayName}" holds the group "${inner}" as a member: its members have the access of "${g.displayName}" through it, which gatehouse neither counts nor removes (no nesting over SCIM); take it out in the app, or list those people in the files`,
      );
    };
    for (const id of g.groupMemberIds) nests(groupNameById.get(id) ?? id);
    const strangers: string[] = [];
    const members = (g.memberIds ?? []).flatMap((id) => {
      const account = accountById.get(id);
      const inner = account === undefined ? groupNameById.get(id) : undefined;
      // A group member whose type the server left out.
      if (inner !== undefined) nests(inner);
      else if (account === undefined) strangers.push(id);
      return account ?? [];
    });
    // Said in the plan (not only a log line): access gatehouse can neither show as anyone's nor remove,
    // and the plan must not call the group matched while it is there.
    if (strangers.length > 0)
      unmanaged.push(
        `group "${g.displayName}" has ${strangers.length === 1 ? "a member" : `${String(strangers.length)} members`} that no user the server lists holds (${strangers.slice(0, 3).join(", ")}${strangers.length > 3 ? ", ..." : ""}): gatehouse neither shows nor removes ${strangers.length === 1 ? "it" : "them"}; check the group in the app`,
      );
    return {
      name: g.displayName,
      members: members.sort(),
      ...(g.description ? { description: g.description } : {}),
      ...(strangers.length > 0 ? { unmanagedMembers: strangers.length } : {}),
    };
  });
  return {
    users: users.map((u) => toLiveUser(u, accountById)),
    groups,
    ...(unmanaged.length > 0 ? { unmanaged } : {}),
  };
}

/** One user as the server has it now, or undefined where it has none (404). */
export async function getUser(
  s: ScimSession,
  id: string,
  signal: AbortSignal,
): Promise<ScimUser | undefined> {
  try {
    const res = await s.client.request(
      "GET",
      `${s.caps.usersEndpoint}/${encodeURIComponent(id)}`,
      { operation: `read user ${id}` },
      signal,
    );
    return parseScimUser(res.body, s.settings.attributeMapping);
  } catch (error) {
    if (error instanceof ScimHttpError && error.status === 404) return undefined;
    throw error;
  }
}

export async function getGroup(
  s: ScimSession,
  id: string,
  name: string,
  signal: AbortSignal,
): Promise<ScimGroup | undefined> {
  const endpoint = s.caps.groupsEndpoint ?? "/Groups";
  const res = await s.client.request(
    "GET",
    `${endpoint}/${encodeURIComponent(id)}`,
    { operation: `read group "${name}"` },
    signal,
  );
  return parseScimGroup(res.body);
}

/** Asks the server for users matching `attribute eq value` (or lists them all where filters are unsupported). */
export async function lookUpUser(
  s: ScimSession,
  attribute: "userName" | "externalId",
  value: string,
  signal: AbortSignal,
): Promise<ScimUser | undefined> {
  const mapping = s.settings.attributeMapping;
  const raw = s.caps.filter
    ? await listAll(
        s,
        s.caps.usersEndpoint,
        `users with ${attribute} "${value}"`,
        signal,
        eqFilter(attribute, value),
      )
    : await listAll(s, s.caps.usersEndpoint, "users", signal);
  const users = parseAll(raw, (r) => parseScimUser(r, mapping), s, "user");
  const match = users.find((u) =>
    attribute === "userName" ? u.userName.toLowerCase() === value.toLowerCase() : u.externalId === value,
  );
  if (match) rememberUser(s.index, match);
  // Found by the filter in another case: the server compares userName as RFC 7643 wants (user-lookup.ts).
  if (s.caps.filter && attribute === "userName" && match !== undefined && match.userName !== value)
    s.index.userNameFilter = "ignores-case";
  return match;
}

export async function lookUpGroup(
  s: ScimSession,
  name: string,
  signal: AbortSignal,
): Promise<ScimGroup | undefined> {
  const endpoint = s.caps.groupsEndpoint ?? "/Groups";
  const raw = s.caps.filter
    ? await listAll(s, endpoint, `groups named "${name}"`, signal, eqFilter("displayName", name))
    : await listAll(s, endpoint, "groups", signal);
  const match = groupNamed(s, name, parseAll(raw, parseScimGroup, s, "group"));
  const full =
    match?.memberIds === undefined && match ? ((await getGroup(s, match.id, name, signal)) ?? match) : match;
  if (full) rememberGroup(s.index, full);
  return full;
}

export async function requireGroup(s: ScimSession, name: string, signal: AbortSignal): Promise<ScimGroup> {
  const group = indexedGroup(s, name) ?? (await lookUpGroup(s, name, signal));
  if (!group)
    throw new ProviderError(s.name, `find group "${name}"`, `no SCIM group named "${name}"`, { status: 404 });
  return group;
}

/**
 * DELETE of a User or Group the plan saw. With ETags it carries If-Match with the version read, so that
 * the server refuses (412) if the resource changed since. It is then read again and deleted only if it
 * still has the name the plan saw: another writer may have renamed it into an account or group the plan
 * never looked at. A resource already gone (404, a retried DELETE whose answer was lost) counts as deleted.
 */
export async function deleteResource(
  s: ScimSession,
  target: { readonly path: string; readonly version?: string; readonly name: string },
  nameOf: (body: unknown) => string | undefined,
  operation: string,
  signal: AbortSignal,
): Promise<void> {
  const send = async (version: string | undefined): Promise<void> => {
    const ifMatch = s.caps.etag && version !== undefined ? { ifMatch: version } : {};
    try {
      await s.client.request("DELETE", target.path, { operation, ...ifMatch }, signal);
    } catch (error) {
      if (!(error instanceof ScimHttpError && error.status === 404)) throw error;
    }
  };
  try {
    await send(target.version);
  } catch (error) {
    if (!(error instanceof ScimHttpError && error.status === 412)) throw error;
    const fresh = await s.client.request("GET", target.path, { operation }, signal);
    const name = nameOf(fresh.body);
    if (name?.toLowerCase() !== target.name.toLowerCase())
      throw new ProviderError(
        s.name,
        operation,
        `not deleted: it changed since it was read and is now named "${name ?? "?"}", not "${target.name}"; plan again`,
      );
    const meta = isRecord(fresh.body) ? readPath(fresh.body, "meta.version") : undefined;
    await send(fresh.etag ?? (typeof meta === "string" ? meta : undefined));
  }
}
