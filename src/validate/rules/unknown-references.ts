import type { AccessConfig, AccessModel, Group } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import type { Definitions } from "../../load/build-model.ts";
import type { UnloadedFile } from "../../load/load-tree.ts";
import { report, suggest } from "./report.ts";
import { memberPositions } from "../../desired/user-set.ts";

function policyLocation(model: AccessModel, pointer: string): SourceLocation {
  const policy = model.config.policy;
  return policy.locations?.get(pointer) ?? policy.source ?? { file: "(default)", line: 1, column: 1 };
}

function unknownUser(known: Known, id: string): string {
  const note = notLoaded(known, id);
  return `user "${id}" is not defined in any access file${note}.${known.suggestUser(id)} ${note === "" ? "Add the user, or fix the id." : "Fix that error first."}`;
}

function unknownGroup(known: Known, name: string): string {
  const note = notLoaded(known, name);
  return `group "${name}" is not defined in any access file${note}.${known.suggestGroup(name)} ${note === "" ? "Define the group, or fix the name." : "Fix that error first."}`;
}

/**
 * A file that did not load (a duplicate key, bad YAML) defines nothing in the model: a name "not defined"
 * may be defined there (when its text names it, or was not kept), so the message says so rather than
 * send the reader to define it again.
 */
function notLoaded(known: Known, name: string): string {
  const files = known.unloadedFiles
    .filter((f) => f.text === undefined || f.text.includes(name))
    .map((f) => f.file);
  if (files.length === 0) return "";
  const shown =
    files.slice(0, 3).join(", ") + (files.length > 3 ? ` and ${String(files.length - 3)} more` : "");
  return ` that loaded; ${shown} did not load (see ${files.length === 1 ? "its error" : "their errors"}), which may define it`;
}

// Every member entry of a large organization passes through here (a million of them): user entries
// are looked up once per model (memberPositions, shared with effective memberships), group entries
// with one map lookup, and messages are written only for names not found.

/**
 * Whether a name is defined: by the model, or by an item left out for its schema errors (reported
 * already; "not defined" would send the reader looking for a definition that is there).
 */
interface Known {
  user(id: string): boolean;
  group(name: string): boolean;
  /**
   * ` Did you mean …?` for a user id or group name not defined. Each is worked out once: a person
   * deleted from the users file is still named by every group they were in, and each suggestion
   * looks at every user.
   */
  suggestUser(id: string): string;
  suggestGroup(name: string): string;
  /** Access files that did not load. */
  readonly unloadedFiles: readonly UnloadedFile[];
}

function remembered(answers: Map<string, string>, key: string, work: () => string): string {
  let answer = answers.get(key);
  if (answer === undefined) answers.set(key, (answer = work()));
  return answer;
}

function knownNames(
  model: AccessModel,
  definitions: Definitions,
  unloadedFiles: readonly UnloadedFile[],
): Known {
  const left = definitions.withErrors;
  const userSuggestions = new Map<string, string>();
  const groupSuggestions = new Map<string, string>();
  return {
    unloadedFiles,
    suggestUser: (id) => remembered(userSuggestions, id, () => suggest(id, model.users.keys())),
    suggestGroup: (name) => remembered(groupSuggestions, name, () => suggest(name, model.groups.keys())),
    user: (id) => model.users.has(id) || left?.users.has(id) === true,
    group: (name) => model.groups.has(name) || left?.groups.has(name) === true,
  };
}

function checkMembers(model: AccessModel, known: Known, group: Group, out: Diagnostic[]): void {
  const members = group.members;
  if (members === undefined) return;
  const positions = memberPositions(model, group);
  // A found user needs nothing more: only entries without a position (unknown users, nested groups)
  // are looked at.
  for (let i = 0; i < members.length; i++) {
    const entry = members[i];
    if (entry === undefined || (positions[i] ?? -1) >= 0) continue;
    if (entry.kind === "user") {
      if (!known.user(entry.user))
        out.push(report("error", "GH201", `member ${unknownUser(known, entry.user)}`, entry.source));
    } else if (!known.group(entry.group))
      out.push(report("error", "GH202", `nested ${unknownGroup(known, entry.group)}`, entry.source));
  }
}

function checkOwners(model: AccessModel, known: Known, group: Group, out: Diagnostic[]): void {
  const owners = group.owners;
  for (let i = 0; i < owners.length; i++) {
    const owner = owners[i];
    if (owner === undefined || known.user(owner)) continue;
    const at = group.ownerSources?.[i] ?? group.source;
    out.push(report("error", "GH203", `owner ${unknownUser(known, owner)}`, at));
  }
}

function checkProviders(
  group: Group,
  providers: readonly string[],
  config: AccessConfig,
  out: Diagnostic[],
): void {
  const names = group.providers;
  if (names === undefined) return;
  for (let i = 0; i < names.length; i++) {
    const provider = names[i];
    if (provider === undefined || providers.includes(provider) || config.invalidProviders?.includes(provider))
      continue;
    out.push(
      report(
        "error",
        "GH206",
        config.source === undefined
          ? `provider "${provider}" is not defined: there is no usable gatehouse.yaml in the access folder (none, or it has errors reported above), so only the built-in local provider "directory" exists. Define providers in gatehouse.yaml.`
          : `provider "${provider}" is not a key of providers in gatehouse.yaml.${suggest(provider, providers)} ` +
              `Known providers: ${providers.join(", ") || "none"}.`,
        group.providerSources?.[i] ?? group.source,
      ),
    );
  }
}

function checkManagers(model: AccessModel, known: Known, out: Diagnostic[]): void {
  for (const user of model.users.values()) {
    if (user.manager !== undefined && !known.user(user.manager))
      out.push(
        report(
          "error",
          "GH204",
          `manager ${unknownUser(known, user.manager)}`,
          user.managerSource ?? user.source,
        ),
      );
  }
}

function checkRoles(model: AccessModel, known: Known, out: Diagnostic[]): void {
  for (const role of model.roles.values()) {
    role.groups.forEach((name, i) => {
      if (!known.group(name))
        out.push(
          report(
            "error",
            "GH205",
            `role "${role.name}" grants ${unknownGroup(known, name)}`,
            role.groupSources?.[i] ?? role.source,
          ),
        );
    });
  }
}

/** Every name the access files use must be defined: users, groups, providers. */
export const unknownReferences: Rule = {
  name: "unknown-references",
  codes: ["GH201", "GH202", "GH203", "GH204", "GH205", "GH206", "GH207", "GH208", "GH209", "GH210"],
  check({ model, definitions, unloadedFiles }) {
    const out: Diagnostic[] = [];
    const known = knownNames(model, definitions, unloadedFiles ?? []);
    const providers = model.config.providers.map((p) => p.name);
    for (const group of model.groups.values()) {
      checkMembers(model, known, group, out);
      checkOwners(model, known, group, out);
      checkProviders(group, providers, model.config, out);
    }
    checkManagers(model, known, out);
    checkRoles(model, known, out);
    checkPolicy(model, known, out);
    return out;
  },
};

/** Account names of every user, for admins named by a login rather than a user id. */
function accountNames(model: AccessModel): Set<string> {
  const accounts = new Set<string>();
  for (const user of model.users.values())
    for (const name of Object.values(user.accounts)) accounts.add(name);
  return accounts;
}

function checkPolicy(model: AccessModel, known: Known, out: Diagnostic[]): void {
  const { policy } = model.config;
  policy.separationOfDuties.forEach((set, i) => {
    set.forEach((name, j) => {
      if (!known.group(name))
        out.push(
          report(
            "error",
            "GH207",
            `policy.separationOfDuties: ${unknownGroup(known, name)}`,
            policyLocation(model, `/separationOfDuties/${String(i)}/${String(j)}`),
          ),
        );
    });
  });
  policy.guardrails.protectedUsers.forEach((id, i) => {
    if (!known.user(id))
      out.push(
        report(
          "error",
          "GH208",
          `policy.guardrails.protectedUsers: ${unknownUser(known, id)}`,
          policyLocation(model, `/guardrails/protectedUsers/${String(i)}`),
        ),
      );
  });
  // A canary is offboarded for real by `gatehouse drill`: one the files do not define is a mistake.
  (policy.drillCanaries ?? []).forEach((id, i) => {
    if (!known.user(id))
      out.push(
        report(
          "error",
          "GH208",
          `policy.drills.canaries: ${unknownUser(known, id)}`,
          policyLocation(model, `/drills/canaries/${String(i)}`),
        ),
      );
  });
  policy.guardrails.protectedGroups.forEach((name, i) => {
    if (!known.group(name))
      out.push(
        report(
          "error",
          "GH209",
          `policy.guardrails.protectedGroups: ${unknownGroup(known, name)}`,
          policyLocation(model, `/guardrails/protectedGroups/${String(i)}`),
        ),
      );
  });
  // Admins may be named by user id or by an account name (a GitHub login) of a known user; the
  // account names are gathered only when an admin is not a user id.
  let accounts: Set<string> | undefined;
  policy.admins.forEach((id, i) => {
    if (known.user(id)) return;
    accounts ??= accountNames(model);
    if (!accounts.has(id))
      out.push(
        report(
          "error",
          "GH210",
          `policy.admins: ${unknownUser(known, id)}`,
          policyLocation(model, `/admins/${String(i)}`),
        ),
      );
  });
}
