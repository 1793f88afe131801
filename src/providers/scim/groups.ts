/** Group writes: create (adopting an existing group), rename, delete, and batched membership changes. */
import type { ChangeOutcome } from "../types.ts";
import type { GroupChange, MembershipChange } from "../../plan/types.ts";
import { ProviderError } from "../../errors.ts";
import { ScimHttpError } from "./client.ts";
import type { PatchOperation, PatchRequest, ScimGroup } from "./map.ts";
import {
  applyMemberChanges,
  applyOpsLocally,
  buildGroupResource,
  buildMemberPatches,
  buildPatch,
  isRecord,
  parseScimGroup,
} from "./map.ts";
import type { ScimSession } from "./session.ts";
import {
  deleteResource,
  forgetGroup,
  getGroup,
  groupKey,
  indexedGroup,
  lookUpGroup,
  rememberGroup,
  requireGroup,
} from "./session.ts";
import { requireUser } from "./user-lookup.ts";
import { supportsGroupAttribute } from "./discovery.ts";

type Confirmation = string | undefined;

function groupsEndpoint(s: ScimSession): string {
  if (s.caps.groupsEndpoint === undefined) {
    throw new ProviderError(
      s.name,
      "write groups",
      "the server has no Group resource type (see /ResourceTypes)",
    );
  }
  return s.caps.groupsEndpoint;
}

function groupPath(s: ScimSession, group: ScimGroup): string {
  return `${groupsEndpoint(s)}/${encodeURIComponent(group.id)}`;
}

/** A group as a write left it: `answered`, the server's answer listed its members (else they are kept from before). */
interface Written {
  readonly group: ScimGroup;
  readonly answered: boolean;
}

function remember(
  s: ScimSession,
  body: unknown,
  fallback: ScimGroup | undefined,
  operation: string,
): Written {
  const answer = parseScimGroup(body);
  const group = answer ?? fallback;
  if (!group) throw new ProviderError(s.name, operation, "the server's answer is not a SCIM Group resource");
  // A PATCH answer may omit members; keep what we knew rather than forget them.
  const known =
    group.memberIds === undefined && fallback ? { ...group, memberIds: fallback.memberIds } : group;
  rememberGroup(s.index, known);
  return { group: known, answered: answer?.memberIds !== undefined };
}

/** What one write does to a group: attribute operations, and user ids to add to and remove from members. */
interface GroupWrite {
  readonly ops: readonly PatchOperation[];
  readonly adds: readonly string[];
  readonly removes: readonly string[];
}

function patchOf(write: GroupWrite): PatchRequest {
  const total = write.adds.length + write.removes.length;
  const [members] = total > 0 ? buildMemberPatches(write.adds, write.removes, total) : [];
  return buildPatch([...write.ops, ...(members?.Operations ?? [])]);
}

/**
 * The group as a PUT must rewrite it, members included. A server may leave `members` out of a plain GET
 * (`returned: request`, or a big group): then ask for them by name; a list we could not read is never
 * written back, as that would drop every member we did not see.
 */
async function readForPut(
  s: ScimSession,
  path: string,
  operation: string,
  signal: AbortSignal,
): Promise<{ body: Record<string, unknown>; etag: string | undefined; members: readonly unknown[] }> {
  const current = await s.client.request("GET", path, { operation }, signal);
  if (!isRecord(current.body))
    throw new ProviderError(s.name, operation, "GET did not return a SCIM Group resource");
  const listed = current.body["members"];
  if (Array.isArray(listed)) return { body: current.body, etag: current.etag, members: listed };
  const asked = await s.client.request("GET", path, { operation, query: { attributes: "members" } }, signal);
  const members = isRecord(asked.body) ? asked.body["members"] : undefined;
  if (!Array.isArray(members)) {
    throw new ProviderError(
      s.name,
      operation,
      "the server did not return the group's members (not even with ?attributes=members); " +
        "without them a PUT would drop members, so nothing was written",
    );
  }
  return { body: current.body, etag: current.etag, members };
}

/**
 * A PUT writes the member list whole: members the GET left out would be removed. Where it lists fewer of
 * the members gatehouse read than this write keeps (a server that caps the members it returns, or someone
 * who removed them since), nothing is written: the next plan reads the group again.
 */
function refuseShortList(
  s: ScimSession,
  group: ScimGroup,
  listed: readonly unknown[],
  write: GroupWrite,
  operation: string,
): void {
  const got = new Set(
    listed.flatMap((m) => (isRecord(m) && typeof m["value"] === "string" ? [m["value"]] : [])),
  );
  const missing = (group.memberIds ?? []).filter((id) => !got.has(id) && !write.removes.includes(id));
  if (missing.length === 0) return;
  throw new ProviderError(
    s.name,
    operation,
    `the group as the server returns it now lacks ${String(missing.length)} of the members gatehouse read (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}): writing it whole (PUT) would remove them, so nothing was written; the next plan reads it again`,
  );
}

/** One write to a group: PATCH where supported, else GET + PUT with the change applied locally. */
async function writeGroup(
  s: ScimSession,
  group: ScimGroup,
  write: GroupWrite,
  operation: string,
  signal: AbortSignal,
): Promise<Written> {
  const path = groupPath(s, group);
  // Asked for again by the next read, whatever the server answers now (ScimIndex.written).
  s.index.written.add(`group:${group.id}`);
  const removes = write.removes.length > 0;
  if (s.caps.patch && !(removes && s.index.refusesFilteredRemove)) {
    const patch = patchOf(write);
    const ifMatch = s.caps.etag && group.version !== undefined ? { ifMatch: group.version } : {};
    try {
      const res = await s.client.request("PATCH", path, { operation, body: patch, ...ifMatch }, signal);
      return remember(s, res.body, group, operation);
    } catch (error) {
      if (removes && refusesFilteredPath(error)) {
        // `remove` with `members[value eq "…"]` refused: the other form (a value list on `members`) removes
        // every member on a server that follows RFC 7644 3.5.2.2, so the group's member list is written
        // instead (GET, then PUT), from now on for this server.
        s.index.refusesFilteredRemove = true;
        s.log(
          `${s.name}: the server refuses remove operations with a filtered path (members[value eq "…"]); members are removed by writing the group's whole member list (GET, then PUT) from now on`,
        );
        return putGroup(s, path, write, group, operation, signal);
      }
      if (!(error instanceof ScimHttpError && error.status === 412)) throw error;
      // Somebody changed the group since we read it: take the new version and write once more.
      const fresh = await s.client.request("GET", path, { operation }, signal);
      const current = parseScimGroup(fresh.body) ?? group;
      const version = current.version ?? fresh.etag;
      const again = { operation, body: patch, ...(version ? { ifMatch: version } : {}) };
      const res = await s.client.request("PATCH", path, again, signal);
      return remember(s, res.body, current, operation);
    }
  }
  return putGroup(s, path, write, group, operation, signal);
}

/** A 400 that says the server does not take a filtered PATCH path (RFC 7644 3.12 scimTypes). */
function refusesFilteredPath(error: unknown): boolean {
  return (
    error instanceof ScimHttpError &&
    error.status === 400 &&
    ["invalidPath", "invalidFilter", "noTarget"].includes(error.scimType ?? "")
  );
}

/** The group written whole: GET, the write applied to it, PUT (If-Match with ETags). */
async function putGroup(
  s: ScimSession,
  path: string,
  write: GroupWrite,
  group: ScimGroup,
  operation: string,
  signal: AbortSignal,
): Promise<Written> {
  // A 412 means somebody changed the group between our GET and PUT: read it again and re-apply, once.
  for (let attempt = 0; ; attempt += 1) {
    const current = await readForPut(s, path, operation, signal);
    refuseShortList(s, group, current.members, write, operation);
    const members = applyMemberChanges(current.members, write.adds, write.removes);
    const body = applyOpsLocally(current.body, [
      ...write.ops,
      { op: "replace", path: "members", value: members },
    ]);
    const putMatch = s.caps.etag && current.etag !== undefined ? { ifMatch: current.etag } : {};
    try {
      const res = await s.client.request("PUT", path, { operation, body, ...putMatch }, signal);
      return remember(s, res.body, group, operation);
    } catch (error) {
      if (!(error instanceof ScimHttpError && error.status === 412) || attempt > 0) throw error;
    }
  }
}

async function createGroup(
  s: ScimSession,
  name: string,
  description: string | undefined,
  signal: AbortSignal,
): Promise<Confirmation> {
  const operation = `create group "${name}"`;
  const key = `group:${groupKey(name)}`;
  const trustIndex = s.index.isLoaded && !s.index.uncertainCreates.has(key);
  const known = indexedGroup(s, name) ?? (trustIndex ? undefined : await lookUpGroup(s, name, signal));
  s.index.uncertainCreates.delete(key);
  if (known) return `matched existing SCIM group ${known.id}`;
  const stored =
    description !== undefined && supportsGroupAttribute(s.caps, "description") ? description : undefined;
  const body = buildGroupResource(name, stored);
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await s.client.request("POST", groupsEndpoint(s), { operation, body }, signal);
      remember(s, res.body, undefined, operation);
      return undefined;
    } catch (error) {
      if (error instanceof ScimHttpError && error.isOutcomeUnknown) s.index.uncertainCreates.add(key);
      if (
        !(error instanceof ScimHttpError) ||
        attempt > 0 ||
        !(error.status === 409 || error.isOutcomeUnknown)
      ) {
        throw error;
      }
      // The group exists (409) or may (no answer): look it up instead of posting blindly.
      const found = await lookUpGroup(s, name, signal);
      s.index.uncertainCreates.delete(key);
      if (found) return `matched existing SCIM group ${found.id}`;
      if (error.status === 409) throw error;
    }
  }
}

async function updateGroup(
  s: ScimSession,
  change: Extract<GroupChange, { action: "update" }>,
  signal: AbortSignal,
): Promise<Confirmation> {
  const operation = `update group "${change.group}"`;
  const group = await requireGroup(s, change.group, signal);
  const ops: PatchOperation[] = [];
  for (const field of change.fields) {
    if (field.field === "name" || field.field === "displayName") {
      if (field.after === null) throw new ProviderError(s.name, operation, "a group name cannot be removed");
      ops.push({ op: "replace", path: "displayName", value: field.after });
    } else if (field.field === "description") {
      if (!supportsGroupAttribute(s.caps, "description")) {
        throw new ProviderError(s.name, operation, "this server does not store group descriptions");
      }
      ops.push(
        field.after === null
          ? { op: "remove", path: "description" }
          : { op: "replace", path: "description", value: field.after },
      );
    } else {
      throw new ProviderError(s.name, operation, `field "${field.field}" cannot be written to a SCIM group`);
    }
  }
  if (ops.length > 0) await writeGroup(s, group, { ops, adds: [], removes: [] }, operation, signal);
  return undefined;
}

async function deleteGroup(s: ScimSession, name: string, signal: AbortSignal): Promise<Confirmation> {
  const group = await requireGroup(s, name, signal);
  await deleteResource(
    s,
    {
      path: groupPath(s, group),
      ...(group.version === undefined ? {} : { version: group.version }),
      name: group.displayName,
    },
    (body) => parseScimGroup(body)?.displayName,
    `delete group "${name}"`,
    signal,
  );
  forgetGroup(s.index, group);
  return undefined;
}

export async function applyGroupChange(
  s: ScimSession,
  change: GroupChange,
  signal: AbortSignal,
): Promise<Confirmation> {
  switch (change.action) {
    case "create":
      return createGroup(s, change.group, change.description, signal);
    case "update":
      return updateGroup(s, change, signal);
    case "delete":
      return deleteGroup(s, change.group, signal);
  }
}

function failed(error: unknown, s: ScimSession, operation: string): ChangeOutcome {
  const e =
    error instanceof ProviderError
      ? error
      : new ProviderError(s.name, operation, String(error), { cause: error });
  return { status: "failed", error: e };
}

/**
 * An add and a remove that name the same SCIM user (two spellings of one userName, say) contradict each
 * other: in one PATCH the later operation wins (RFC 7644 3.5.2), so the "applied" add would be a removal.
 * Both fail instead, untouched, and leave `pending`.
 */
function refuseContradictions(
  s: ScimSession,
  pending: { index: number; id: string; change: MembershipChange }[],
  outcomes: (ChangeOutcome | undefined)[],
  label: (c: MembershipChange) => string,
): void {
  const added = new Set(pending.filter((p) => p.change.action === "add").map((p) => p.id));
  const both = new Set(
    pending.filter((p) => p.change.action === "remove" && added.has(p.id)).map((p) => p.id),
  );
  if (both.size === 0) return;
  for (const p of pending.filter((q) => both.has(q.id))) {
    const names = pending.filter((q) => q.id === p.id).map((q) => `${q.change.action} "${q.change.member}"`);
    outcomes[p.index] = failed(
      new ProviderError(
        s.name,
        label(p.change),
        `${names.join(" and ")} are the same SCIM user ${p.id}; neither is written`,
      ),
      s,
      label(p.change),
    );
  }
  const kept = pending.filter((p) => !both.has(p.id));
  pending.splice(0, pending.length, ...kept);
}

/** Membership changes of one group, written as few PATCH requests as the server's limits allow. */
export async function applyMembershipChanges(
  s: ScimSession,
  changes: readonly MembershipChange[],
  signal: AbortSignal,
): Promise<ChangeOutcome[]> {
  const outcomes: (ChangeOutcome | undefined)[] = changes.map(() => undefined);
  const name = changes[0]?.group ?? "";
  const label = (c: MembershipChange) =>
    `${c.action} "${c.member}" ${c.action === "add" ? "to" : "from"} group "${c.group}"`;
  let group: ScimGroup;
  try {
    group = await requireGroup(s, name, signal);
  } catch (error) {
    return changes.map((c) => failed(error, s, label(c)));
  }
  const pending: { index: number; id: string; change: MembershipChange }[] = [];
  for (const [index, change] of changes.entries()) {
    try {
      if (change.group !== name)
        throw new ProviderError(s.name, label(change), `mixed groups in one batch ("${name}")`);
      if (change.memberKind === "group")
        throw new ProviderError(s.name, label(change), "SCIM groups are not nested here");
      pending.push({ index, id: (await requireUser(s, change.member, signal)).id, change });
    } catch (error) {
      outcomes[index] = failed(error, s, label(change));
    }
  }
  refuseContradictions(s, pending, outcomes, label);
  const size = Math.max(1, s.settings.maxMembersPerWrite);
  for (let i = 0; i < pending.length; i += size) {
    const chunk = pending.slice(i, i + size);
    const adds = chunk.filter((p) => p.change.action === "add").map((p) => p.id);
    const removes = chunk.filter((p) => p.change.action === "remove").map((p) => p.id);
    try {
      const write = { ops: [], adds, removes };
      const written = await writeGroup(s, group, write, `change members of group "${name}"`, signal);
      group = written.group;
      if (written.answered) {
        // The server's answer lists the members after the write: a change it does not show, it did not
        // make (some servers answer 200 to a path they ignore).
        const present = new Set(group.memberIds ?? []);
        for (const p of chunk) {
          const isAdd = p.change.action === "add";
          outcomes[p.index] =
            present.has(p.id) === isAdd
              ? { status: "applied" }
              : failed(
                  new ProviderError(
                    s.name,
                    label(p.change),
                    `the server answered with success, but the group it sent back ${isAdd ? "does not list" : "still lists"} the member: it did not make the change (does it support this PATCH path? see the SCIM README)`,
                  ),
                  s,
                  label(p.change),
                );
        }
        continue;
      }
      const members = new Set(group.memberIds ?? []);
      for (const id of adds) members.add(id);
      for (const id of removes) members.delete(id);
      group = { ...group, memberIds: [...members] };
      rememberGroup(s.index, group);
      for (const p of chunk) outcomes[p.index] = { status: "applied" };
    } catch (error) {
      // The write may have landed before the connection dropped: judge each change by the group as it is now.
      const now = await getGroup(s, group.id, name, signal).catch(() => undefined);
      const present = new Set(now?.memberIds ?? []);
      for (const p of chunk) {
        const holds = now?.memberIds !== undefined && present.has(p.id) === (p.change.action === "add");
        outcomes[p.index] = holds
          ? { status: "applied", confirmation: "confirmed by re-reading the group" }
          : failed(error, s, label(p.change));
      }
      if (now) {
        group = now;
        rememberGroup(s.index, now);
      }
    }
  }
  return changes.map((c, i) => outcomes[i] ?? failed(new Error("not attempted"), s, label(c)));
}
