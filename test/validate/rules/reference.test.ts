/**
 * The rules below were rewritten for speed on large organizations (a million member entries). This
 * file keeps their plain earlier versions as the specification and checks that the fast ones return
 * exactly the same diagnostics, in the same order, on many generated models full of problems:
 * unknown names everywhere, duplicates, nested-group and manager cycles, deep nesting, terminated
 * owners and managers, odd dates.
 */
import { describe, expect, it } from "vitest";
import type { AccessModel, Group, MemberEntry, Role, User } from "../../../src/model/access.ts";
import type { Diagnostic } from "../../../src/model/diagnostic.ts";
import type { SourceLocation } from "../../../src/model/source.ts";
import { formatLocation } from "../../../src/model/source.ts";
import type { Rule } from "../../../src/validate/rule.ts";
import { canonicalCycle, formatCycle, report, suggest } from "../../../src/validate/rules/report.ts";
import { unknownReferences } from "../../../src/validate/rules/unknown-references.ts";
import { duplicateEntries } from "../../../src/validate/rules/duplicate-entries.ts";
import { groupNesting } from "../../../src/validate/rules/group-nesting.ts";
import { groupOwners } from "../../../src/validate/rules/group-owners.ts";
import { managerChain } from "../../../src/validate/rules/manager-chain.ts";
import { NOW, loc, model as buildModel, policy, providerConfig, role, user } from "../../builders.ts";

// ---- the earlier, straightforward versions ------------------------------------------------------

const DAY_MS = 86_400_000;

function isTerminated(u: User, now: Date): boolean {
  if (u.status === "terminated") return true;
  if (u.endDate === undefined) return false;
  const end = Date.parse(`${u.endDate}T00:00:00Z`);
  return Number.isFinite(end) && now.getTime() >= end + DAY_MS;
}

function referenceUnknownReferences(model: AccessModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const users = [...model.users.keys()];
  const groups = [...model.groups.keys()];
  const providers = model.config.providers.map((p) => p.name);
  const unknownUser = (id: string): string =>
    `user "${id}" is not defined in any access file.${suggest(id, users)} Add the user, or fix the id.`;
  const unknownGroup = (name: string): string =>
    `group "${name}" is not defined in any access file.${suggest(name, groups)} Define the group, or fix the name.`;
  const policyLocation = (pointer: string): SourceLocation =>
    model.config.policy.locations?.get(pointer) ??
    model.config.policy.source ?? { file: "(default)", line: 1, column: 1 };
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
      if (!providers.includes(provider) && !(model.config.invalidProviders ?? []).includes(provider))
        out.push(
          report(
            "error",
            "GH206",
            model.config.source === undefined
              ? `provider "${provider}" is not defined: there is no usable gatehouse.yaml in the access folder (none, or it has errors reported above), so only the built-in local provider "directory" exists. Define providers in gatehouse.yaml.`
              : `provider "${provider}" is not a key of providers in gatehouse.yaml.${suggest(provider, providers)} ` +
                  `Known providers: ${providers.join(", ") || "none"}.`,
            group.providerSources?.[i] ?? group.source,
          ),
        );
    });
  }
  for (const u of model.users.values()) {
    if (u.manager !== undefined && !model.users.has(u.manager))
      out.push(report("error", "GH204", `manager ${unknownUser(u.manager)}`, u.managerSource ?? u.source));
  }
  for (const r of model.roles.values()) {
    r.groups.forEach((name, i) => {
      if (!model.groups.has(name))
        out.push(
          report(
            "error",
            "GH205",
            `role "${r.name}" grants ${unknownGroup(name)}`,
            r.groupSources?.[i] ?? r.source,
          ),
        );
    });
  }
  const p = model.config.policy;
  p.separationOfDuties.forEach((set, i) => {
    set.forEach((name, j) => {
      if (!model.groups.has(name))
        out.push(
          report(
            "error",
            "GH207",
            `policy.separationOfDuties: ${unknownGroup(name)}`,
            policyLocation(`/separationOfDuties/${String(i)}/${String(j)}`),
          ),
        );
    });
  });
  p.guardrails.protectedUsers.forEach((id, i) => {
    if (!model.users.has(id))
      out.push(
        report(
          "error",
          "GH208",
          `policy.guardrails.protectedUsers: ${unknownUser(id)}`,
          policyLocation(`/guardrails/protectedUsers/${String(i)}`),
        ),
      );
  });
  p.guardrails.protectedGroups.forEach((name, i) => {
    if (!model.groups.has(name))
      out.push(
        report(
          "error",
          "GH209",
          `policy.guardrails.protectedGroups: ${unknownGroup(name)}`,
          policyLocation(`/guardrails/protectedGroups/${String(i)}`),
        ),
      );
  });
  const accounts = new Set([...model.users.values()].flatMap((u) => Object.values(u.accounts)));
  p.admins.forEach((id, i) => {
    if (!model.users.has(id) && !accounts.has(id))
      out.push(
        report("error", "GH210", `policy.admins: ${unknownUser(id)}`, policyLocation(`/admins/${String(i)}`)),
      );
  });
  return out;
}

function referenceDuplicateEntries(model: AccessModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const group of model.groups.values()) {
    const seen = new Map<string, SourceLocation>();
    for (const entry of group.members ?? []) {
      const key = entry.kind === "user" ? `user:${entry.user}` : `group:${entry.group}`;
      const label = entry.kind === "user" ? `user "${entry.user}"` : `nested group "${entry.group}"`;
      const first = seen.get(key);
      if (first) {
        out.push(
          report(
            "warning",
            "GH211",
            `${label} is listed twice in group "${group.name}"; first at ${formatLocation(first)}. ` +
              "Keep one entry (the one with the right until, if any).",
            entry.source,
            [first],
          ),
        );
      } else seen.set(key, entry.source);
    }
  }
  for (const r of model.roles.values()) {
    const seen = new Map<string, SourceLocation>();
    r.groups.forEach((name, i) => {
      const at = r.groupSources?.[i] ?? r.source;
      const first = seen.get(name);
      if (first) {
        out.push(
          report(
            "warning",
            "GH212",
            `role "${r.name}" lists group "${name}" twice; first at ${formatLocation(first)}. Remove one.`,
            at,
            [first],
          ),
        );
      } else seen.set(name, at);
    });
  }
  return out;
}

type NestedEntry = Extract<MemberEntry, { kind: "group" }>;

function nestedEntries(group: Group, model: AccessModel): NestedEntry[] {
  return (group.members ?? []).filter(
    (e): e is NestedEntry => e.kind === "group" && model.groups.has(e.group),
  );
}

function referenceGroupNesting(model: AccessModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const group = model.groups.get(name);
    if (!group) return;
    state.set(name, "active");
    stack.push(name);
    for (const entry of nestedEntries(group, model)) {
      const seen = state.get(entry.group);
      if (seen === "active") {
        const cycle = stack.slice(stack.indexOf(entry.group));
        const key = canonicalCycle(cycle).join("\0");
        if (reported.has(key)) continue;
        reported.add(key);
        out.push(
          report(
            "error",
            "GH213",
            `nested groups form a cycle: ${formatCycle(cycle)}. Remove one of these nestings.`,
            entry.source,
          ),
        );
      } else if (seen === undefined) visit(entry.group);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of model.groups.keys()) if (!state.has(name)) visit(name);
  const longestChain = (memo: Map<string, string[]>, name: string, path: Set<string>): string[] => {
    const done = memo.get(name);
    if (done) return done;
    const group = model.groups.get(name);
    if (!group || path.has(name)) return [];
    path.add(name);
    let best: string[] = [];
    for (const entry of nestedEntries(group, model)) {
      if (path.has(entry.group)) continue;
      const chain = [entry.group, ...longestChain(memo, entry.group, path)];
      if (chain.length > best.length) best = chain;
    }
    path.delete(name);
    memo.set(name, best);
    return best;
  };
  const max = model.config.policy.maxNestingDepth;
  const memo = new Map<string, string[]>();
  for (const group of model.groups.values()) {
    const chain = longestChain(memo, group.name, new Set());
    if (chain.length <= max) continue;
    const first = nestedEntries(group, model).find((e) => e.group === chain[0]);
    out.push(
      report(
        "error",
        "GH214",
        `group "${group.name}" nests groups ${String(chain.length)} deep (${[group.name, ...chain].join(" → ")}); ` +
          `policy.maxNestingDepth is ${String(max)}. List the inner members directly or flatten a level.`,
        first?.source ?? group.source,
      ),
    );
  }
  return out;
}

function referenceGroupOwners(model: AccessModel, now: Date): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const group of model.groups.values()) {
    if (group.owners.length === 0) {
      out.push(
        report(
          "error",
          "GH217",
          `group "${group.name}" has no owners, so nobody can approve changes to it; add owners: [<user id>].`,
          group.source,
        ),
      );
      continue;
    }
    const known = group.owners.flatMap((id) => {
      const u = model.users.get(id);
      return u ? [u] : [];
    });
    if (known.length === 0) continue;
    if (known.every((u) => isTerminated(u, now))) {
      const names = known.map((u) => u.id).join(", ");
      out.push(
        report(
          "warning",
          "GH218",
          `group "${group.name}" has no active owner: ${names} ${known.length === 1 ? "is" : "are"} terminated` +
            ". Add an active owner; until then the admins approve changes to it.",
          group.ownerSources?.[0] ?? group.source,
        ),
      );
    }
  }
  return out;
}

function referenceManagerChain(model: AccessModel, now: Date): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  const done = new Set<string>();
  for (const start of model.users.values()) {
    const chain: string[] = [];
    let id: string | undefined = start.id;
    while (id !== undefined && !done.has(id) && !chain.includes(id)) {
      chain.push(id);
      id = model.users.get(id)?.manager;
    }
    if (id !== undefined && chain.includes(id)) {
      const cycle = canonicalCycle(chain.slice(chain.indexOf(id)));
      const key = cycle.join("\0");
      const first = model.users.get(cycle[0] ?? "");
      if (!reported.has(key) && first) {
        reported.add(key);
        out.push(
          report(
            "error",
            "GH223",
            `managers form a cycle: ${formatCycle(cycle)}. Fix one of these manager fields.`,
            first.managerSource ?? first.source,
          ),
        );
      }
    }
    for (const c of chain) done.add(c);
  }
  for (const u of model.users.values()) {
    if (u.manager === undefined || isTerminated(u, now)) continue;
    const manager = model.users.get(u.manager);
    if (manager && isTerminated(manager, now))
      out.push(
        report(
          "warning",
          "GH224",
          `manager "${manager.id}" of "${u.id}" is terminated; set a current manager.`,
          u.managerSource ?? u.source,
        ),
      );
  }
  return out;
}

// ---- generated models ---------------------------------------------------------------------------

/** A small deterministic generator (LCG), so a failing seed can be replayed. */
function generator(seed: number): { int(n: number): number; chance(p: number): boolean } {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return { int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}

const FILE = "access/groups/generated.yaml";

function generateModel(seed: number): AccessModel {
  const r = generator(seed);
  let line = 1;
  const at = (): SourceLocation => loc(FILE, line++, 1 + r.int(30));
  const userCount = 5 + r.int(40);
  const groupCount = 3 + r.int(20);
  // Now and then a user entry names a group: users and nested groups are separate namespaces.
  const userId = (): string =>
    r.chance(0.1) ? `ghost${String(r.int(3))}` : r.chance(0.03) ? "g0" : `u${String(r.int(userCount))}`;
  const groupName = (): string => (r.chance(0.1) ? `gx${String(r.int(3))}` : `g${String(r.int(groupCount))}`);
  const dates = ["2026-01-31", "2026-06-01", "2026-05-31", "2027-02-30", "2025-13-01", "soon", "0099-12-31"];
  const users: User[] = [];
  for (let i = 0; i < userCount; i++) {
    users.push(
      user(`u${String(i)}`, {
        source: at(),
        ...(r.chance(0.8) ? { manager: userId(), managerSource: at() } : {}),
        ...(r.chance(0.15) ? { status: "terminated" as const } : {}),
        ...(r.chance(0.2) ? { endDate: dates[r.int(dates.length)] ?? "" } : {}),
        ...(r.chance(0.2) ? { accounts: { github: `gh-${String(r.int(userCount))}` } } : {}),
      }),
    );
  }
  const groups: Group[] = [];
  for (let i = 0; i < groupCount; i++) {
    const members: MemberEntry[] = [];
    const size = r.int(14);
    for (let k = 0; k < size; k++)
      members.push(
        r.chance(0.25)
          ? { kind: "group", group: groupName(), source: at() }
          : { kind: "user", user: userId(), source: at() },
      );
    const owners = Array.from({ length: r.int(4) }, userId);
    const providers = r.chance(0.2) ? ["directory", "dirctory"] : undefined;
    groups.push({
      name: `g${String(i)}`,
      owners,
      sensitivity: "normal",
      source: at(),
      ...(r.chance(0.9) ? { members } : {}),
      ...(r.chance(0.8) ? { ownerSources: owners.map(at) } : {}),
      ...(providers ? { providers, providerSources: providers.map(at) } : {}),
    });
  }
  const roles: Role[] = Array.from({ length: r.int(4) }, (_, i) => {
    const names = Array.from({ length: r.int(5) }, groupName);
    return { ...role(`r${String(i)}`, {}, names, line++), groupSources: names.map(at) };
  });
  return buildModel({
    users,
    groups,
    roles,
    providers: [providerConfig()],
    policy: policy({
      maxNestingDepth: r.int(4),
      separationOfDuties: [[groupName(), groupName()]],
      guardrails: { protectedUsers: [userId(), userId()], protectedGroups: [groupName()] },
      admins: [userId(), `gh-${String(r.int(userCount))}`, "nobody"],
    }),
  });
}

const CASES: [Rule, (model: AccessModel, now: Date) => Diagnostic[]][] = [
  [unknownReferences, referenceUnknownReferences],
  [duplicateEntries, referenceDuplicateEntries],
  [groupNesting, referenceGroupNesting],
  [groupOwners, referenceGroupOwners],
  [managerChain, referenceManagerChain],
];

describe.each(CASES.map(([rule, reference]) => [rule.name, rule, reference] as const))(
  "%s matches its plain earlier version",
  (_name, rule, reference) => {
    it("on generated models full of problems", () => {
      let found = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const model = generateModel(seed);
        const expected = reference(model, NOW);
        found += expected.length;
        expect(
          rule.check({ model, definitions: { users: [], groups: [], roles: [] }, now: NOW }),
          `seed ${String(seed)}`,
        ).toStrictEqual(expected);
      }
      expect(found).toBeGreaterThan(50);
    });
  },
);
