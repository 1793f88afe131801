import { ProviderError } from "../../errors.ts";
import { USER_ATTRIBUTE_KEYS } from "../../model/state.ts";
import type { UserAttributes } from "../../model/state.ts";
import type { Change, GroupChange, MembershipChange, UserChange } from "../../plan/types.ts";
import type { ChangeOutcome } from "../types.ts";
import type { Directory, StoredGroup, StoredUser } from "./directory-file.ts";

export interface ApplyToDirectoryOptions {
  /** Provider name, for error messages. */
  readonly provider: string;
  readonly isNesting: boolean;
  readonly now: () => Date;
}

export interface DirectoryApplyResult {
  readonly outcomes: ChangeOutcome[];
  /** Whether any change altered the directory (otherwise nothing needs writing). */
  readonly isChanged: boolean;
}

type Step = { readonly confirmation: string; readonly isChanged: boolean } | { readonly failure: string };

/**
 * Carries out changes on the in-memory directory, in order. A change that cannot be done fails and
 * leaves the directory as it was (every check runs before any mutation); the others still apply.
 */
export function applyChangesToDirectory(
  directory: Directory,
  changes: readonly Change[],
  options: ApplyToDirectoryOptions,
): DirectoryApplyResult {
  let isChanged = false;
  const sets = new UserMemberSets();
  const outcomes = changes.map((change): ChangeOutcome => {
    const step = applyOne(directory, change, options, sets);
    if ("failure" in step) {
      return {
        status: "failed",
        error: new ProviderError(options.provider, describeOperation(change), step.failure, {
          status: "rejected",
        }),
      };
    }
    isChanged ||= step.isChanged;
    return { status: "applied", confirmation: step.confirmation };
  });
  sets.writeBack();
  return { outcomes, isChanged };
}

/**
 * The user member lists of the groups a run of user membership changes touches, as sets: a lookup, add
 * or removal is then constant time, not a scan of the list (a first import adds 50,000 people to the
 * largest group, one change at a time). Written back as lists, in the same order as adding to and
 * filtering the lists would leave them, before any other change reads them, and at the end.
 */
class UserMemberSets {
  readonly #open = new Map<StoredGroup, Set<string>>();

  of(group: StoredGroup): Set<string> {
    let set = this.#open.get(group);
    if (set === undefined) {
      set = new Set(group.members);
      this.#open.set(group, set);
    }
    return set;
  }

  writeBack(): void {
    for (const [group, set] of this.#open) group.members = [...set];
    this.#open.clear();
  }
}

function applyUserMembership(directory: Directory, change: MembershipChange, sets: UserMemberSets): Step {
  const { group: name, member, action } = change;
  const group = directory.groups.get(name);
  if (!group) return { failure: `group "${name}" does not exist` };
  const members = sets.of(group);
  if (action === "remove") {
    if (!members.delete(member)) return done(`${member} was not a member of ${name}`, false);
    return done(`removed ${member} from ${name}`);
  }
  if (!directory.users.has(member)) return { failure: `user "${member}" does not exist` };
  if (members.has(member)) return done(`${member} was already a member of ${name}`, false);
  members.add(member);
  return done(`added ${member} to ${name}`);
}

function describeOperation(change: Change): string {
  return `${change.action} ${change.kind}`;
}

function applyOne(
  directory: Directory,
  change: Change,
  options: ApplyToDirectoryOptions,
  sets: UserMemberSets,
): Step {
  if (change.kind === "membership" && change.memberKind === "user")
    return applyUserMembership(directory, change, sets);
  // Everything else reads or writes the member lists themselves.
  sets.writeBack();
  switch (change.kind) {
    case "user":
      return applyUserChange(directory, change, options);
    case "group":
      return applyGroupChange(directory, change);
    case "membership":
      return applyNestedMembership(directory, change, options);
  }
}

function done(confirmation: string, isChanged = true): Step {
  return { confirmation, isChanged };
}

function applyUserChange(directory: Directory, change: UserChange, options: ApplyToDirectoryOptions): Step {
  const { account } = change;
  const user = directory.users.get(account);
  if (change.action === "create") {
    if (user) return { failure: `user "${account}" already exists` };
    const created: StoredUser = {
      account,
      enabled: true,
      createdAt: options.now().toISOString(),
      sessions: [],
      tokens: [],
    };
    setAttributes(created, change.after, USER_ATTRIBUTE_KEYS);
    directory.users.set(account, created);
    return done(`created user ${account}`);
  }
  if (!user) return { failure: `user "${account}" does not exist` };
  switch (change.action) {
    case "update":
      return updateUser(
        user,
        change.fields.map((f) => f.field),
        change.after,
      );
    case "enable":
    case "disable": {
      const enabled = change.action === "enable";
      if (user.enabled === enabled) return done(`user ${account} was already ${change.action}d`, false);
      user.enabled = enabled;
      return done(`${change.action}d user ${account}`);
    }
    case "revoke-sessions": {
      const { sessions, tokens } = { sessions: user.sessions.length, tokens: user.tokens.length };
      user.sessions = [];
      user.tokens = [];
      return done(
        `revoked ${String(sessions)} session(s) and ${String(tokens)} token(s) of ${account}`,
        sessions + tokens > 0,
      );
    }
    case "delete":
      directory.users.delete(account);
      for (const group of directory.groups.values())
        group.members = group.members.filter((m) => m !== account);
      return done(`deleted user ${account}`);
  }
}

type AttributeKey = (typeof USER_ATTRIBUTE_KEYS)[number];

function isAttributeKey(field: string): field is AttributeKey {
  return USER_ATTRIBUTE_KEYS.some((key) => key === field);
}

function updateUser(user: StoredUser, fields: readonly string[], after: UserAttributes): Step {
  const unknown = fields.filter((f) => !isAttributeKey(f));
  if (unknown.length > 0) return { failure: `cannot update ${unknown.join(", ")} of user "${user.account}"` };
  setAttributes(user, after, fields.filter(isAttributeKey));
  return done(`updated ${fields.join(", ")} of user ${user.account}`);
}

/** Sets the listed attributes from `after`; an attribute absent from `after` is removed. */
function setAttributes(user: StoredUser, after: UserAttributes, keys: readonly AttributeKey[]): void {
  for (const key of keys) {
    if (key === "employmentType") {
      if (after.employmentType === undefined) delete user.employmentType;
      else user.employmentType = after.employmentType;
      continue;
    }
    const value = after[key];
    // A removed attribute is absent, not undefined (exactOptionalPropertyTypes); the key is one of five.
    if (value === undefined) Reflect.deleteProperty(user, key);
    else user[key] = value;
  }
}

function applyGroupChange(directory: Directory, change: GroupChange): Step {
  const { group: name } = change;
  const group = directory.groups.get(name);
  switch (change.action) {
    case "create":
      if (group) return { failure: `group "${name}" already exists` };
      directory.groups.set(name, {
        name,
        ...(change.description === undefined ? {} : { description: change.description }),
        members: [],
        groupMembers: [],
      });
      return done(`created group ${name}`);
    case "update": {
      if (!group) return { failure: `group "${name}" does not exist` };
      const fields = change.fields.map((f) => f.field);
      const unknown = fields.filter((f) => f !== "description" && f !== "name");
      if (unknown.length > 0) return { failure: `cannot update ${unknown.join(", ")} of group "${name}"` };
      const newName = change.fields.find((f) => f.field === "name")?.after;
      if (newName !== undefined && newName !== null && newName !== name) {
        if (directory.groups.has(newName))
          return { failure: `cannot rename group "${name}": "${newName}" exists` };
        // Renamed in place: members kept, and groups that nest it follow the new name.
        directory.groups.delete(name);
        group.name = newName;
        directory.groups.set(newName, group);
        for (const other of directory.groups.values()) {
          other.groupMembers = other.groupMembers.map((g) => (g === name ? newName : g));
        }
      }
      if (fields.includes("description")) {
        if (change.description === undefined) delete group.description;
        else group.description = change.description;
      }
      if (newName === undefined && !fields.includes("description"))
        return done(`group ${name} unchanged`, false);
      return done(
        newName !== undefined && newName !== null && newName !== name
          ? `renamed group ${name} to ${newName}`
          : `updated group ${name}`,
      );
    }
    case "delete":
      if (!group) return { failure: `group "${name}" does not exist` };
      directory.groups.delete(name);
      for (const other of directory.groups.values()) {
        other.groupMembers = other.groupMembers.filter((g) => g !== name);
      }
      return done(`deleted group ${name} (${String(group.members.length)} member(s))`);
  }
}

/** A nested group added to or taken out of a group (user members: applyUserMembership). */
function applyNestedMembership(
  directory: Directory,
  change: MembershipChange,
  options: ApplyToDirectoryOptions,
): Step {
  const { group: name, member, action } = change;
  const group = directory.groups.get(name);
  if (!group) return { failure: `group "${name}" does not exist` };
  const isMember = group.groupMembers.includes(member);
  if (action === "remove") {
    if (!isMember) return done(`${member} was not a member of ${name}`, false);
    group.groupMembers = group.groupMembers.filter((m) => m !== member);
    return done(`removed ${member} from ${name}`);
  }
  // With nesting off, a link left from when it was on may still be taken out, never added.
  if (!options.isNesting)
    return { failure: `nesting is off for this provider; cannot add group "${member}" to "${name}"` };
  if (!directory.groups.has(member)) return { failure: `group "${member}" does not exist` };
  if (reaches(directory, member, name)) {
    return { failure: `adding group "${member}" to "${name}" would create a nesting cycle` };
  }
  if (isMember) return done(`${member} was already a member of ${name}`, false);
  group.groupMembers.push(member);
  return done(`added ${member} to ${name}`);
}

/** Whether `from` is `to` or contains it through nested groups. */
function reaches(directory: Directory, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    if (current === to) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    stack.push(...(directory.groups.get(current)?.groupMembers ?? []));
  }
  return false;
}
