import { existsSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { AccessModel, EmploymentType, ProviderConfig } from "../model/access.ts";
import type { DesiredState, LiveGroup, LiveState } from "../model/state.ts";
import { accountNameFor } from "../desired/desired-state.ts";
import { formerIdsOf } from "../desired/former-ids.ts";
import { nameFold } from "../plan/align-case.ts";
import { unlistedMembershipWarnings } from "./import-unlisted.ts";

const ID_CHARS = /[^a-z0-9._-]+/g;
const EMPLOYMENT_TYPES: readonly EmploymentType[] = ["employee", "contractor", "intern", "service"];

/** Lower case, runs of other characters as one '-', starting with a letter or digit; "" when none is left. */
function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(ID_CHARS, "-")
    .replace(/^[^a-z0-9]+/, "");
}

/** `base`, or `base-2`, `base-3`, ... : the first that is not `taken` (which it then joins). */
function uniqueIn(taken: Set<string>, base: string): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${String(n)}`;
  taken.add(name);
  return name;
}

/** A valid gatehouse user id from an account name ("Alice.L@Example.com" → "alice.l"). */
export function userIdFromAccount(account: string): string {
  const local = account.includes("@") ? (account.split("@")[0] ?? account) : account;
  const id = slugOf(local);
  return id === "" ? "user" : id.slice(0, 64);
}

const GROUP_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * A valid gatehouse group name for a live group, and the live name to keep as a former name when the
 * two differ in more than case ("Sales Team" → "sales-team", former name "Sales Team"; "Eng-Ops" →
 * "eng-ops", which the systems that ignore case match as it is). Exported for tests.
 */
export function groupNameFromLive(live: string): { name: string; formerName?: string } {
  if (GROUP_NAME.test(live)) return { name: live };
  const lower = live.toLowerCase();
  if (GROUP_NAME.test(lower)) return { name: lower };
  const slug = slugOf(lower).replace(/-+$/, "").slice(0, 128);
  return { name: slug === "" ? "group" : slug, formerName: live };
}

/**
 * How large an imported file may grow before the next part starts: a quarter of the loader's 16 MB
 * limit per file, so that an import of a large directory is valid as written and its parts stay
 * readable in a review.
 */
export const IMPORT_PART_BYTES = 4 * 1024 * 1024;

/** What `renderImport` writes: one or more access files (YAML text), in order. */
export interface ImportRendering {
  readonly parts: readonly string[];
  readonly users: number;
  readonly groups: number;
  /** What the first plan after this import will change, so that it is no surprise. */
  readonly warnings: readonly string[];
}

export interface ImportOptions {
  /** Start a new part past about this many bytes (default IMPORT_PART_BYTES). */
  readonly partBytes?: number;
  /** The system matches account names whatever their case (its capability of that name). */
  readonly caseInsensitiveNames?: boolean;
  /**
   * What the files give this system: live members of groups they define that they do not give are
   * warned about (the import writes nothing into those groups).
   */
  readonly desired?: DesiredState;
}

/**
 * Live state → access files (YAML text). Known people are referenced by their id, not redeclared. The
 * users come first, then the groups; a new part starts when the next item would take the current one
 * past about `partBytes` (one item never spans two parts, so a single enormous group may exceed it).
 * `schemaPath` (relative to the written file) is put in a yaml-language-server header; without one, none.
 */
export function renderImport(
  live: LiveState,
  model: AccessModel,
  provider: ProviderConfig,
  schemaPath: string | undefined,
  options: ImportOptions = {},
): ImportRendering {
  const partBytes = options.partBytes ?? IMPORT_PART_BYTES;
  const byCase = nameFold(options);
  const idByAccount = new Map<string, string>();
  for (const user of model.users.values()) {
    const account = accountNameFor(user, provider);
    if (account !== undefined) idByAccount.set(byCase(account), user.id);
  }
  // An id someone lists in formerIds is theirs (GH236): no one imported gets it.
  const formerIds = formerIdsOf(model.users);
  const taken = new Set([...model.users.keys(), ...formerIds.keys()]);
  const users: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  // A person's former account here, as the journal knows it (an e-mail changed where the system cannot
  // rename): theirs, not a new person's; the plan says what becomes of it.
  const formerAccounts = options.desired?.formerAccounts;
  const adopted = [...live.users]
    .sort((a, b) => (a.account < b.account ? -1 : 1))
    .filter((u) => !idByAccount.has(byCase(u.account)))
    .filter((u) => {
      const owner = formerAccounts?.get(u.account);
      if (owner === undefined) return true;
      warnings.push(
        `the live account ${u.account} is ${owner}'s former account (the journal saw gatehouse manage it for them): not imported; the plan says what becomes of it`,
      );
      return false;
    });
  // Every id first, so that a manager later in the list is referenced by the id it gets.
  for (const u of adopted) {
    const base = userIdFromAccount(u.account);
    const id = uniqueIn(taken, base);
    idByAccount.set(byCase(u.account), id);
    const person = formerIds.get(base);
    if (person !== undefined)
      warnings.push(
        `the live account ${u.account} is named as ${person}'s former id (formerIds): it is imported as ${id}, since an id belongs to one person. ` +
          `If it is ${person}'s account, delete ${id} and give ${person} accounts: { ${provider.name}: ${u.account} } instead`,
      );
  }
  for (const u of adopted) {
    const id = idByAccount.get(byCase(u.account)) ?? userIdFromAccount(u.account);
    const entry: Record<string, unknown> = { id, name: u.name ?? u.account };
    if (u.email !== undefined) entry["email"] = u.email;
    if (u.department !== undefined) entry["department"] = u.department;
    if (u.title !== undefined) entry["title"] = u.title;
    // A system's own value (`Full-Time`) is none the files accept: left out, so unmanaged.
    if (EMPLOYMENT_TYPES.some((t) => t === u.employmentType)) entry["employmentType"] = u.employmentType;
    const manager = u.manager === undefined ? undefined : idByAccount.get(byCase(u.manager));
    if (manager !== undefined && manager !== id) entry["manager"] = manager;
    // A pending invitation is someone joining, not a leaver.
    entry["status"] = u.enabled || u.pending === true ? "active" : "terminated";
    // Where only mapped people have an account (GitHub by default), the mapping is what links them.
    if (id !== u.account || provider.users === "mapped") entry["accounts"] = { [provider.name]: u.account };
    users.push(entry);
  }
  // Groups the files have already (by name or former name, whatever the case) are not imported again.
  const modelName = new Map(
    [...model.groups.values()].flatMap((g) =>
      [g.name, ...(g.formerNames ?? [])].map((n) => [n.toLowerCase(), g.name]),
    ),
  );
  const names = new Set([...model.groups.keys()]);
  const renamed = new Map<string, string>(); // live name → the name it is imported under
  const fresh = [...live.groups].filter((g) => !modelName.has(g.name.toLowerCase()));
  // Names that need no former name first: a live `sales-team` keeps its name next to a `Sales Team`.
  const byNeed = [...fresh].sort(
    (a, b) =>
      Number(groupNameFromLive(a.name).formerName !== undefined) -
      Number(groupNameFromLive(b.name).formerName !== undefined),
  );
  for (const g of byNeed) renamed.set(g.name, uniqueIn(names, groupNameFromLive(g.name).name));
  // Where team maintainers are the group's owners (github `maintainers: owners`), the maintainers are
  // imported as owners, so the first apply does not demote them; org owners, whom GitHub shows as
  // maintainers of every team they are in, are not.
  const always = new Set((live.alwaysMaintainers ?? []).map(byCase));
  const ownersOf = (g: LiveGroup): string[] =>
    provider.settings["maintainers"] !== "owners"
      ? []
      : [
          ...new Set(
            (g.maintainers ?? [])
              .filter((m) => !always.has(byCase(m)))
              .map((m) => idByAccount.get(byCase(m)) ?? m)
              .sort(),
          ),
        ];
  const groups = fresh
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((g) => {
      const name = renamed.get(g.name) ?? g.name;
      return {
        name,
        ...(name.toLowerCase() === g.name.toLowerCase() ? {} : { formerNames: [g.name] }),
        ...(g.description === undefined ? {} : { description: g.description }),
        owners: ownersOf(g),
        providers: [provider.name],
        members: [
          // A member an app lists twice (or under two spellings) is one member (GH211 otherwise).
          ...[...new Set([...g.members].sort().map((m) => idByAccount.get(byCase(m)) ?? m))],
          ...[...(g.groupMembers ?? [])].sort().map((inner) => ({
            group: renamed.get(inner) ?? modelName.get(inner.toLowerCase()) ?? inner,
          })),
        ],
      };
    });

  // Parts by size, estimated from each item's JSON: block YAML's indentation makes it up to ~1.3x as long.
  const bodies: { users: Record<string, unknown>[]; groups: Record<string, unknown>[] }[] = [];
  let size = Number.POSITIVE_INFINITY;
  const place = (section: "users" | "groups", item: Record<string, unknown>): void => {
    const bytes = Math.ceil(JSON.stringify(item).length * 1.4);
    let body = bodies.at(-1);
    if (body === undefined || size + bytes > partBytes) {
      body = { users: [], groups: [] };
      bodies.push(body);
      size = 0;
    }
    body[section].push(item);
    size += bytes;
  };
  for (const user of users) place("users", user);
  for (const group of groups) place("groups", group);
  if (bodies.length === 0) bodies.push({ users: [], groups: [] });

  const parts = bodies.map((b, i) => {
    const body: Record<string, unknown> = {};
    if (b.users.length > 0) body["users"] = b.users;
    if (b.groups.length > 0) body["groups"] = b.groups;
    const part = bodies.length > 1 ? ` (part ${String(i + 1)} of ${String(bodies.length)})` : "";
    const schema = schemaPath === undefined ? "" : `# yaml-language-server: $schema=${schemaPath}\n`;
    const header = `${schema}# Imported from ${provider.name} by gatehouse import${part}. Add owners to every group, then review.\n`;
    return header + stringify(body, { lineWidth: 0 });
  });
  const leavers = new Set(users.filter((u) => u["status"] === "terminated").map((u) => String(u["id"])));
  const leaverMemberships = groups.reduce(
    (n, g) => n + g.members.filter((m) => typeof m === "string" && leavers.has(m)).length,
    0,
  );
  if (leaverMemberships > 0)
    warnings.push(
      `${String(leaverMemberships)} membership(s) of disabled accounts are listed: those people are imported as terminated, and a leaver holds nothing, so the first apply removes them. Make someone active in the files if they should keep access`,
    );
  if (options.desired !== undefined) {
    const adoptedNames = new Set(adopted.map((u) => byCase(u.account)));
    warnings.push(
      ...unlistedMembershipWarnings(live, options.desired, {
        fold: byCase,
        idOf: (account) => idByAccount.get(byCase(account)),
        adopted: adoptedNames,
        filesGroupOf: (name) => modelName.get(name.toLowerCase()) ?? renamed.get(name),
        system: provider.name,
      }),
    );
  }
  for (const message of live.unmanaged ?? []) warnings.push(`${message}; import does not bring it either`);
  // What the system noticed while reading (GitHub: renamed logins, failed, e-mail-only or owner invitations).
  for (const message of live.notes ?? []) warnings.push(message);
  if (provider.users === "members") {
    // Only members of this system's groups get an account here: an active account in none of them is
    // disabled by the first apply in authoritative mode, although the person is in the files.
    const inGroups = new Set(live.groups.flatMap((g) => g.members.map(byCase)));
    const alone = adopted.filter((u) => u.enabled && !inGroups.has(byCase(u.account))).map((u) => u.account);
    if (alone.length > 0)
      warnings.push(
        `${String(alone.length)} active account(s) are in none of ${provider.name}'s groups (${alone.slice(0, 5).join(", ")}${alone.length > 5 ? ", ..." : ""}). ` +
          `With users: members (the default for ${provider.type}), only members of its groups get an account, so the first apply in authoritative mode disables theirs. ` +
          `Put them in a group, or set users: all on the provider in gatehouse.yaml`,
      );
  }
  for (const g of groups)
    if (g.formerNames !== undefined)
      warnings.push(
        `the live group "${g.formerNames[0] ?? ""}" is not a valid gatehouse group name: it is imported as ${g.name} (formerNames), so the first apply renames it in ${provider.name}. Check what refers to it by name first`,
      );
  return { parts, users: users.length, groups: groups.length, warnings };
}

/** The file of each part: `out` for the first, `<name>-002.yaml`, `<name>-003.yaml`... next to it. */
export function importPartPaths(out: string, count: number): string[] {
  const ext = path.extname(out);
  const stem = out.slice(0, out.length - ext.length);
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? out : `${stem}-${String(i + 1).padStart(3, "0")}${ext || ".yaml"}`,
  );
}

/** Whether `name` (a file name) is a later part of the import written to `out` (see importPartPaths). */
export function isImportPart(out: string, name: string): boolean {
  const ext = path.extname(out) || ".yaml";
  const stem = path.basename(out, path.extname(out));
  return (
    name.startsWith(`${stem}-`) &&
    name.endsWith(ext) &&
    /^\d{3,}$/.test(name.slice(stem.length + 1, -ext.length))
  );
}

/**
 * The schema the written file points editors at, relative to it: the repository's own, in a schemas/
 * folder next to the access folder (as the quick-start files have it: ../../schemas/access.schema.json
 * from access/users/). None when there is no such folder, or when the file is written outside the folder
 * holding both: a path into gatehouse's install or into a temporary clone would be committed with the
 * file and point nowhere on every other machine.
 */
export function schemaFor(accessDir: string, out: string): string | undefined {
  const root = path.dirname(accessDir);
  const schema = path.join(root, "schemas", "access.schema.json");
  if (!existsSync(schema)) return undefined;
  const [first] = path.relative(root, out).split(path.sep);
  if (first === ".." || path.isAbsolute(path.relative(root, out))) return undefined;
  // A file in the repository is read on Windows and POSIX alike: forward slashes.
  return path.relative(path.dirname(out), schema).split(path.sep).join("/");
}
