import type { AccessConfig, AccessModel, Group } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import type { Definitions } from "../../load/build-model.ts";
import { report, suggest } from "./report.ts";
import { memberPositions } from "../../desired/user-set.ts";

function policyLocation(model: AccessModel, pointer: string): SourceLocation {
  const policy = model.config.policy;
  return policy.locations?.get(pointer) ?? policy.source ?? { file: "(default)", line: 1, column: 1 };
}

function unknownUser(model: AccessModel, id: string): string {
  return `user "${id}" is not defined in any access file.${suggest(id, model.users.keys())} Add the user, or fix the id.`;
}

function unknownGroup(model: AccessModel, name: string): string {
  return `group "${name}" is not defined in any access file.${suggest(name, model.groups.keys())} Define the group, or fix the name.`;
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
}

function knownNames(model: AccessModel, definitions: Definitions): Known {
  const left = definitions.withErrors;
  return {
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
        out.push(report("error", "GH201", `member ${unknownUser(model, entry.user)}`, entry.source));
    } else if (!known.group(entry.group))
      out.push(report("error", "GH202", `nested ${unknownGroup(model, entry.group)}`, entry.source));
  }
}

function checkOwners(model: AccessModel, known: Known, group: Group, out: Diagnostic[]): void {
  const owners = group.owners;
  for (let i = 0; i < owners.length; i++) {
    const owner = owners[i];
    if (owner === undefined || known.user(owner)) continue;
    const at = group.ownerSources?.[i] ?? group.source;
    out.push(report("error", "GH203", `owner ${unknownUser(model, owner)}`, at));
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
          `manager ${unknownUser(model, user.manager)}`,
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
            `role "${role.name}" grants ${unknownGroup(model, name)}`,
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
  check({ model, definitions }) {
    const out: Diagnostic[] = [];
    const known = knownNames(model, definitions);
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
            `policy.separationOfDuties: ${unknownGroup(model, name)}`,
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
          `policy.guardrails.protectedUsers: ${unknownUser(model, id)}`,
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
          `policy.drills.canaries: ${unknownUser(model, id)}`,
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
          `policy.guardrails.protectedGroups: ${unknownGroup(model, name)}`,
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
          `policy.admins: ${unknownUser(model, id)}`,
          policyLocation(model, `/admins/${String(i)}`),
        ),
      );
  });
}
