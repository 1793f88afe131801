import type { AccessModel } from "../../model/access.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { SourceLocation } from "../../model/source.ts";
import type { Rule } from "../rule.ts";
import { report, suggest } from "./report.ts";

function policyLocation(model: AccessModel, pointer: string): SourceLocation {
  const policy = model.config.policy;
  return policy.locations?.get(pointer) ?? policy.source ?? { file: "(default)", line: 1, column: 1 };
}

/** Every name the access files use must be defined: users, groups, providers. */
export const unknownReferences: Rule = {
  name: "unknown-references",
  codes: ["GH201", "GH202", "GH203", "GH204", "GH205", "GH206", "GH207", "GH208", "GH209", "GH210"],
  check({ model }) {
    const out: Diagnostic[] = [];
    const users = [...model.users.keys()];
    const groups = [...model.groups.keys()];
    const providers = model.config.providers.map((p) => p.name);
    const unknownUser = (id: string): string =>
      `user "${id}" is not defined in any access file.${suggest(id, users)} Add the user, or fix the id.`;
    const unknownGroup = (name: string): string =>
      `group "${name}" is not defined in any access file.${suggest(name, groups)} Define the group, or fix the name.`;

    for (const group of model.groups.values()) {
      for (const entry of group.members ?? []) {
        if (entry.kind === "user" && !model.users.has(entry.user))
          out.push(report("error", "GH201", `member ${unknownUser(entry.user)}`, entry.source));
        if (entry.kind === "group" && !model.groups.has(entry.group))
          out.push(report("error", "GH202", `nested ${unknownGroup(entry.group)}`, entry.source));
      }
      group.owners.forEach((owner, i) => {
        if (!model.users.has(owner))
          out.push(
            report("error", "GH203", `owner ${unknownUser(owner)}`, group.ownerSources?.[i] ?? group.source),
          );
      });
      (group.providers ?? []).forEach((provider, i) => {
        if (!providers.includes(provider))
          out.push(
            report(
              "error",
              "GH206",
              `provider "${provider}" is not a key of providers in gatehouse.yaml.${suggest(provider, providers)} ` +
                `Known providers: ${providers.join(", ")}.`,
              group.providerSources?.[i] ?? group.source,
            ),
          );
      });
    }
    for (const user of model.users.values()) {
      if (user.manager !== undefined && !model.users.has(user.manager))
        out.push(
          report("error", "GH204", `manager ${unknownUser(user.manager)}`, user.managerSource ?? user.source),
        );
    }
    for (const role of model.roles.values()) {
      role.groups.forEach((name, i) => {
        if (!model.groups.has(name))
          out.push(
            report(
              "error",
              "GH205",
              `role "${role.name}" grants ${unknownGroup(name)}`,
              role.groupSources?.[i] ?? role.source,
            ),
          );
      });
    }
    out.push(...checkPolicy(model, unknownUser, unknownGroup));
    return out;
  },
};

function checkPolicy(
  model: AccessModel,
  unknownUser: (id: string) => string,
  unknownGroup: (name: string) => string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { policy } = model.config;
  policy.separationOfDuties.forEach((set, i) => {
    set.forEach((name, j) => {
      if (!model.groups.has(name))
        out.push(
          report(
            "error",
            "GH207",
            `policy.separationOfDuties: ${unknownGroup(name)}`,
            policyLocation(model, `/separationOfDuties/${String(i)}/${String(j)}`),
          ),
        );
    });
  });
  policy.guardrails.protectedUsers.forEach((id, i) => {
    if (!model.users.has(id))
      out.push(
        report(
          "error",
          "GH208",
          `policy.guardrails.protectedUsers: ${unknownUser(id)}`,
          policyLocation(model, `/guardrails/protectedUsers/${String(i)}`),
        ),
      );
  });
  policy.guardrails.protectedGroups.forEach((name, i) => {
    if (!model.groups.has(name))
      out.push(
        report(
          "error",
          "GH209",
          `policy.guardrails.protectedGroups: ${unknownGroup(name)}`,
          policyLocation(model, `/guardrails/protectedGroups/${String(i)}`),
        ),
      );
  });
  // Admins may be named by user id or by an account name (a GitHub login) of a known user.
  const accounts = new Set([...model.users.values()].flatMap((u) => Object.values(u.accounts)));
  policy.admins.forEach((id, i) => {
    if (!model.users.has(id) && !accounts.has(id))
      out.push(
        report(
          "error",
          "GH210",
          `policy.admins: ${unknownUser(id)}`,
          policyLocation(model, `/admins/${String(i)}`),
        ),
      );
  });
  return out;
}
