import { USER_ATTRIBUTE_KEYS, type UserAttributes } from "../model/state.ts";
import { sessionsAddress, userAddress } from "./addresses.ts";
import type { PlanSink } from "./context.ts";
import type { FieldDiff } from "./types.ts";

function attributeDiff(
  before: UserAttributes,
  after: UserAttributes,
  allowed: readonly string[],
): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const key of USER_ATTRIBUTE_KEYS) {
    if (!allowed.includes(key)) continue;
    const want = after[key];
    if (want === undefined) continue; // absent in the files: unmanaged
    const have = before[key];
    if (have !== want) out.push({ field: key, before: have ?? null, after: want });
  }
  return out;
}

function onlyAllowed(attrs: UserAttributes, allowed: readonly string[]): UserAttributes {
  const out: Record<string, string> = {};
  for (const key of USER_ATTRIBUTE_KEYS) {
    const v = attrs[key];
    if (v !== undefined && allowed.includes(key)) out[key] = v;
  }
  return out;
}

/** Users: create, enable, update attributes, disable leavers, revoke their sessions; unmentioned accounts by mode. */
export function planUsers(sink: PlanSink): void {
  const { input } = sink;
  const { name: provider, capabilities: caps, desired, live } = input;
  const liveUsers = new Map(live.users.map((u) => [u.account, u]));

  for (const want of [...desired.users.values()].sort((a, b) => (a.account < b.account ? -1 : 1))) {
    const have = liveUsers.get(want.account);
    const id = userAddress(provider, want.account);
    const base = { provider, source: want.source, userId: want.userId } as const;
    if (!have) {
      if (!want.enabled) continue; // a leaver with no account here: nothing to remove
      if (!caps.createUsers && caps.invitesUsers !== true) {
        sink.note(
          "info",
          `${want.account} (${want.userId}) has no account in ${provider}; it cannot be created from here`,
        );
        continue;
      }
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "create",
        account: want.account,
        after: onlyAllowed(want.attributes, caps.userAttributes),
        reason: "added-in-config",
        risk: "broadens",
        ...(caps.createUsers
          ? {}
          : { why: [`invitation to ${provider}: access starts once it is accepted`] }),
      });
      continue;
    }
    // A pending invitation is not sent again; a leaver's is withdrawn (disable), so they cannot still accept it.
    if (have.pending === true && want.enabled) {
      sink.note("info", `${want.account}: invitation pending; not sent again`);
      continue;
    }
    if (want.enabled && !have.enabled) {
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "enable",
        account: want.account,
        reason: "added-in-config",
        risk: "broadens",
      });
    }
    if (!want.enabled && (have.enabled || have.pending === true) && caps.disable !== "none") {
      const reason =
        want.status === "terminated"
          ? "user-terminated"
          : want.status === "leave"
            ? "user-on-leave"
            : "not-started";
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "disable",
        account: want.account,
        reason,
        risk: "narrows",
      });
    }
    if (
      want.status === "terminated" &&
      caps.revokeSessions &&
      ((have.sessions ?? 0) > 0 || (have.tokens ?? 0) > 0)
    ) {
      sink.change({
        ...base,
        id: sessionsAddress(provider, want.account),
        kind: "user",
        action: "revoke-sessions",
        account: want.account,
        sessions: have.sessions ?? 0,
        tokens: have.tokens ?? 0,
        reason: "user-terminated",
        risk: "narrows",
      });
    }
    const fields = attributeDiff(have, want.attributes, caps.userAttributes);
    if (fields.length > 0 && want.status !== "terminated") {
      sink.change({
        ...base,
        id,
        kind: "user",
        action: "update",
        account: want.account,
        fields,
        after: onlyAllowed(want.attributes, caps.userAttributes),
        reason: input.managed?.has(id) === true ? "drift" : "added-in-config",
        risk: "neutral",
      });
    }
  }

  for (const have of live.users) {
    const isPending = have.pending === true;
    if (desired.users.has(have.account) || (!have.enabled && !isPending)) continue;
    const id = userAddress(provider, have.account);
    if (input.mode === "authoritative" && caps.disable !== "none") {
      sink.change({
        provider,
        id,
        kind: "user",
        action: "disable",
        account: have.account,
        reason: input.managed?.has(id) === true ? "removed-from-config" : "not-in-config",
        risk: "narrows",
        why: [
          isPending
            ? "a pending invitation for someone in no access file is withdrawn (mode: authoritative)"
            : "the account is in no access file (mode: authoritative)",
        ],
      });
    } else if (input.mode === "observe") {
      sink.note("unmanaged", `account ${have.account} is in no access file; left alone (mode: observe)`);
    }
  }
}
