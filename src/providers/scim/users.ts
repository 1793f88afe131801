/** User writes: create (adopting existing accounts), update, enable/disable, delete or deactivate. */
import { USER_ATTRIBUTE_KEYS } from "../../model/state.ts";
import type { UserChange } from "../../plan/types.ts";
import { ProviderError } from "../../errors.ts";
import { ScimHttpError } from "./client.ts";
import type { PatchOperation, ScimUser, UserWrite } from "./map.ts";
import {
  applyOpsLocally,
  buildPatch,
  buildUserPatchOps,
  buildUserResource,
  isRecord,
  parseScimUser,
} from "./map.ts";
import type { ScimSession } from "./session.ts";
import { deleteResource, forgetUser, lookUpUser, rememberUser } from "./session.ts";
import { findUserAnyCase, requireUser } from "./user-lookup.ts";
import { ENTERPRISE_USER } from "./settings.ts";

type Confirmation = string | undefined;

function userPath(s: ScimSession, user: ScimUser): string {
  return `${s.caps.usersEndpoint}/${encodeURIComponent(user.id)}`;
}

function parsed(s: ScimSession, body: unknown, operation: string): ScimUser {
  const user = parseScimUser(body, s.settings.attributeMapping);
  if (!user) throw new ProviderError(s.name, operation, "the server's answer is not a SCIM User resource");
  rememberUser(s.index, user);
  return user;
}

/** Writes ops to a user: PATCH where supported (If-Match with ETags), else GET + PUT of the whole resource. */
async function writeUser(
  s: ScimSession,
  user: ScimUser,
  ops: readonly PatchOperation[],
  operation: string,
  signal: AbortSignal,
): Promise<ScimUser> {
  if (ops.length === 0) return user;
  // Asked for again by the next read, whatever the server answers now (ScimIndex.written).
  s.index.written.add(`user:${user.id}`);
  const path = userPath(s, user);
  const ifMatch = s.caps.etag && user.version !== undefined ? { ifMatch: user.version } : {};
  if (s.caps.patch) {
    try {
      const res = await s.client.request(
        "PATCH",
        path,
        { operation, body: buildPatch(ops), ...ifMatch },
        signal,
      );
      // 204 No Content is allowed; then the index keeps the old view until the next read.
      return res.body === undefined ? user : parsed(s, res.body, operation);
    } catch (error) {
      if (!(error instanceof ScimHttpError && error.status === 412)) throw error;
      // Somebody changed the user since we read it: take the new version and write once more.
      const fresh = await s.client.request("GET", path, { operation }, signal);
      const current = parsed(s, fresh.body, operation);
      const version = current.version ?? fresh.etag;
      const again = { operation, body: buildPatch(ops), ...(version ? { ifMatch: version } : {}) };
      const res = await s.client.request("PATCH", path, again, signal);
      return res.body === undefined ? current : parsed(s, res.body, operation);
    }
  }
  // A 412 means somebody changed the user between our GET and PUT: read it again and re-apply, once.
  for (let attempt = 0; ; attempt += 1) {
    const current = await s.client.request("GET", path, { operation }, signal);
    if (!isRecord(current.body))
      throw new ProviderError(s.name, operation, "GET did not return a SCIM User resource");
    const body = applyOpsLocally(current.body, ops);
    const putMatch = s.caps.etag && current.etag !== undefined ? { ifMatch: current.etag } : {};
    try {
      const res = await s.client.request("PUT", path, { operation, body, ...putMatch }, signal);
      return parsed(s, res.body, operation);
    } catch (error) {
      if (!(error instanceof ScimHttpError && error.status === 412) || attempt > 0) throw error;
    }
  }
}

/** The manager's SCIM id, when the manager has an account there; otherwise the manager is left unset. */
async function resolveManager(
  s: ScimSession,
  manager: string | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (manager === undefined) return undefined;
  const known = s.index.users.get(manager.toLowerCase());
  const found = known ?? (s.index.isLoaded ? undefined : await lookUpUser(s, "userName", manager, signal));
  if (!found) s.log(`${s.name}: manager "${manager}" has no account here; manager left unset`);
  return found?.id;
}

function schemasFor(s: ScimSession): string[] {
  const usesEnterprise = Object.values(s.settings.attributeMapping).some((p) =>
    p?.startsWith(ENTERPRISE_USER),
  );
  return usesEnterprise && s.caps.userExtensions.includes(ENTERPRISE_USER) ? [ENTERPRISE_USER] : [];
}

/**
 * Makes an existing account match the desired one (adoption): userName, externalId, active, attributes.
 * Not an account whose externalId names another person (refusedAdoption).
 */
async function adoptUser(
  s: ScimSession,
  existing: ScimUser,
  write: UserWrite,
  operation: string,
  signal: AbortSignal,
): Promise<Confirmation> {
  const refused = refusedAdoption(s, existing, write);
  if (refused !== undefined) throw refused;
  const defined = USER_ATTRIBUTE_KEYS.filter((k) => write.attributes[k] !== undefined);
  const ops = buildUserPatchOps(
    write,
    [...defined, ...(write.userId === undefined ? [] : ["userId"])],
    s.settings.attributeMapping,
    existing,
  );
  if (existing.userName !== write.userName)
    ops.push({ op: "replace", path: "userName", value: write.userName });
  if (write.userId !== undefined && existing.externalId !== write.userId) {
    ops.push({ op: "replace", path: "externalId", value: write.userId });
  }
  if (!existing.active) ops.push({ op: "replace", path: "active", value: true });
  await writeUser(s, existing, ops, operation, signal);
  return `matched existing SCIM user ${existing.id}`;
}

/**
 * Why an account of the userName a create asks for is not taken as the person's: its externalId names
 * another person (externalId is case-exact, RFC 7643 §3.1). It is that person's account, with their data
 * and mailbox, under a name passed on or taken by hand; adopted, a newcomer would get it. An account with
 * no externalId is adopted: one made before gatehouse, or by hand for this person.
 */
function refusedAdoption(s: ScimSession, existing: ScimUser, write: UserWrite): ProviderError | undefined {
  const { externalId } = existing;
  if (write.userId === undefined || externalId === undefined || externalId === write.userId) return undefined;
  return new ProviderError(
    s.name,
    `create user "${write.userName}"`,
    `an account "${existing.userName}" exists with externalId "${externalId}": it is another person's, not ${write.userId}'s. gatehouse does not hand it over, and leaves it as it is. If the name is passed on to ${write.userId}, rename or delete that account in the app first (gatehouse does it when ${externalId} moves to a new account in the files); if it is ${write.userId}'s, clear its externalId in the app`,
  );
}

/** By userName; from the index after a read, else from the server. */
async function matchExisting(
  s: ScimSession,
  write: UserWrite,
  fresh: boolean,
  signal: AbortSignal,
): Promise<ScimUser | undefined> {
  // By userName only. An externalId is a value any app admin can write: an account found by it under
  // another name is not taken over as this person's (it may be a stranger's, given their id on purpose).
  const { userName } = write;
  const byName = s.index.users.get(userName.toLowerCase());
  if (byName || (s.index.isLoaded && !fresh)) return byName;
  return lookUpUser(s, "userName", userName, signal);
}

async function createUser(
  s: ScimSession,
  write: UserWrite,
  operation: string,
  signal: AbortSignal,
): Promise<Confirmation> {
  const key = `user:${write.userName.toLowerCase()}`;
  const existing = await matchExisting(s, write, s.index.uncertainCreates.has(key), signal);
  s.index.uncertainCreates.delete(key);
  if (existing) return adoptUser(s, existing, write, operation, signal);
  const body = buildUserResource(write, s.settings.attributeMapping, schemasFor(s));
  for (let attempt = 0; ; attempt += 1) {
    try {
      const res = await s.client.request("POST", s.caps.usersEndpoint, { operation, body }, signal);
      parsed(s, res.body, operation);
      return undefined;
    } catch (error) {
      if (!(error instanceof ScimHttpError)) throw error;
      if (error.isOutcomeUnknown) s.index.uncertainCreates.add(key);
      const isConflict = error.status === 409;
      // After a 409 the account exists; after no answer it may: look before posting again, never blindly.
      if (attempt > 0 || !(isConflict || error.isOutcomeUnknown)) throw error;
      const found = await matchExisting(s, write, true, signal);
      s.index.uncertainCreates.delete(key);
      if (found) return adoptUser(s, found, write, operation, signal);
      if (isConflict) {
        const taken = await accountInTheWay(s, write, error, signal);
        if (taken instanceof Error) throw taken;
        return adoptUser(s, taken, write, operation, signal);
      }
      s.log(`${s.name}: ${operation}: no answer and no such account on the server; creating it once more`);
    }
  }
}

/**
 * The account a 409 is about, where the userName filter found none: one that holds this person's
 * externalId under their name in another case, or an account of their name in another case on a server
 * whose filter compares userName exactly (user-lookup.ts); adopted as any account of the name is. Else the
 * error: most often an account that holds this person's externalId under another name (renamed in the
 * app), on a server that keeps externalIds unique, which is never taken over.
 */
async function accountInTheWay(
  s: ScimSession,
  write: UserWrite,
  error: ScimHttpError,
  signal: AbortSignal,
): Promise<ScimUser | ScimHttpError | ProviderError> {
  if (!s.caps.filter) return error;
  const holder =
    write.userId === undefined
      ? undefined
      : await lookUpUser(s, "externalId", write.userId, signal).catch(() => undefined);
  if (holder?.userName.toLowerCase() === write.userName.toLowerCase()) return holder;
  if (holder !== undefined)
    return new ProviderError(
      s.name,
      `create user "${write.userName}"`,
      `the server refuses a second account with externalId "${write.userId ?? ""}": "${holder.userName}" has it. gatehouse does not take that account over (an externalId proves nothing: any app admin can write it). If it is this person's (their previous account, kept while the new one cannot be created, or one renamed in the app), rename it to "${write.userName}" in the app; otherwise clear its externalId`,
      { cause: error },
    );
  return (await findUserAnyCase(s, write.userName, signal)) ?? error;
}

/**
 * Checks that a rename took: a server may keep userName as it was and still answer 200, or answer 204 No
 * Content (RFC 7644 §3.5.2) with nothing to check. Unless the answer shows the new name, the user is read
 * again; the read also puts it in the index under the name it holds, for later writes of this run.
 */
async function confirmRename(
  s: ScimSession,
  user: ScimUser,
  written: ScimUser,
  renamedTo: string,
  operation: string,
  signal: AbortSignal,
): Promise<void> {
  const isRenamed = (u: ScimUser): boolean => u.userName.toLowerCase() === renamedTo.toLowerCase();
  if (written !== user && isRenamed(written)) return;
  const fresh = await s.client.request("GET", userPath(s, user), { operation }, signal);
  const current = parsed(s, fresh.body, operation);
  if (!isRenamed(current))
    throw new ProviderError(
      s.name,
      operation,
      `the server kept userName "${current.userName}": it did not rename the account (the other attributes may be written)`,
    );
}

async function setActive(
  s: ScimSession,
  account: string,
  active: boolean,
  operation: string,
  signal: AbortSignal,
): Promise<void> {
  const user = await requireUser(s, account, signal);
  await writeUser(s, user, [{ op: "replace", path: "active", value: active }], operation, signal);
}

async function deleteUser(
  s: ScimSession,
  account: string,
  operation: string,
  signal: AbortSignal,
): Promise<Confirmation> {
  if (!s.settings.deleteUsers) {
    await setActive(s, account, false, operation, signal);
    return "deactivated (deleteUsers is false)";
  }
  const user = await requireUser(s, account, signal);
  await deleteResource(
    s,
    {
      path: userPath(s, user),
      ...(user.version === undefined ? {} : { version: user.version }),
      name: user.userName,
    },
    (body) => parseScimUser(body, s.settings.attributeMapping)?.userName,
    operation,
    signal,
  );
  forgetUser(s.index, user);
  return undefined;
}

export async function applyUserChange(
  s: ScimSession,
  change: UserChange,
  signal: AbortSignal,
): Promise<Confirmation> {
  const who = `"${change.account}"`;
  switch (change.action) {
    case "create": {
      const manager = await resolveManager(s, change.after.manager, signal);
      const write: UserWrite = {
        userName: change.account,
        attributes: change.after,
        ...(manager === undefined ? {} : { managerId: manager }),
        ...(change.userId === undefined ? {} : { userId: change.userId }),
      };
      return createUser(s, write, `create user ${who}`, signal);
    }
    case "update": {
      const operation = `update user ${who}`;
      const user = await requireUser(s, change.account, signal);
      const fields = change.fields.map((f) => f.field);
      const manager = fields.includes("manager")
        ? await resolveManager(s, change.after.manager, signal)
        : undefined;
      const write: UserWrite = {
        userName: change.account,
        attributes: change.after,
        ...(manager === undefined ? {} : { managerId: manager }),
        ...(change.userId === undefined ? {} : { userId: change.userId }),
      };
      const ops = buildUserPatchOps(write, fields, s.settings.attributeMapping, user);
      // Renamed in place (RFC 7644 §3.5.2): the same resource, its id and group memberships kept.
      const renamedTo = change.fields.find((f) => f.field === "account")?.after;
      if (renamedTo === null)
        throw new ProviderError(s.name, operation, "a user's userName cannot be removed");
      if (renamedTo !== undefined) ops.unshift({ op: "replace", path: "userName", value: renamedTo });
      if (change.userId !== undefined && user.externalId !== change.userId) {
        ops.push({ op: "replace", path: "externalId", value: change.userId });
      }
      const written = await writeUser(s, user, ops, operation, signal);
      if (renamedTo === undefined) return undefined;
      await confirmRename(s, user, written, renamedTo, operation, signal);
      return `renamed SCIM user ${user.id}`;
    }
    case "enable":
    case "disable":
      await setActive(s, change.account, change.action === "enable", `${change.action} user ${who}`, signal);
      return undefined;
    case "delete":
      return deleteUser(s, change.account, `delete user ${who}`, signal);
    case "revoke-sessions":
      throw new ProviderError(
        s.name,
        `revoke sessions of ${who}`,
        "SCIM has no sessions or tokens to revoke",
      );
  }
}
